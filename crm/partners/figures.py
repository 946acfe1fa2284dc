"""The partners' key figures on the dashboard: one aggregate query each."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from crm.extensions import db
from crm.partners.models import AmbassadorStatus, ClubMembership, Contact, Note, NoteKind, Organisation


def _count(stmt: sa.Select[tuple[int]]) -> int:
    return db.session.scalar(stmt) or 0


def organisations() -> int:
    return _count(sa.select(sa.func.count()).select_from(Organisation))


def contacts() -> int:
    return _count(sa.select(sa.func.count()).select_from(Contact).where(Contact.email.is_not(None)))


def club_members(today: date | None = None) -> int:
    today = today or date.today()
    return _count(sa.select(sa.func.count(sa.distinct(ClubMembership.organisation_id))).where(
        ClubMembership.joined_on <= today, sa.or_(ClubMembership.left_on.is_(None), ClubMembership.left_on > today)))


def open_tasks() -> int:
    return _count(sa.select(sa.func.count()).select_from(Note)
                  .where(Note.kind == NoteKind.TASK.value, Note.done_at.is_(None)))


def ambassador_candidates() -> int:
    return _count(sa.select(sa.func.count()).select_from(Contact)
                  .where(Contact.ambassador_status == AmbassadorStatus.CANDIDATE.value))
