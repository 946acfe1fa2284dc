"""The public archive of sent issues and its Atom feed: no personal data, no personal links."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, abort, current_app, render_template
from markupsafe import Markup

from crm.campaigns import content, services
from crm.campaigns.models import Campaign, CampaignStatus
from crm.db import utcnow
from crm.extensions import db

bp = Blueprint("archive", __name__, url_prefix="/lettres")
FEED_SIZE = 30


def _published(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.status != CampaignStatus.SENT.value or not campaign.public:
        abort(404)
    return campaign


def _atom_date(value: datetime | None) -> str:
    return (value or utcnow()).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@bp.route("/")
def index() -> str:
    issues = [(campaign, content.public_text(campaign.subject)) for campaign in services.archived()]
    return render_template("campaigns/archive.html", issues=issues)


@bp.route("/<int:campaign_id>")
def show(campaign_id: int) -> str:
    campaign = _published(campaign_id)
    subject, body = content.public_body(campaign)
    return render_template("campaigns/archive_issue.html", campaign=campaign, subject=subject, body=Markup(body))


@bp.route("/feed.atom")
def feed() -> Response:
    entries = []
    for campaign in services.archived()[:FEED_SIZE]:
        subject, body = content.public_body(campaign)
        entries.append({"id": campaign.id, "subject": subject, "body": body,
                        "summary": content.public_text(campaign.preheader), "date": _atom_date(campaign.finished_at)})
    xml = render_template("campaigns/feed.xml", entries=entries, base_url=current_app.config["BASE_URL"],
                          organisation_name=current_app.config["ORGANISATION_NAME"],
                          updated=entries[0]["date"] if entries else _atom_date(None))
    return Response(xml, mimetype="application/atom+xml")
