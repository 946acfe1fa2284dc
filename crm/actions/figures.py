"""The plan's figures on the dashboard: one aggregate query each."""

from __future__ import annotations

import sqlalchemy as sa

from crm.actions.models import Action, ActionStatus, Proposal, ProposalStatus
from crm.extensions import db


def actions_in_progress() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Action).where(
        Action.status == ActionStatus.IN_PROGRESS.value)) or 0


def actions() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Action)) or 0


def open_proposals() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Proposal).where(
        Proposal.status == ProposalStatus.OPEN.value)) or 0
