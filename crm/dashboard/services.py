"""Key figures of the programme, computed with a handful of aggregate queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from crm.extensions import db
from crm.partners.models import AmbassadorStatus, ClubMembership, Contact, Note, Organisation


@dataclass
class KeyFigures:
    organisations: int
    contacts: int
    club_members: int
    active_ambassadors: int
    candidate_ambassadors: int
    open_tasks: int


def key_figures(today: date | None = None) -> KeyFigures:
    today = today or date.today()
    count = sa.func.count
    club = db.session.scalar(
        sa.select(count(sa.distinct(ClubMembership.organisation_id))).where(
            ClubMembership.joined_on <= today,
            sa.or_(ClubMembership.left_on.is_(None), ClubMembership.left_on > today),
        )
    )
    by_status = dict(
        db.session.execute(sa.select(Contact.ambassador_status, count()).group_by(Contact.ambassador_status)).all()
    )
    return KeyFigures(
        organisations=db.session.scalar(sa.select(count()).select_from(Organisation)) or 0,
        contacts=db.session.scalar(sa.select(count()).select_from(Contact)) or 0,
        club_members=club or 0,
        active_ambassadors=by_status.get(AmbassadorStatus.ACTIVE.value, 0),
        candidate_ambassadors=by_status.get(AmbassadorStatus.CANDIDATE.value, 0),
        open_tasks=db.session.scalar(
            sa.select(count()).select_from(Note).where(Note.kind == "task", Note.done_at.is_(None))
        ) or 0,
    )
