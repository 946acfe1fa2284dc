"""The letters' section of the dashboard: sent, bounced and unsubscribed after each recent letter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from crm.campaigns.models import Campaign
from crm.consent.models import ConsentAction, ConsentRecord
from crm.extensions import db
from crm.mail.models import Delivery, DeliveryStatus

DELIVERED = (DeliveryStatus.SENT.value, DeliveryStatus.BOUNCED.value)


@dataclass
class CampaignFigures:
    subject: str
    date: datetime | None
    sent: int
    bounced: int
    unsubscribed: int


def recent(limit: int = 8) -> list[CampaignFigures]:
    letters = db.session.execute(sa.select(Campaign.id, Campaign.subject, Campaign.started_at)
                                 .where(Campaign.started_at.is_not(None))
                                 .order_by(Campaign.started_at.desc()).limit(limit)).all()
    if not letters:
        return []
    ids = [row.id for row in letters]
    counts: dict[int, dict[str, int]] = {i: {} for i in ids}
    for campaign_id, status, number in db.session.execute(
            sa.select(Delivery.campaign_id, Delivery.status, sa.func.count())
            .where(Delivery.campaign_id.in_(ids)).group_by(Delivery.campaign_id, Delivery.status)):
        counts[campaign_id][status] = number
    result = []
    for row in letters:
        recipients = sa.select(Delivery.contact_id).where(Delivery.campaign_id == row.id,
                                                          Delivery.status.in_(DELIVERED))
        unsubscribed = db.session.scalar(sa.select(sa.func.count(sa.distinct(ConsentRecord.contact_id))).where(
            ConsentRecord.action == ConsentAction.UNSUBSCRIBE.value, ConsentRecord.at >= row.started_at,
            ConsentRecord.contact_id.in_(recipients))) or 0
        c = counts[row.id]
        result.append(CampaignFigures(row.subject, row.started_at, sum(c.get(s, 0) for s in DELIVERED),
                                      c.get(DeliveryStatus.BOUNCED.value, 0), unsubscribed))
    return result


def panel() -> dict[str, Any]:
    return {"campaigns": recent()}
