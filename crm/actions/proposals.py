"""Proposals: a firm or partner proposes an action, other organisations support it (« se fédèrent »), the team
answers (retained, merged into an action, declined with a reason mailed to the proposer).

The public pages are reached by a signed link in a mail, bound to the person by their ``link_secret``: the
link acts for that person and their organisation only, whatever a form posts.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_mail import Message

from crm.actions import services
from crm.actions.models import (
    Action,
    ActionStatus,
    Origin,
    PartnerRole,
    Proposal,
    ProposalStatus,
    ProposalSupport,
)
from crm.audit import services as audit
from crm.consent.mail_kinds import Category, MailKind, may_receive
from crm.db import utcnow
from crm.extensions import db
from crm.forms import lazy_gettext as _l
from crm.mail.models import Delivery
from crm.mail.outgoing import deliver_soon
from crm.mail.rendering import build_message
from crm.partners.models import Axis, ClubMembership, Contact
from crm.security import TokenInvalid, days, read_token, token_url
from crm.signup.links import subscriber_links
from crm.signup.mails import recipient

PURPOSE = "action_proposal"  # its links live ACTION_PROPOSAL_LINK_DAYS (config.py)
INVITE, DECLINED = "action_proposal_invite", "action_proposal_declined"


class ProposalError(services.ActionError):
    pass


# --- Links ---------------------------------------------------------------------------------------


def proposal_url(contact: Contact) -> str:
    return token_url("actions_public.propose", PURPOSE, [contact.id, contact.link_secret])


def read_link(token: str) -> Contact:
    """The person (with an organisation) a link was made for; raises TokenError otherwise."""
    value = read_token(PURPOSE, token, days("ACTION_PROPOSAL_LINK_DAYS"))
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], int)
            and not isinstance(value[0], bool) and isinstance(value[1], str)):
        raise TokenInvalid("Ce lien n'est pas valide.")
    contact = db.session.get(Contact, value[0])
    if contact is None or not contact.email or contact.link_secret != value[1] or contact.organisation_id is None:
        raise TokenInvalid("Ce lien n'est pas valide.")
    return contact


# --- Proposing, supporting -----------------------------------------------------------------------


def _origin_of(contact: Contact) -> str:
    member = db.session.scalar(sa.select(sa.exists().where(
        ClubMembership.organisation_id == contact.organisation_id, ClubMembership.left_on.is_(None))))
    return Origin.CLUB.value if member else Origin.PARTNER.value


def propose(contact: Contact, title: str, axis_id: int, contribution: str) -> Proposal:
    errors = {}
    if not title.strip():
        errors["title"] = "Donnez un titre à votre proposition."
    if db.session.get(Axis, axis_id) is None:
        errors["axis_id"] = "Choisissez un des quatre axes."
    if errors:
        raise ProposalError(errors)
    proposal = Proposal(title=title.strip()[:200], axis_id=axis_id, contribution=contribution.strip(),
                        contact_id=contact.id, organisation_id=contact.organisation_id, origin=_origin_of(contact))
    db.session.add(proposal)
    db.session.flush()
    return proposal


def _team_contact(contact_id: int | None) -> Contact:
    contact = db.session.get(Contact, contact_id) if contact_id else None
    if contact is None:
        raise ProposalError({"contact_id": "Choisissez la personne qui propose ou soutient."})
    if contact.organisation_id is None:
        raise ProposalError({"contact_id": "Cette personne n'est rattachée à aucune structure : rattachez-la "
                                           "d'abord à sa structure."})
    return contact


def record_proposal(contact_id: int | None, title: str, axis_id: int, contribution: str) -> Proposal:
    """A proposal the team received another way (a call, a meeting), entered for the person and their structure."""
    proposal = propose(_team_contact(contact_id), title, axis_id, contribution)
    audit.record("create", "action_proposal", proposal.id, f"Proposition « {proposal.title} » saisie par l'équipe")
    return proposal


def record_support(contact_id: int | None, proposal_id: int) -> ProposalSupport | None:
    """A structure's support the team received another way, entered for the person and their structure."""
    return support(_team_contact(contact_id), proposal_id)


def support(contact: Contact, proposal_id: int) -> ProposalSupport | None:
    """The contact's organisation joins an open proposal; None if it already did or proposed it."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.status != ProposalStatus.OPEN.value:
        raise ProposalError("Cette proposition n'attend plus de soutien.")
    if proposal.organisation_id == contact.organisation_id or any(
            s.organisation_id == contact.organisation_id for s in proposal.supports):
        return None
    item = ProposalSupport(organisation_id=contact.organisation_id, contact_id=contact.id)
    proposal.supports.append(item)
    db.session.flush()
    return item


def open_proposals() -> list[Proposal]:
    return list(db.session.scalars(sa.select(Proposal).where(Proposal.status == ProposalStatus.OPEN.value)
                                   .order_by(Proposal.created_at.desc(), Proposal.id.desc())))


def all_proposals() -> list[Proposal]:
    return list(db.session.scalars(sa.select(Proposal).order_by(Proposal.created_at.desc(), Proposal.id.desc())))


# --- The team's answer ---------------------------------------------------------------------------


def _answerable(proposal: Proposal) -> None:
    if proposal.status != ProposalStatus.OPEN.value:
        raise ProposalError("Cette proposition a déjà reçu sa réponse.")


def _engage(action: Action, proposal: Proposal) -> None:
    organisations = [proposal.organisation_id] + [s.organisation_id for s in proposal.supports]
    for organisation_id in organisations:
        if organisation_id and organisation_id != action.pilot_organisation_id and not any(
                p.organisation_id == organisation_id for p in action.partners):
            services.add_partner(action, organisation_id, PartnerRole.CONTRIBUTOR.value)


def retain(proposal: Proposal, code: str) -> Action:
    """The proposal becomes an action: its origin kept, the proposer piloting, the supporters contributing."""
    _answerable(proposal)
    action = services.create_action(services.ActionInput(
        code=code, title=proposal.title, axis_id=proposal.axis_id, origin=proposal.origin,
        description=proposal.contribution, pilot_organisation_id=proposal.organisation_id,
        pilot_contact_id=proposal.contact_id if proposal.contact and proposal.contact.organisation_id
        == proposal.organisation_id else None), status=ActionStatus.PROPOSED)
    _engage(action, proposal)
    _answered(proposal, ProposalStatus.RETAINED, action)
    return action


def merge(proposal: Proposal, action_id: int) -> Action:
    _answerable(proposal)
    action = db.session.get(Action, action_id)
    if action is None:
        raise ProposalError({"action_id": "Choisissez l'action dans laquelle fusionner."})
    if proposal.organisation_id and proposal.organisation_id != action.pilot_organisation_id:
        services.add_partner(action, proposal.organisation_id, PartnerRole.CONTRIBUTOR.value)
    _engage(action, proposal)
    _answered(proposal, ProposalStatus.MERGED, action)
    return action


def decline(proposal: Proposal, reason: str) -> bool:
    """Declines with a reason, mailed to the proposer; returns whether the mail was queued."""
    _answerable(proposal)
    if not reason.strip():
        raise ProposalError({"reason": "Indiquez la raison : elle est envoyée à la personne qui a proposé."})
    proposal.answer = reason.strip()
    _answered(proposal, ProposalStatus.DECLINED, None)
    contact = proposal.contact
    if contact is None or not may_receive(contact, DECLINED):
        return False
    return deliver_soon(DECLINED, f"{DECLINED}:{proposal.id}", contact_id=contact.id,
                        source_id=proposal.id) is not None


def _answered(proposal: Proposal, status: ProposalStatus, action: Action | None) -> None:
    proposal.status, proposal.action, proposal.answered_at = status.value, action, utcnow()
    db.session.flush()
    audit.record("update", "proposal", proposal.id, f"Proposition « {proposal.title} » : réponse",
                 {"statut": ["En attente de réponse", str(status.value)]})


def invite(contact: Contact) -> bool:
    """Mails the person their link to propose or support actions (a mail they can refuse)."""
    if contact.organisation_id is None:
        raise ProposalError("Ce contact n'est rattaché à aucune structure : il ne peut pas proposer pour elle.")
    if not may_receive(contact, INVITE):
        return False
    return deliver_soon(INVITE, f"{INVITE}:{contact.id}:{date.today().isoformat()}",
                        contact_id=contact.id) is not None


# --- Mails (rendered by the pipeline) ------------------------------------------------------------


def _message(contact: Contact, subject: str, template: str, **context: Any) -> Message:
    return build_message(recipient(contact), subject, template, contact=contact, **subscriber_links(contact),
                         **context)


def render_invite(delivery: Delivery) -> Message | None:
    contact = delivery.contact
    if contact is None or contact.organisation_id is None:
        return None
    return _message(contact, "Proposez une action au plan d'actions Territoires d'industrie", "action_invite",
                    proposal_url=proposal_url(contact), preheader="Votre lien pour proposer ou soutenir une action.")


def render_declined(delivery: Delivery) -> Message | None:
    contact = delivery.contact
    proposal = db.session.get(Proposal, delivery.source_id) if delivery.source_id else None
    if contact is None or proposal is None or proposal.status != ProposalStatus.DECLINED.value:
        return None
    return _message(contact, "Votre proposition d'action — Territoires d'industrie", "action_declined",
                    proposal=proposal, preheader="La réponse de l'équipe à votre proposition.")


MAIL_KINDS = (
    MailKind(INVITE, _l("L'appel à propositions du plan d'actions"), Category.REFUSABLE, render_invite),
    MailKind(DECLINED, _l("La réponse à une action que vous avez proposée"), Category.PERSONAL, render_declined,
             promise=_l("la réponse de l'équipe à une action que vous avez proposée")),
)
