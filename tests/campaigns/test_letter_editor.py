"""The letter editor's server side: live preview of unsaved text, blocks (button, article, event and action
cards), personal answer links, the archive's neutral form, templates and housekeeping, field warnings."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

import scheduler
from crm.actions import services as actions
from crm.campaigns import services as campaigns
from crm.campaigns.models import Campaign, LetterTemplate
from crm.db import utcnow
from crm.events import services as events
from crm.events.models import Event, Invitation
from crm.extensions import db
from crm.partners.models import Axis
from tests.factories import campaign, subscriber
from tests.smtp_sink import SmtpSink

IMAGE = "http://localhost/medias/" + "a" * 64 + ".png"


def make_event(title: str = "Visite de la fonderie") -> Event:
    # 13:30 UTC on a day of January: 14h30 in Paris (winter time).
    starts = datetime(utcnow().year + 1, 1, 15, 13, 30, tzinfo=UTC)
    event = events.create_event(events.EventInput(kind="lancement", title=title, starts_at=starts,
                                                  ends_at=starts + timedelta(hours=2), place="Fonderie, Alençon"))
    db.session.commit()
    return event


def body(event_id: int) -> str:
    return (f"## Les nouvelles de {{{{prenom}}}}\n\n![Atelier de la fonderie]({IMAGE})\n\n"
            f"{{{{ evenement {event_id} }}}}\n\n{{{{ bouton \"Tout le programme\" https://exemple.fr/programme }}}}\n")


def test_live_preview_renders_unsaved_text_with_the_mail_renderer(client: Any, login: Any) -> None:
    login("editor")
    event = make_event()
    response = client.post("/admin/lettres/apercu-en-direct", data={
        "subject": "Lettre de {{prenom}}", "preheader": "", "body_markdown": body(event.id) + "{{ inconnu }}"})
    assert response.status_code == 200
    mail, text = response.json["html"], response.json["text"]
    assert "<h2" in mail and "Les nouvelles de Camille" in mail  # the sample person
    assert f'src="{IMAGE}"' in mail and 'alt="Atelier de la fonderie"' in mail
    assert "Visite de la fonderie" in mail and "Fonderie, Alençon" in mail and "14h30" in mail  # Paris time (CET)
    assert 'href="https://exemple.fr/programme"' in mail and "style=" in mail  # CSS inlined, as sent
    assert "Tout le programme <https://exemple.fr/programme>" in text
    assert any("{{inconnu}}" in warning for warning in response.json["warnings"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 0  # nothing saved


def test_blocks_that_cannot_be_drawn_are_reported(client: Any, login: Any) -> None:
    login("editor")
    response = client.post("/admin/lettres/apercu-en-direct", data={
        "subject": "S", "body_markdown": '{{ evenement 999 }}\n\n{{ bouton "X" javascript:alert(1) }}'})
    warnings = " ".join(response.json["warnings"])
    assert "le numéro 999 n'existe pas" in warnings and "Bouton mal écrit" in warnings
    assert "javascript:" not in response.json["html"].split("<body", 1)[1].split("{{ bouton")[0]


def test_the_sent_mail_carries_the_image_a_working_personal_answer_link_and_a_readable_text(
        smtp_app: Flask, smtp_sink: SmtpSink) -> None:
    alice = subscriber("alice@example.org", "Alice", "Martin")
    bruno = subscriber("bruno@example.org", "Bruno", "Durand")
    event = make_event()
    item = campaign("Lettre de {{prenom}}", body(event.id))
    db.session.commit()
    assert scheduler.run_once(smtp_app) == 0
    db.session.expire_all()
    assert db.session.get(Campaign, item.id).status == "sent"

    by_rcpt = {received.rcpt_tos[0]: received.message for received in smtp_sink.received}
    links = {}
    for person in (alice, bruno):
        message = by_rcpt[person.email]
        mail = message.get_body(preferencelist=("html",)).get_content()
        text = message.get_body(preferencelist=("plain",)).get_content()
        assert f'src="{IMAGE}"' in mail and "max-width: 100%" in mail  # a 1200 px image fits a phone
        found = re.search(r'href="(http://localhost/evenements/\d+/lettre/[^"]+)"', mail)
        assert found is not None
        links[person.email] = found.group(1).replace("&amp;", "&")
        assert links[person.email] in text  # the text part has the same link, readable
        assert f"Les nouvelles de {person.first_name}" in text
        assert "Visite de la fonderie" in text and "Fonderie, Alençon" in text
        assert "[Atelier de la fonderie]" in text and "%%crm" not in text and "%%crm" not in mail
    assert links["alice@example.org"] != links["bruno@example.org"]

    client = smtp_app.test_client()
    path = links["alice@example.org"].removeprefix("http://localhost")
    page = client.get(path)
    assert page.status_code == 200 and "Alice Martin" in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0  # a GET changes nothing
    answered = client.post(path, data={"answer": "yes"})
    assert answered.status_code == 200
    invitation = db.session.scalar(sa.select(Invitation).where(Invitation.contact_id == alice.id))
    assert invitation is not None and invitation.event_id == event.id and invitation.status == "accepted"
    assert db.session.scalar(sa.select(Invitation).where(Invitation.contact_id == bruno.id)) is None
    # Another event's number with Alice's token, or a forged token: refused, nothing written.
    other = make_event("Autre")
    assert client.get(path.replace(f"/evenements/{event.id}/", f"/evenements/{other.id}/")).status_code == 404
    assert client.post(path[:-3] + "xyz", data={"answer": "yes"}).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 1

    # The public archive: the image, the event without anyone's link, and a policy that allows the image.
    archive = client.get(f"/lettres/{item.id}")
    page_text = archive.get_data(as_text=True)
    assert f'src="{IMAGE}"' in page_text and "Visite de la fonderie" in page_text
    assert "/lettre/" not in page_text and "lien personnel pour répondre" in page_text
    assert "Les nouvelles de</h2>" in page_text or "Les nouvelles de </h2>" in page_text
    assert "img-src 'self'" in archive.headers["Content-Security-Policy"]


def test_an_action_card_and_the_action_page_lists_the_letters_mentioning_it(client: Any, login: Any) -> None:
    login("editor")
    axis = db.session.scalar(sa.select(Axis).where(Axis.code == "foncier"))
    action = actions.create_action(actions.ActionInput(code="4.1", title="Friches industrielles", axis_id=axis.id))
    other = actions.create_action(actions.ActionInput(code="4.2", title="Autre action", axis_id=axis.id))
    actions.add_milestone(action, "Inventaire", None, utcnow().date())
    actions.add_milestone(action, "Études", None)
    db.session.commit()
    letter = campaigns.save_campaign(campaigns.CampaignInput(subject="Lettre foncier",
                                                             body_markdown=f"{{{{ action {action.id} }}}}"))
    db.session.commit()
    preview = client.post("/admin/lettres/apercu-en-direct",
                          data={"subject": "S", "body_markdown": f"{{{{ action {action.id} }}}}"}).json["html"]
    assert "Action 4.1" in preview and "Friches industrielles" in preview and "Foncier" in preview
    assert "Avancement : 50 %" in preview
    page = client.get(f"/admin/plan-d-actions/{action.id}").get_data(as_text=True)
    assert "Lettre foncier" in page and f"/admin/lettres/{letter.id}" in page
    assert "Lettre foncier" not in client.get(f"/admin/plan-d-actions/{other.id}").get_data(as_text=True)


def test_save_as_template_start_from_it_duplicate_and_delete_a_draft(client: Any, login: Any) -> None:
    login("editor")
    subscriber("s@example.org", "S", "X")
    item = campaign("Lettre de juin", "Texte **de juin**", schedule=False)
    assert client.post(f"/admin/lettres/{item.id}/modele", data={"name": ""}).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LetterTemplate)) == 0
    client.post(f"/admin/lettres/{item.id}/modele", data={"name": "Lettre mensuelle"})
    template = db.session.scalar(sa.select(LetterTemplate))
    assert template.name == "Lettre mensuelle" and template.body_markdown == "Texte **de juin**"
    started = client.get(f"/admin/lettres/nouvelle?modele={template.id}").get_data(as_text=True)
    assert "Texte **de juin**" in started and 'value="Lettre de juin"' in started
    duplicated = client.get(f"/admin/lettres/nouvelle?depuis={item.id}").get_data(as_text=True)
    assert "Texte **de juin**" in duplicated
    assert client.get("/admin/lettres/nouvelle?modele=999").status_code == 404

    # A draft goes; a scheduled or sent letter stays (it can leave the archive instead).
    sent = campaign("Lettre envoyée", "Texte", schedule=False)
    sent.status = "sent"
    db.session.commit()
    client.post(f"/admin/lettres/{sent.id}/supprimer")
    assert db.session.get(Campaign, sent.id) is not None
    client.post(f"/admin/lettres/{sent.id}/archives")
    assert db.session.get(Campaign, sent.id).public is False
    assert client.get(f"/lettres/{sent.id}").status_code == 404
    item_id = item.id
    client.post(f"/admin/lettres/{item_id}/supprimer")
    assert db.session.scalar(sa.select(sa.func.count()).where(Campaign.id == item_id)) == 0


def test_autosave_keeps_a_draft_only(client: Any, login: Any) -> None:
    login("editor")
    subscriber("s@example.org", "S", "X")
    draft = campaign("Brouillon", "Avant", schedule=False)
    answer = client.post(f"/admin/lettres/{draft.id}/brouillon",
                         data={"subject": "Brouillon", "preheader": "", "body_markdown": "Après"})
    assert answer.json["saved"] is True and db.session.get(Campaign, draft.id).body_markdown == "Après"
    refused = client.post(f"/admin/lettres/{draft.id}/brouillon", data={"subject": "", "body_markdown": "X"})
    assert refused.status_code == 400 and db.session.get(Campaign, draft.id).body_markdown == "Après"
    scheduled = campaign("Programmée", "Avant")
    refused = client.post(f"/admin/lettres/{scheduled.id}/brouillon", data={"subject": "P", "body_markdown": "X"})
    assert refused.status_code == 400 and db.session.get(Campaign, scheduled.id).body_markdown == "Avant"


def test_the_editor_lists_fields_and_warns_on_an_unknown_one(client: Any, login: Any) -> None:
    login("editor")
    page = client.get("/admin/lettres/nouvelle")
    text = page.get_data(as_text=True)
    assert "{{structure}}" in text and "votre structure" in text  # its neutral form for the archive
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    saved = client.post("/admin/lettres/nouvelle", data={"subject": "S", "body_markdown": "Bonjour {{prenon}}",
                                                         "topic": "lettre", "segment_id": "0"},
                        follow_redirects=True)
    assert "Le champ {{prenon}} n'existe pas" in html.unescape(saved.get_data(as_text=True))
    clean = client.post("/admin/lettres/nouvelle", data={"subject": "S", "body_markdown": "Bonjour {{prenom}}",
                                                         "topic": "lettre", "segment_id": "0"},
                        follow_redirects=True)
    assert "n'existe pas" not in html.unescape(clean.get_data(as_text=True))
