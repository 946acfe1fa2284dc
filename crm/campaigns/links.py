"""Link statistics that track no one: each link of a letter goes through ``/l/<letter>/<link>``, which counts
the click on the link's row and redirects. The address holds no per-recipient part (every recipient gets the
same URL), no address or time of a click is kept, and the route's access log line carries no client address.
The target is looked up by the link's id within that letter: a forged or foreign target is refused (no open
redirect). No open pixel.

Not rewritten: links to this site (unsubscribe, preferences, RSVP and other personal signed links must keep
working, and counting them would say who acted) and personal fields (``%%crm…%%`` markers).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, Flask, abort, current_app, redirect, request
from werkzeug.wrappers import Response

from crm.campaigns.models import Campaign, CampaignLink
from crm.extensions import db
from crm.security import absolute_url

bp = Blueprint("links", __name__)
PREFIX = "/l/"
_HREF = re.compile(r'(<a\b[^>]*?\bhref=")([^"]*)(")', re.IGNORECASE)


def _counted(url: str) -> bool:
    """An outside http(s) link: counted. Our own site's links and personal fields are left as they are."""
    target = urlsplit(url.replace("&amp;", "&"))
    if target.scheme not in {"http", "https"} or not target.netloc or "%%crm" in url:
        return False
    own = urlsplit(current_app.config["BASE_URL"])
    return target.netloc.lower() != own.netloc.lower()


def _unescape(url: str) -> str:
    return url.replace("&amp;", "&")


def links_in(body_html: str) -> list[str]:
    """The counted links of a letter's body, in order of first appearance, each once."""
    found: list[str] = []
    for match in _HREF.finditer(body_html):
        url = _unescape(match.group(2))
        if _counted(url) and url not in found:
            found.append(url)
    return found


def register(campaign: Campaign, body_html: str) -> int:
    """The letter's links get their rows (once: before the first message leaves). Flushes; returns how many."""
    known = set(db.session.scalars(sa.select(CampaignLink.url).where(CampaignLink.campaign_id == campaign.id)))
    added = 0
    for position, url in enumerate(links_in(body_html)):
        if url not in known and len(url) <= 2000:
            db.session.add(CampaignLink(campaign_id=campaign.id, url=url, position=position, clicks=0))
            added += 1
    db.session.flush()
    return added


def redirect_url(campaign_id: int, link_id: int) -> str:
    return absolute_url("campaigns.links.follow", campaign_id=campaign_id, link_id=link_id)


def rewrite(campaign: Campaign, body_html: str) -> str:
    """The body with each registered link replaced by its counting address (one query)."""
    ids = dict(db.session.execute(sa.select(CampaignLink.url, CampaignLink.id)
                                  .where(CampaignLink.campaign_id == campaign.id)).all())
    if not ids:
        return body_html

    def replace(match: re.Match[str]) -> str:
        link_id = ids.get(_unescape(match.group(2)))
        if link_id is None:
            return match.group(0)
        return f"{match.group(1)}{redirect_url(campaign.id, link_id)}{match.group(3)}"

    return _HREF.sub(replace, body_html)


def follow(campaign_id: int, link_id: int, *, count: bool = True) -> str | None:
    """The target of this letter's link, its click counted; None when the letter has no such link. Flushes."""
    url = db.session.scalar(sa.select(CampaignLink.url).where(CampaignLink.id == link_id,
                                                              CampaignLink.campaign_id == campaign_id))
    if url is None or urlsplit(url).scheme not in {"http", "https"}:
        return None
    if count:
        db.session.execute(sa.update(CampaignLink).where(CampaignLink.id == link_id)
                           .values(clicks=CampaignLink.clicks + 1).execution_options(synchronize_session=False))
        db.session.flush()
    return url


def statistics(campaign: Campaign) -> tuple[list[CampaignLink], int]:
    """The letter's links in order, and the total of clicks."""
    rows = list(db.session.scalars(sa.select(CampaignLink).where(CampaignLink.campaign_id == campaign.id)
                                   .order_by(CampaignLink.position, CampaignLink.id)))
    return rows, sum(row.clicks for row in rows)


def follow_link(campaign_id: int, link_id: int) -> Response:
    """GET counts and redirects; HEAD (link checkers, mail scanners) redirects without counting."""
    url = follow(campaign_id, link_id, count=request.method == "GET")
    if url is None:
        abort(404)
    db.session.commit()
    response = redirect(url, 302)
    response.headers["Cache-Control"] = "no-store"  # every click reaches us, and no one's browser keeps a trace
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


bp.add_url_rule(f"{PREFIX}<int:campaign_id>/<int:link_id>", endpoint="follow", view_func=follow_link)


class _NoClientAddress(logging.Filter):
    """Access log lines of the counting route lose the client's address (werkzeug's development server writes
    it first in the message; the request line is the first argument)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and args and f" {PREFIX}" in str(args[0]) and isinstance(record.msg, str):
            record.msg = re.sub(r"^\S+", "-", record.msg)
        return True


def setup(app: Flask) -> None:
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(existing, _NoClientAddress) for existing in logger.filters):
        logger.addFilter(_NoClientAddress())
