"""Who to invite from a saved segment (crm.segments): its members, read when the invitation is made."""

from __future__ import annotations

from typing import Any

from crm.extensions import db
from crm.forms import choices
from crm.segments.models import Segment
from crm.segments.services import all_segments, contact_ids


def segment_choices() -> list[Any]:
    return choices([(str(segment.id), segment.name) for segment in all_segments()])


def segment_contact_ids(segment_id: int) -> list[int]:
    segment = db.session.get(Segment, segment_id)
    if segment is None:
        return []
    return list(db.session.scalars(contact_ids(segment)))
