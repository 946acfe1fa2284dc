"""The requests inbox: what each confirmed request sets going, and the team's decisions on it."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from crm.audit import services as audit
from crm.db import utcnow
from crm.errors import ValidationError
from crm.extensions import db, hooks
from crm.forms import lazy_gettext as _l
from crm.forms import untranslated
from crm.pagination import Page, paginate
from crm.partners import services as partners
from crm.partners.models import AmbassadorStatus, Contact, Note, NoteKind
from crm.signup import mails
from crm.signup.kit import current_kit
from crm.signup.models import ChangeStatus, RequestKind, RequestStatus, Signup, SignupChange, SignupRequest

FILTERS = {"open": _l("À traiter"), "waiting": _l("Adresse non confirmée"), "all": _l("Toutes")}


class InboxError(ValidationError):
    pass


def make_candidate(contact: Contact) -> None:
    if contact.ambassador_status in (AmbassadorStatus.NONE.value, AmbassadorStatus.FORMER.value):
        partners.set_ambassador_status(contact, AmbassadorStatus.CANDIDATE.value)


def project_task(contact: Contact, signup: Signup) -> int:
    body = "Demande d'échange sur un projet (formulaire d'inscription)"
    if signup.organisation is not None:
        body += f" — {signup.organisation.name}"
    if signup.message:
        body += f" : {signup.message}"
    return partners.add_note(body, NoteKind.TASK.value, contact=contact).id


def activate(request: SignupRequest, contact: Contact, signup: Signup) -> None:
    """Called when the address is confirmed: each request starts its own course."""
    if request.status != RequestStatus.WAITING.value:
        return
    request.status = RequestStatus.OPEN.value
    if request.kind == RequestKind.NEWSLETTER:
        request.status = RequestStatus.DONE.value
        request.decided_at = utcnow()
    elif request.kind == RequestKind.PROJECT:
        request.note_id = project_task(contact, signup)
    elif request.kind == RequestKind.AMBASSADOR:
        make_candidate(contact)
    elif request.kind == RequestKind.KIT:
        db.session.flush()
        send_kit(request, contact)
    db.session.flush()


def send_kit(request: SignupRequest, contact: Contact, user_id: int | None = None) -> bool:
    """Mail the signed download link, if a kit has been uploaded and the address is confirmed."""
    if current_kit() is None or request.signup.confirmed_at is None:
        return False
    if not mails.send_kit(contact, request):
        return False
    request.status = RequestStatus.DONE.value
    request.sent_at = request.decided_at = utcnow()
    request.decided_by_id = user_id
    partners.mark_kit_sent(contact)
    db.session.flush()
    return True


def send_waiting_kits(user_id: int | None = None) -> int:
    """After an upload: every confirmed kit request still waiting for the file gets it now."""
    stmt = (sa.select(SignupRequest).join(Signup).where(
        SignupRequest.kind == RequestKind.KIT.value, SignupRequest.status == RequestStatus.OPEN.value,
        Signup.confirmed_at.is_not(None)).order_by(SignupRequest.id))
    sent = 0
    for request in db.session.scalars(stmt):
        if send_kit(request, request.signup.contact, user_id):
            sent += 1
    return sent


def open_request(kind: str | None = None) -> sa.Exists:
    """The signup has a request still to act on (of that kind): open, its task (a project) not done, its
    contact (an ambassador request) still a candidate. The one definition behind the inbox and its counts."""
    note = aliased(Note)
    candidate = aliased(Contact)
    task_done = sa.exists().where(note.id == SignupRequest.note_id, note.done_at.is_not(None))
    still_candidate = sa.exists().where(candidate.id == SignupRequest.contact_id,
                                        candidate.ambassador_status == AmbassadorStatus.CANDIDATE.value)
    conditions = [SignupRequest.signup_id == Signup.id, SignupRequest.status == RequestStatus.OPEN.value,
                  ~task_done, sa.or_(SignupRequest.kind != RequestKind.AMBASSADOR.value, still_candidate)]
    if kind:
        conditions.append(SignupRequest.kind == kind)
    return sa.exists().where(*conditions)


def _open_clause() -> sa.ColumnElement[bool]:
    """A request still to act on, or proposed changes an editor has to examine (once the address is confirmed)."""
    open_changes = sa.exists().where(SignupChange.signup_id == Signup.id,
                                     SignupChange.status == ChangeStatus.OPEN.value,
                                     Contact.id == Signup.contact_id, Contact.email.is_not(None))
    return sa.or_(open_request(), sa.and_(Signup.confirmed_at.is_not(None), open_changes))


def inbox_statement(which: str, kind: str | None = None) -> sa.Select[tuple[Signup]]:
    """The inbox's list: ``which`` one of FILTERS; ``kind`` narrows "open" to the signups with a request of that
    kind still to act on. The page and the dashboard's figures count this same statement."""
    stmt = sa.select(Signup).order_by(Signup.created_at.desc(), Signup.id.desc())
    if which == "open":
        stmt = stmt.where(open_request(kind) if kind else _open_clause())
    elif which == "waiting":
        stmt = stmt.where(Signup.confirmed_at.is_(None))
    return stmt


def inbox_page(which: str, page: int, per_page: int, kind: str | None = None) -> Page[Signup]:
    return paginate(inbox_statement(which, kind), page, per_page)


def open_count(kind: str | None = None) -> int:
    """Signups with a request still to act on (of that kind, if given): the inbox's count."""
    stmt = inbox_statement("open", kind).order_by(None)
    return db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0


def close_for_erasure(contact: Contact) -> None:
    """The ``privacy.contact_erased`` hook: the person's requests and proposed changes close ("personne
    effacée"); nothing is left for the team to act on."""
    now = utcnow()
    db.session.execute(sa.update(SignupRequest).where(
        SignupRequest.contact_id == contact.id,
        SignupRequest.status.in_([RequestStatus.OPEN.value, RequestStatus.WAITING.value]))
        .values(status=RequestStatus.ERASED.value, decided_at=now))
    db.session.execute(sa.update(SignupChange).where(
        SignupChange.contact_id == contact.id, SignupChange.status == ChangeStatus.OPEN.value)
        .values(status=ChangeStatus.DISMISSED.value, decided_at=now))


def signups_of(contact: Contact) -> list[Signup]:
    stmt = sa.select(Signup).where(Signup.contact_id == contact.id).order_by(Signup.created_at.desc())
    return list(db.session.scalars(stmt))


def _require(request: SignupRequest, kinds: set[RequestKind]) -> None:
    if request.kind not in kinds:
        raise InboxError("Cette action ne s'applique pas à cette demande.")
    if request.effective_status != RequestStatus.OPEN.value:
        raise InboxError("Cette demande n'est plus à traiter.")


def mark_done(request: SignupRequest, user_id: int | None) -> SignupRequest:
    _require(request, {RequestKind.JOIN, RequestKind.PROJECT})
    if request.note is not None:
        partners.complete_task(request.note)
    request.status = RequestStatus.DONE.value
    request.decided_at = utcnow()
    request.decided_by_id = user_id
    audit.record("signup_done", "contact", request.contact_id, f"Demande traitée : {untranslated(request.label)}",
                 user_id=user_id)
    db.session.flush()
    return request


PROJECT_ACCEPTED_HOOK = "signup.project_accepted"  # hook(request, user_id) -> {"title", "owner"}; may refuse


def accepts_projects() -> bool:
    """Whether a feature turns an accepted project request into a project (crm.projects answers the hook)."""
    return bool(hooks(PROJECT_ACCEPTED_HOOK))


def accept_project(request: SignupRequest, user_id: int | None) -> dict[str, Any]:
    """The request becomes a project in the pipeline (through the hook), its task done, the request accepted."""
    _require(request, {RequestKind.PROJECT})
    found = hooks(PROJECT_ACCEPTED_HOOK)
    if not found:
        raise InboxError("Aucun suivi de projets n'est installé.")
    try:
        result = found[0](request, user_id)
    except ValidationError as exc:
        raise InboxError(exc.errors) from None
    if request.note is not None and request.note.done_at is None:
        partners.complete_task(request.note)
    request.status = RequestStatus.ACCEPTED.value
    request.decided_at = utcnow()
    request.decided_by_id = user_id
    audit.record("signup_project", "contact", request.contact_id,
                 f"Demande de projet acceptée : projet « {result['title']} » suivi par {result['owner']}",
                 user_id=user_id)
    db.session.flush()
    return dict(result)


def decide_ambassador(request: SignupRequest, accept: bool, user_id: int | None,
                      on: date | None = None) -> SignupRequest:
    _require(request, {RequestKind.AMBASSADOR})
    contact = request.signup.contact
    day = on or date.today()
    if accept:
        partners.set_ambassador_status(contact, AmbassadorStatus.ACTIVE.value, on=day)
    elif contact.ambassador_status == AmbassadorStatus.CANDIDATE.value:
        partners.set_ambassador_status(contact, AmbassadorStatus.NONE.value, on=day)
    request.status = (RequestStatus.ACCEPTED if accept else RequestStatus.DECLINED).value
    request.decided_at = utcnow()
    request.decided_by_id = user_id
    verdict = "acceptée" if accept else "refusée"
    audit.record("signup_ambassador", "contact", contact.id,
                 f"Candidature d'ambassadeur {verdict} le {day.isoformat()}", user_id=user_id)
    db.session.flush()
    return request


def resend_kit(request: SignupRequest, user_id: int | None) -> SignupRequest:
    if request.kind != RequestKind.KIT:
        raise InboxError("Cette action ne s'applique pas à cette demande.")
    if request.signup.confirmed_at is None:
        raise InboxError("L'adresse n'est pas encore confirmée : le kit partira dès la confirmation.")
    if current_kit() is None:
        raise InboxError("Aucun kit n'a été déposé.")
    if not send_kit(request, request.signup.contact, user_id):
        raise InboxError("Cette adresse ne peut plus recevoir de message (rejet ou signalement).")
    audit.record("signup_kit", "contact", request.contact_id, "Kit de communication envoyé", user_id=user_id)
    return request


def kit_was_sent(contact: Contact) -> bool:
    stmt = sa.select(sa.exists().where(SignupRequest.contact_id == contact.id,
                                       SignupRequest.kind == RequestKind.KIT.value,
                                       SignupRequest.sent_at.is_not(None)))
    return bool(db.session.scalar(stmt))


def task_subjects(kind: str, ids: list[int]) -> dict[int, tuple[str, str, dict[str, Any]]] | None:
    """The ``tasks.subjects`` hook: a request a task is about, named by what was asked and who asked, in the inbox."""
    if kind != "signup_request":
        return None
    requests = db.session.scalars(sa.select(SignupRequest).where(SignupRequest.id.in_(ids)))
    return {r.id: (f"{untranslated(r.label)} — {r.signup.contact.full_name}", "signup.admin.inbox", {"filtre": "all"})
            for r in requests}
