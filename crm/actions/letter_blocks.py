"""Actions in the lettre d'information: the card of ``{{ action 3 }}`` (the ``campaigns.blocks`` hook), and the
letters that mention an action, on its page (the ``campaigns.mentioning`` hook campaigns answer)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from crm.actions.models import Action
from crm.extensions import db, hooks

KEYWORD = "action"


def progress(action: Action) -> int | None:
    """The share of its milestones done, in percent (None: no milestone)."""
    milestones = list(action.milestones)
    if not milestones:
        return None
    return round(100 * sum(1 for m in milestones if m.done_on is not None) / len(milestones))


class ActionBlocks:
    label = "Action du plan"

    def choices(self) -> list[tuple[int, str]]:
        return [(a.id, f"{a.code} — {a.title}") for a in db.session.scalars(sa.select(Action).order_by(Action.code))]

    def card(self, action_id: int) -> dict[str, Any] | None:
        action = db.session.get(Action, action_id)
        if action is None:
            return None
        return {"kicker": f"Action {action.code}", "title": action.title,
                "facts": [("Axe", action.axis.label), ("Statut", str(action.status_label))],
                "progress": progress(action), "link_label": None, "public_note": None}

    def personal_url(self, action_id: int, contact: Any) -> str | None:
        return None


def blocks() -> dict[str, Any]:
    """The ``campaigns.blocks`` hook."""
    return {KEYWORD: ActionBlocks()}


def letters_mentioning(action: Action) -> list[dict[str, Any]]:
    return [letter for hook in hooks("campaigns.mentioning") for letter in hook(KEYWORD, action.id)]
