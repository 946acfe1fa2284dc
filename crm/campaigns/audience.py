"""Who gets a campaign, and its materialisation into deliveries in ONE ``INSERT ... SELECT``.

Audience = the people the recipient rule lets receive the newsletter on the campaign's topic (a confirmed
subscription, the topic chosen, not suppressed: crm.consent.mail_kinds), within the segment if there is one.
Nothing is loaded into Python: the audience is streamed by the database into the deliveries table.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from crm.campaigns.content import KIND, MAIL_KIND
from crm.campaigns.models import Campaign
from crm.consent.mail_kinds import receivable
from crm.extensions import db
from crm.mail.pipeline import queue_from_select
from crm.partners.models import Contact
from crm.segments import services as segments


def _conditions(campaign: Campaign) -> list[sa.ColumnElement[bool]]:
    conditions = [receivable(MAIL_KIND, topic_id=sa.literal(campaign.topic_id, sa.Integer))]
    if campaign.segment is not None:
        conditions.extend(segments.conditions(segments.criteria_of(campaign.segment)))
    return conditions


def count(campaign: Campaign) -> int:
    stmt = sa.select(sa.func.count()).select_from(Contact)
    return db.session.scalar(stmt.where(*_conditions(campaign))) or 0


def rows(campaign: Campaign) -> sa.Select[Any]:
    """kind, contact_id, campaign_id, source_id, dedupe_key: the shape ``queue_from_select`` takes."""
    dedupe_key = sa.literal(f"{KIND}:{campaign.id}:contact:", sa.String) + sa.cast(Contact.id, sa.String)
    return (
        sa.select(sa.literal(KIND, sa.String), Contact.id, sa.literal(campaign.id, sa.Integer),
                  sa.null(), dedupe_key)
        .select_from(Contact)
        .where(*_conditions(campaign))
    )


def materialise(campaign: Campaign) -> int:
    """One delivery per recipient (unique: running it twice adds nobody). Flushes; the caller commits."""
    return queue_from_select(rows(campaign))
