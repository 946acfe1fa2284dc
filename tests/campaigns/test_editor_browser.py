"""In a real browser: writing a letter in the two-pane editor (heading, uploaded image, event card, button), the
live preview before saving, a template, a second letter from it, a test, the schedule, the send, the archive."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from PIL import Image as PILImage
from playwright.sync_api import expect

import scheduler
from crm.campaigns.models import Campaign
from crm.db import utcnow
from crm.events import services as events
from crm.extensions import db
from tests.factories import subscriber
from tests.fixtures import PASSWORD

pytestmark = pytest.mark.browser


def _png() -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (1600, 800), (30, 90, 160)).save(out, "PNG")
    return out.getvalue()


def test_write_preview_template_test_schedule_send_and_archive(app: Any, live_server: Any, page: Any,
                                                               make_user: Any) -> None:
    make_user("editor", "cheffe@example.org")
    subscriber("abonnee@example.org", "Alice", "Martin")
    starts = datetime(utcnow().year + 1, 1, 15, 13, 30, tzinfo=UTC)
    event = events.create_event(events.EventInput(kind="lancement", title="Visite de la fonderie",
                                                  starts_at=starts, ends_at=starts + timedelta(hours=2),
                                                  place="Fonderie, Alençon"))
    db.session.commit()
    answers = iter(["S'inscrire", "https://exemple.fr/programme"])
    page.on("dialog", lambda dialog: dialog.accept(next(answers, "")) if dialog.type == "prompt" else dialog.accept())

    page.goto(f"{live_server.url}/admin/lettres/nouvelle")
    page.get_by_label("Adresse e-mail").fill("cheffe@example.org")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/admin/lettres/nouvelle")

    page.get_by_label("Objet").fill("Les nouvelles de janvier")
    editor = page.locator("#letter-editor")
    editor.click()
    page.keyboard.type("## Le programme avance")
    page.get_by_role("button", name="Image", exact=True).click()
    dialog = page.locator("[data-image-dialog]")
    dialog.locator("input[type=file]").set_input_files(
        files=[{"name": "atelier.png", "mimeType": "image/png", "buffer": _png()}])
    dialog.get_by_label("Texte alternatif").fill("L'atelier de la fonderie")
    dialog.get_by_role("button", name="Envoyer et insérer").click()
    expect(dialog).to_be_hidden()
    page.get_by_label("Événement").select_option(str(event.id))
    page.get_by_role("button", name="Bouton", exact=True).click()

    # The live preview, before anything is saved.
    frame = page.frame_locator("[data-preview-frame]")
    expect(frame.get_by_role("heading", name="Le programme avance")).to_be_visible()
    expect(frame.get_by_text("Visite de la fonderie")).to_be_visible()
    expect(frame.get_by_role("link", name="S'inscrire")).to_have_attribute("href", "https://exemple.fr/programme")
    expect(frame.get_by_role("img", name="L'atelier de la fonderie")).to_be_visible()
    assert frame.get_by_role("img", name="L'atelier de la fonderie").evaluate("img => img.naturalWidth") == 1200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 0
    page.get_by_role("button", name="Téléphone").click()
    expect(page.locator("[data-preview-frame]")).to_have_class("mail-frame live-frame phone")
    page.get_by_role("button", name="Version texte").click()
    expect(page.locator("[data-preview-text]")).to_contain_text("S'inscrire <https://exemple.fr/programme>")

    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.wait_for_url("**/admin/lettres/*")
    first = db.session.scalar(sa.select(Campaign))
    assert "{{ evenement %d }}" % event.id in first.body_markdown and "/medias/" in first.body_markdown

    page.goto(f"{live_server.url}/admin/lettres/{first.id}/modifier")
    page.get_by_label("Nom du modèle").fill("Lettre mensuelle")
    page.get_by_role("button", name="Enregistrer le modèle").click()
    page.wait_for_url("**/admin/lettres/modeles")
    page.get_by_role("link", name="Nouvelle lettre à partir de ce modèle").click()
    page.wait_for_url("**/admin/lettres/nouvelle?modele=*")
    expect(page.get_by_label("Objet")).to_have_value("Les nouvelles de janvier")
    page.get_by_label("Objet").fill("Les nouvelles de février")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.wait_for_url("**/admin/lettres/*")
    second = db.session.scalar(sa.select(Campaign).where(Campaign.subject == "Les nouvelles de février"))
    assert second.body_markdown == first.body_markdown

    page.get_by_label("Adresse du test").fill("cheffe@example.org")
    page.get_by_role("button", name="Envoyer le test").click()
    expect(page.get_by_text("Message de test envoyé à cheffe@example.org.")).to_be_visible()
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
    page.get_by_label("Date d'envoi").fill(tomorrow.isoformat())
    page.get_by_label("Heure (heure de Paris)").fill("09:00")
    page.get_by_role("button", name="Programmer l'envoi").click()
    expect(page.get_by_text("Lettre programmée.")).to_be_visible()
    db.session.expire_all()
    second = db.session.get(Campaign, second.id)
    assert second.status == "scheduled"

    # The time comes: the scheduler sends it, and the letter's page, left open, follows by itself.
    assert page.url.endswith(f"/admin/lettres/{second.id}")
    page.evaluate("() => { window.stillTheSamePage = true; }")
    second.scheduled_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert scheduler.run_once(app) == 0
    db.session.expire_all()
    assert db.session.get(Campaign, second.id).status == "sent"
    expect(page.locator("[data-status-label]")).to_have_text("Envoyée", timeout=30_000)
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    assert page.evaluate("() => window.stillTheSamePage") is True  # no reload

    page.goto(f"{live_server.url}/lettres/{second.id}")
    image = page.get_by_role("img", name="L'atelier de la fonderie")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 1200
    expect(page.get_by_text("Visite de la fonderie")).to_be_visible()


TINY_PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==")


def test_autosave_drop_an_image_and_leaving_with_unsaved_changes(app: Any, live_server: Any, page: Any,
                                                                 make_user: Any) -> None:
    from tests.factories import campaign

    app.config["LETTER_AUTOSAVE_SECONDS"] = 1
    make_user("editor", "cheffe@example.org")
    draft = campaign("Brouillon", "Premier jet", schedule=False)
    page.goto(f"{live_server.url}/admin/lettres/{draft.id}/modifier")
    page.get_by_label("Adresse e-mail").fill("cheffe@example.org")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"**/admin/lettres/{draft.id}/modifier")

    page.locator("#letter-editor").click()
    page.keyboard.press("End")
    page.keyboard.type(" et suite")
    expect(page.locator("[data-autosave-status]")).to_contain_text("Brouillon enregistré", timeout=10_000)
    db.session.expire_all()
    assert db.session.get(Campaign, draft.id).body_markdown == "Premier jet et suite"

    # An image dropped on the text: the editor asks for its description, then inserts it.
    page.evaluate("""(data) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], "glisse.png", {type: "image/png"}));
        document.querySelector("#letter-editor").dispatchEvent(
            new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
    }""", TINY_PNG)
    dialog = page.locator("[data-image-dialog]")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Envoyer et insérer").click()
    expect(dialog.locator("[data-image-error]")).to_contain_text("texte alternatif")
    dialog.get_by_label("Texte alternatif").fill("Un petit carré")
    dialog.get_by_role("button", name="Envoyer et insérer").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#body_markdown")).to_have_value(re.compile(r"!\[Un petit carré\]\(http://.*/medias/"))

    # Leaving now asks first.
    page.keyboard.type("x")
    asked: list[str] = []
    page.on("dialog", lambda d: (asked.append(d.type), d.dismiss()))
    page.close(run_before_unload=True)
    page.wait_for_timeout(500)
    assert asked == ["beforeunload"]
