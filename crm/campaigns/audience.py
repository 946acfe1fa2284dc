"""Who gets a campaign, and its materialisation into deliveries in ONE ``INSERT ... SELECT``.

Audience = confirmed newsletter subscribers (``Subscription.status == confirmed``) who chose the campaign's
topic (``contact_topics``), within the segment if there is one, minus the suppression list. The suppression list
holds only SHA-256 hashes; ``Contact.email_hash`` (kept in step with the email by a listener on the model) lets
the database anti-join it on SQLite and PostgreSQL alike. Nothing is loaded into Python: the audience is
streamed by the database into the deliveries table.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from crm.campaigns.models import Campaign
from crm.consent.models import OptInStatus, Subscription, Suppression, contact_topics
from crm.extensions import db
from crm.mail.pipeline import queue_from_select
from crm.partners.models import Contact
from crm.segments import services as segments

KIND = "campaign"


def _conditions(campaign: Campaign) -> list[sa.ColumnElement[bool]]:
    conditions = [
        Subscription.status == OptInStatus.CONFIRMED.value,
        Contact.email.is_not(None),
        sa.exists().where(contact_topics.c.contact_id == Contact.id, contact_topics.c.topic_id == campaign.topic_id),
        ~sa.exists().where(Suppression.email_hash == Contact.email_hash),
    ]
    if campaign.segment is not None:
        conditions.extend(segments.conditions(segments.criteria_of(campaign.segment)))
    return conditions


def count(campaign: Campaign) -> int:
    stmt = sa.select(sa.func.count()).select_from(Contact).join(Subscription, Subscription.contact_id == Contact.id)
    return db.session.scalar(stmt.where(*_conditions(campaign))) or 0


def rows(campaign: Campaign) -> sa.Select[Any]:
    """kind, contact_id, campaign_id, source_id, dedupe_key: the shape ``queue_from_select`` takes."""
    dedupe_key = sa.literal(f"{KIND}:{campaign.id}:contact:", sa.String) + sa.cast(Contact.id, sa.String)
    return (
        sa.select(sa.literal(KIND, sa.String), Contact.id, sa.literal(campaign.id, sa.Integer),
                  sa.null(), dedupe_key)
        .select_from(Contact)
        .join(Subscription, Subscription.contact_id == Contact.id)
        .where(*_conditions(campaign))
    )


def materialise(campaign: Campaign) -> int:
    """One delivery per recipient (unique: running it twice adds nobody). Flushes; the caller commits."""
    return queue_from_select(rows(campaign))
