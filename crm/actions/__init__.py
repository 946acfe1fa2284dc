"""The programme's action plan: actions (fiches-actions) with their partners, milestones, funding lines and
indicators; proposals from firms and partners; committee sessions that freeze dated versions of the plan; the
progress report (screen, print, spreadsheet) and the public page.

``views.bp`` is the back office (login required; committee and proposal pages join it from their modules);
``public.bp`` holds the published plan and the proposal page reached by a personal link.
"""

from crm.actions import (
    committee_views,
    demo,
    figures,
    import_views,
    letter_blocks,
    proposal_views,
    proposals,
    public,
    report,
    views,
)
from crm.actions.models import ActionStatus, ProposalStatus
from crm.extensions import Feature, Figure, NavItem, PrivacyTable
from crm.forms import lazy_gettext as _l

_ = (committee_views, import_views, proposal_views)  # their routes join views.bp

feature = Feature(
    name="actions",
    blueprints=[views.bp, public.bp],
    nav=[NavItem("actions.index", _l("Plan d'actions"), order=65)],
    mail_kinds=proposals.MAIL_KINDS,
    figures=[
        Figure(_l("actions du plan"), figures.actions, "actions.index", order=60),
        Figure(_l("actions en cours"), figures.actions_in_progress, "actions.index", {"statut": ActionStatus.IN_PROGRESS.value},
               order=61),
        Figure(_l("Propositions d'actions à examiner"), figures.open_proposals, "actions.proposal_list",
               {"statut": ProposalStatus.OPEN.value}, group="waiting", order=60),
    ],
    privacy=[
        PrivacyTable("action_pilots", "Pilotage d'actions du plan"),
        PrivacyTable("action_proposals", "Propositions d'actions"),
        PrivacyTable("proposal_supports", "Soutiens à des propositions d'actions"),
    ],
    template_filters={"euros": report.euros, "number": report.number, "percent": report.percent,
                      "action_status": report.status_label, "funding_status": report.funding_status_label,
                      "partner_role": report.role_label, "progress_bar": report.progress_bar,
                      "isodate": report.isodate, "last_measure": report.last_measure,
                      "indicator_progress": report.indicator_progress, "action_granted": report.action_granted},
    context_processors=[lambda: {"action_labels": report.labels}],
    hooks={"partners.organisation_sections": figures.organisation_section,
           "segments.engaged_organisations": figures.engaged_organisations,
           "campaigns.blocks": letter_blocks.blocks},
    demo=demo.load,
)
