"""After an erasure the person's name, e-mail and phone appear nowhere; counts stay; the address is suppressed."""

from __future__ import annotations

import mailbox
from email.message import EmailMessage

import sqlalchemy as sa

from crm.audit.models import AuditLog
from crm.consent.services import is_suppressed
from crm.extensions import db
from crm.partners.models import Contact, Note
from crm.privacy.erasure import PrivacyError, erase_contact
from crm.privacy.models import Erasure
from tests.privacy import people

FIRST, LAST = "Zéphyrine", "Quelconque-Unique"
EMAIL, PHONE = "zephyrine.quelconque@example.org", "02 33 99 88 77"


def _person():  # type: ignore[no-untyped-def]
    organisation = people.make_organisation()
    event = people.make_event("Comité technique semestriel (test)")
    contact = people.make_person(FIRST, LAST, EMAIL, PHONE, organisation, events=[e for e in [event] if e])
    other = people.make_person("Gaspard", "Témoin", "gaspard.temoin@example.org", "02 33 11 22 33", organisation,
                               events=[e for e in [event] if e])
    db.session.commit()
    return contact, other


def _table_counts() -> dict[str, int]:
    return {t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t)) or 0
            for t in db.metadata.sorted_tables}


def test_erasure_leaves_nothing_personal_and_keeps_counts(app, make_user) -> None:
    admin = make_user("admin")
    contact, other = _person()
    needles = [FIRST, LAST, EMAIL, PHONE, "0233998877"]
    assert people.text_occurrences(needles)  # the search does find them before
    pointing = people.count_rows_pointing_at(contact.id)
    before = _table_counts()

    erase_contact(contact, user_id=admin.id)
    db.session.commit()

    assert people.text_occurrences(needles) == []
    expected = {**pointing, "erasures.contact_id": 1,
                "consent_records.contact_id": pointing["consent_records.contact_id"] + 1}
    del expected["contact_topics.contact_id"]  # preferences go with the person; the ledger says so
    assert expected.pop("contact_words.contact_id") == 1  # "unique", of Quelconque-Unique: gone with the name
    assert people.count_rows_pointing_at(contact.id) == expected
    after = _table_counts()
    assert after.pop("erasures") == before.pop("erasures") + 1 and after.pop("suppressions") == before.pop("suppressions") + 1
    assert after.pop("audit_logs") == before.pop("audit_logs") + 1  # the erasure itself is logged
    assert after.pop("consent_records") == before.pop("consent_records") + 1  # and written in the ledger
    after.pop("contact_topics"), before.pop("contact_topics")  # preferences are dropped with the person
    assert after.pop("contact_words") == before.pop("contact_words") - 1  # and the search words of the name
    assert after == before
    assert is_suppressed(EMAIL)
    erased = db.session.get(Contact, contact.id)
    assert erased.email is None and erased.organisation_id is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Note).where(Note.contact_id == contact.id)) == 2
    log = db.session.scalar(sa.select(Erasure).where(Erasure.contact_id == contact.id))
    assert log.erased_by_id == admin.id and log.erased_at is not None
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "erase"))
    assert entry.user_id == admin.id and entry.entity_id == contact.id
    # The other person sharing the organisation, the notes and the event keeps every value.
    kept = db.session.get(Contact, other.id)
    assert (kept.first_name, kept.email, kept.phone) == ("Gaspard", "gaspard.temoin@example.org", "02 33 11 22 33")
    assert people.text_occurrences(["Gaspard Témoin"])


def test_erasing_twice_is_refused(app) -> None:
    contact, _ = _person()
    erase_contact(contact)
    db.session.commit()
    try:
        erase_contact(db.session.get(Contact, contact.id))
    except PrivacyError as exc:
        assert "déjà été effacé" in str(exc)
    else:
        raise AssertionError("second erasure accepted")


def test_erase_page_needs_admin_and_confirmation(app, client, login) -> None:
    contact, _ = _person()
    login("editor")
    assert client.post(f"/admin/rgpd/contacts/{contact.id}/effacer", data={"confirm": "EFFACER"}).status_code == 403


def test_erase_through_the_page(app, client, login) -> None:
    contact, _ = _person()
    login("admin")
    page = client.get(f"/admin/rgpd/contacts/{contact.id}")
    assert "Droit à l'effacement" in page.get_data(as_text=True)
    response = client.post(f"/admin/rgpd/contacts/{contact.id}/effacer", data={"confirm": "non"})
    assert response.status_code == 302
    assert db.session.get(Contact, contact.id).email == EMAIL  # not confirmed: nothing erased
    response = client.post(f"/admin/rgpd/contacts/{contact.id}/effacer", data={"confirm": "effacer"},
                           follow_redirects=True)
    assert "Données personnelles effacées" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).email is None
    assert people.text_occurrences([FIRST, LAST, EMAIL, PHONE]) == []


def test_erasure_after_a_merge_also_removes_the_merged_record(app) -> None:
    from crm.imports.merging import merge_contacts

    contact, _ = _person()
    twin = people.make_person(FIRST, LAST, "zephyrine.ancienne@example.org", "06 00 11 22 33")
    db.session.commit()
    merge_contacts(contact, twin)
    db.session.commit()
    assert people.text_occurrences(["zephyrine.ancienne@example.org"])  # kept in the merge log
    erase_contact(db.session.get(Contact, contact.id))
    db.session.commit()
    assert people.text_occurrences([FIRST, LAST, EMAIL, PHONE, "zephyrine.ancienne@example.org", "06 00 11 22 33"]) == []
    assert is_suppressed("zephyrine.ancienne@example.org") and is_suppressed(EMAIL)


def _outbox_with(path: str, *recipients: str) -> None:
    box = mailbox.Maildir(path, create=True)
    for to in recipients:
        message = EmailMessage()
        message["From"] = "Territoires d'industrie <ti@example.org>"
        message["To"] = to
        message["Subject"] = "Lettre d'information"
        message.set_content("Bonjour")
        box.add(message)


def _outbox_recipients(path: str) -> list[str]:
    return sorted(str(message["To"]) for message in mailbox.Maildir(path, create=False))


def test_erasure_empties_the_outbox_of_the_persons_mail_once_committed(app) -> None:
    contact, _ = _person()
    path = app.config["MAILDIR_PATH"]
    _outbox_with(path, f"{FIRST} {LAST} <{EMAIL.upper()}>", "Gaspard Témoin <gaspard.temoin@example.org>", EMAIL)

    erase_contact(db.session.get(Contact, contact.id))
    db.session.rollback()  # an erasure that did not go through leaves the outbox alone
    assert len(_outbox_recipients(path)) == 3

    erase_contact(db.session.get(Contact, contact.id))
    db.session.commit()
    [left] = _outbox_recipients(path)
    assert left.endswith("<gaspard.temoin@example.org>")
