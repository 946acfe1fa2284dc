"""A campaign's content: Markdown rendered then sanitised (nh3), the mail template prepared once per campaign,
then personalised per recipient by plain substitution (fast: the template and the CSS inlining run once).

Authors write ``{{prenom}}``, ``{{nom}}``, ``{{nom_complet}}``, ``{{civilite}}``, ``{{structure}}`` in the
subject, the preheader or the body.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, partial
from types import SimpleNamespace
from typing import Any, NamedTuple

import markdown
import nh3
import sqlalchemy as sa
from flask import current_app
from flask_babel import get_locale
from flask_mail import Message
from markupsafe import Markup

from crm.campaigns import blocks
from crm.campaigns import links as click_links
from crm.campaigns.models import Campaign, CampaignStatus
from crm.consent.mail_kinds import Category, MailKind
from crm.extensions import db
from crm.security import absolute_url
from crm.forms import lazy_gettext as _l
from crm.mail.models import Delivery
from crm.mail.mime import PersonalMime
from crm.mail.plaintext import html_to_text
from crm.mail.rendering import compose, render_bodies
from crm.partners.models import CIVILITIES
from crm.signup.links import list_unsubscribe_headers, preferences_url

KIND = "campaign"
class Field(NamedTuple):
    """A personal field: its value for a person, and its neutral form for the public archive ("Bonjour
    {{prenom}}," reads "Bonjour,": an empty form takes the space before it away; None: none, the editor warns)."""

    value: Callable[[Any], str]
    neutral: str | None


PERSONAL_FIELDS: dict[str, Field] = {
    "prenom": Field(lambda c: c.first_name or "", ""),
    "nom": Field(lambda c: c.last_name or "", ""),
    "nom_complet": Field(lambda c: f"{c.first_name} {c.last_name}".strip(), ""),
    "civilite": Field(lambda c: CIVILITIES.get(c.civility or "", ""), ""),
    "structure": Field(lambda c: c.organisation.name if c.organisation is not None else "", "votre structure"),
}
FIELDS: dict[str, Callable[[Any], str]] = {name: field.value for name, field in PERSONAL_FIELDS.items()}
LINKS = ("preferences_url", "unsubscribe_url")
PLACEHOLDER = re.compile(r"\{\{\s*(" + "|".join(FIELDS) + r")\s*\}\}")
# Markers survive Markdown, nh3, Jinja and CSS inlining untouched (letters, digits and percent signs only).
MARK = "%%crm{}%%"
# A block's personal link (an event's answer link) is a marker too: "blk" + keyword + id.
MARKS = re.compile(r"%%crm(" + "|".join([*FIELDS, *LINKS]) + r"|blk[a-z]+\d+)%%")
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
SAMPLE_CONTACT = SimpleNamespace(id=0, first_name="Camille", last_name="Exemple", civility="mme",
                                 organisation=SimpleNamespace(name="Structure exemple"), email="")


def _marked(text: str) -> str:
    return PLACEHOLDER.sub(lambda m: MARK.format(m.group(1)), text)


# A personal field is text: put into an attribute (a link's address), a first name like "javascript:alert(1)//"
# would become a link. nh3 writes every attribute value between double quotes.
_ATTRIBUTE_VALUE = re.compile(r'="[^"]*"')
_FIELD_MARKS = re.compile(r"%%crm(" + "|".join(FIELDS) + r")%%")


def _sanitised(markdown_text: str) -> str:
    rendered = markdown.markdown(markdown_text or "", extensions=["extra", "sane_lists"], output_format="html")
    clean = nh3.clean(rendered, url_schemes=ALLOWED_URL_SCHEMES, link_rel="noopener noreferrer")
    return _ATTRIBUTE_VALUE.sub(lambda value: _FIELD_MARKS.sub("", value.group(0)), clean)


def render_body(markdown_text: str, *, public: bool = False) -> tuple[str, blocks.Rendering]:
    """The letter's Markdown as sanitised HTML (nh3), where personal fields stand only in text, its blocks
    (crm.campaigns.blocks) put in as mail-safe HTML; and what the blocks said (problems, references)."""
    rendering = blocks.extract(markdown_text or "", public=public, render_markdown=_sanitised)
    return blocks.put_back(_sanitised(rendering.markdown), rendering), rendering


def body_html(markdown_text: str, *, public: bool = False) -> str:
    return render_body(markdown_text, public=public)[0]


@dataclass(frozen=True)
class Prepared:
    subject: str
    html: str
    text: str

    @cached_property
    def mime(self) -> PersonalMime:
        """The bodies encoded once for all recipients, each person's values put in per message."""
        return PersonalMime(self.text, self.html, MARKS, html.escape)


_cache: dict[tuple[Any, ...], Prepared] = {}


def _archive_url(campaign: Campaign) -> str | None:
    if not campaign.public:
        return None
    return absolute_url("campaigns.archive.show", campaign_id=campaign.id)


def register_links(campaign: Campaign) -> int:
    """The letter's outside links get their click counters (when its sending starts). Flushes."""
    return click_links.register(campaign, body_html(_marked(campaign.body_markdown)))


def prepare(campaign: Campaign, *, with_links: bool = True, count_clicks: bool = False) -> Prepared:
    """The campaign's mail with markers where per-person values go; cached per campaign version. With
    ``count_clicks`` (the messages really sent), its registered links go through the counting redirect."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    count_clicks = count_clicks and campaign.started_at is not None
    key = (id(app), campaign.id, campaign.updated_at, campaign.subject, campaign.preheader, campaign.body_markdown,
           campaign.public, with_links, count_clicks, campaign.started_at, str(get_locale()))
    prepared = _cache.get(key)
    if prepared is None:
        rewrite = (lambda body: click_links.rewrite(campaign, body)) if count_clicks else None
        prepared = _prepare(campaign.subject, campaign.preheader, campaign.body_markdown,
                            _archive_url(campaign) if campaign.id else None, with_links=with_links,
                            rewrite=rewrite)[0]
        if len(_cache) > 64:
            _cache.clear()
        _cache[key] = prepared
    return prepared


def _prepare(subject: str, preheader: str, body_markdown: str, archive_url: str | None, *,
             with_links: bool = True,
             rewrite: Callable[[str], str] | None = None) -> tuple[Prepared, blocks.Rendering]:
    body, rendering = render_body(_marked(body_markdown))
    if rewrite is not None:  # the letter's outside links through the click counter (the messages really sent)
        body = rewrite(body)
    links = {name: MARK.format(name) for name in LINKS} if with_links else {}
    text, mail_html = render_bodies(
        "campaign", subject=_marked(subject), preheader=_marked(preheader),
        body_html=Markup(body), body_text=html_to_text(body).rstrip("\n"), archive_url=archive_url, **links,
    )
    return Prepared(_marked(subject), mail_html or "", text), rendering


@dataclass(frozen=True)
class Draft:
    """What the editor shows beside the text as one types: the mail as a sample person receives it, its text
    part, and what the author should know (unknown fields, blocks that could not be drawn)."""

    html: str
    text: str
    warnings: list[str]


def preview_draft(subject: str, preheader: str, body_markdown: str) -> Draft:
    """A letter not yet saved, rendered by the same code as the mail that leaves (with a sample person)."""
    prepared, rendering = _prepare(subject, preheader, body_markdown, None)
    links = {name: "#" for name in LINKS}
    warnings = [*rendering.problems, *field_warnings(subject, preheader, body_markdown)]
    return Draft(personalise(prepared.html, SAMPLE_CONTACT, links, escape=True),
                 personalise(prepared.text, SAMPLE_CONTACT, links, escape=False), warnings)


def _value(name: str, contact: Any, links: dict[str, str]) -> str:
    """What goes where the marker ``name`` stands, for this person (raw text)."""
    if name in LINKS:
        return links.get(name, "")
    if name in FIELDS:
        return FIELDS[name](contact)
    return blocks.personal_url(name, contact)


def personalise(template: str, contact: Any, links: dict[str, str], *, escape: bool) -> str:
    def value(match: re.Match[str]) -> str:
        raw = _value(match.group(1), contact, links)
        return html.escape(raw) if escape else raw

    return MARKS.sub(value, template)


def message_for(campaign: Campaign, contact: Any) -> Message:
    """The letter as this person receives it: the bodies prepared and encoded once per letter, this person's
    values (fields, personal links) put in."""
    headers = list_unsubscribe_headers(contact)
    # The footer's unsubscribe link is the one-click URL of the header (one signature less per message).
    links = {"preferences_url": preferences_url(contact),
             "unsubscribe_url": headers["List-Unsubscribe"].strip().removeprefix("<").removesuffix(">")}
    prepared = prepare(campaign, count_clicks=True)
    mime = prepared.mime
    values = {name: _value(name, contact, links) for name in mime.names}
    return compose(contact.email, personalise(prepared.subject, contact, {}, escape=False), None, None,
                   extra_headers=headers, message_factory=partial(mime.message, values))


def test_message_for(campaign: Campaign, to: str) -> Message:
    """A test to a team member: a sample person's values, and no one's personal links (the footer leads to the
    public signup page instead; no List-Unsubscribe header)."""
    signup_page = absolute_url("signup.signup")
    links = {"preferences_url": signup_page, "unsubscribe_url": signup_page}
    return _compose(campaign, SAMPLE_CONTACT, to, links, None, subject_prefix="[TEST] ")


def _compose(campaign: Campaign, contact: Any, to: str, links: dict[str, str], headers: dict[str, str] | None,
             subject_prefix: str = "") -> Message:
    prepared = prepare(campaign)
    return compose(
        to,
        subject_prefix + personalise(prepared.subject, contact, {}, escape=False),
        personalise(prepared.text, contact, links, escape=False),
        personalise(prepared.html, contact, links, escape=True),
        extra_headers=headers,
    )


def render_delivery(delivery: Delivery) -> Message | None:
    """The pipeline's renderer for kind "campaign"."""
    # Kept on the session so that the identity map does not drop and reload it for every recipient.
    cache: dict[int, Campaign] = db.session.info.setdefault("crm_campaigns", {})
    campaign = None
    if delivery.campaign_id:
        campaign = cache.get(delivery.campaign_id) or db.session.get(Campaign, delivery.campaign_id)
        if campaign is not None:
            cache[delivery.campaign_id] = campaign
    contact = delivery.contact
    if campaign is None or contact is None or not contact.email:
        return None
    return message_for(campaign, contact)


def preview(campaign: Campaign) -> tuple[str, str]:
    """HTML and text as a subscriber sees them, with a sample person."""
    prepared = prepare(campaign)
    links = {name: "#" for name in LINKS}
    return (personalise(prepared.html, SAMPLE_CONTACT, links, escape=True),
            personalise(prepared.text, SAMPLE_CONTACT, links, escape=False))


_MARK_AFTER_SPACE = re.compile(r"([ \t\xa0]*)%%crm(" + "|".join([*FIELDS, *LINKS]) + r")%%")


def _neutral(template: str, *, escape: bool) -> str:
    def value(match: re.Match[str]) -> str:
        field = PERSONAL_FIELDS.get(match.group(2))
        neutral = field.neutral if field is not None else ""
        return match.group(1) + (html.escape(neutral) if escape else neutral) if neutral else ""

    return _MARK_AFTER_SPACE.sub(value, template)


def fields_without_neutral_form(*texts: str) -> list[str]:
    """The personal fields used in these texts that the public archive could not show neutrally (the editor
    warns about them)."""
    used = {name for text in texts for name in PLACEHOLDER.findall(text or "")}
    return sorted(name for name in used if PERSONAL_FIELDS[name].neutral is None)


ANY_PLACEHOLDER = re.compile(r"\{\{\s*([^{}\n]*?)\s*\}\}")


def unknown_fields(*texts: str) -> list[str]:
    """What is written between {{ }} that is neither a personal field nor a block: it would reach the reader
    as it is written."""
    known_blocks = set(blocks.keywords())
    unknown = []
    for text in texts:
        for found in ANY_PLACEHOLDER.findall(text or ""):
            word = found.split(" ", 1)[0] if found else found
            if found not in FIELDS and word not in known_blocks and found not in unknown:
                unknown.append(found)
    return unknown


def field_warnings(*texts: str) -> list[str]:
    warnings = [f"Le champ {{{{{name}}}}} n'existe pas : il paraîtrait tel quel dans la lettre. Champs connus : "
                + ", ".join(f"{{{{{field}}}}}" for field in FIELDS) + "." for name in unknown_fields(*texts)]
    warnings += [f"Le champ {{{{{name}}}}} n'a pas de forme neutre : l'archive publique l'omettra."
                 for name in fields_without_neutral_form(*texts)]
    return warnings


FIELD_LABELS = {"prenom": "Prénom", "nom": "Nom", "nom_complet": "Prénom et nom", "civilite": "Civilité",
                "structure": "Structure"}


def field_list() -> list[dict[str, str]]:
    """The personal fields for the editor: name, label, the sample person's value, the archive's neutral form."""
    return [{"name": name, "label": FIELD_LABELS.get(name, name), "sample": field.value(SAMPLE_CONTACT),
             "neutral": field.neutral if field.neutral is not None else ""}
            for name, field in PERSONAL_FIELDS.items()]


def public_text(text: str) -> str:
    """A subject or preheader for the public archive: each personal field in its neutral form ("{{prenom}}, la
    lettre de juin" reads "La lettre de juin")."""
    neutral = _neutral(_marked(text), escape=False).strip().lstrip(",;: ").strip()
    return neutral[:1].upper() + neutral[1:]


def public_body(campaign: Campaign) -> tuple[str, str]:
    """Subject and body for the public archive: no person's values, no personal links."""
    return public_text(campaign.subject), _neutral(body_html(_marked(campaign.body_markdown), public=True),
                                                   escape=True)


def claimable() -> sa.ColumnElement[bool]:
    """The ``mail.claim_filter`` hook: a paused, cancelled or finished campaign's deliveries are not claimed."""
    sending = sa.select(Campaign.id).where(Campaign.status == CampaignStatus.SENDING.value)
    return sa.or_(Delivery.campaign_id.is_(None), Delivery.campaign_id.in_(sending))


def _letter_topic() -> sa.ColumnElement[int]:
    """The topic of the letter a delivery belongs to: a subscriber who left it gets no more of that letter."""
    # Correlated to the delivery of the enclosing query, however deep the rule nests it.
    return sa.select(Campaign.topic_id).where(Campaign.id == Delivery.campaign_id).correlate(Delivery).scalar_subquery()


MAIL_KIND = MailKind(KIND, _l("La lettre d'information"), Category.NEWSLETTER, render_delivery, topic="lettre",
                     delivery_topic=_letter_topic)
