"""Import of a 5,000-row file with planted faults: the dry run says what the real run does, per row."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from crm.audit.models import AuditLog
from crm.consent.models import ConsentRecord, OptInStatus, Subscription
from crm.extensions import db
from crm.imports import applying, fields
from crm.imports.planning import Action, build_plan
from crm.imports.reading import read_file
from crm.imports.services import ImportRefused, run_import
from crm.partners import services as partners
from crm.partners.models import Contact, Organisation
from tests.imports import sample as samples

EXISTING = 40


def _existing_contacts() -> None:
    """The people the sample's rows for existing_email(n) are about (line 7n + 5), their names written in capitals
    (same names but for case: an update, not a conflict)."""
    for n in range(EXISTING):
        i = 7 * n + 3
        partners.save_contact(partners.ContactInput(
            email=samples.existing_email(n), first_name=samples.FIRST[i % len(samples.FIRST)].upper(),
            last_name=f"{samples.LAST[i % len(samples.LAST)]}-{i}".upper(), phone=""))
    db.session.commit()


def _counts() -> dict[str, int]:
    return {name: db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0
            for name, model in [("contacts", Contact), ("organisations", Organisation),
                                ("subscriptions", Subscription), ("consents", ConsentRecord), ("audit", AuditLog)]}


def _mapping(sheet):  # type: ignore[no-untyped-def]
    mapping = fields.propose_mapping(sheet.header)
    assert mapping == ["civility", "first_name", "last_name", "email", "phone", "job_title", "organisation_name",
                       "siret", "postal_code", "commune", "sectors", "consent"]
    return mapping


def test_five_thousand_rows_dry_run_then_real_run(app) -> None:
    _existing_contacts()
    sample = samples.build(5000, existing=EXISTING)
    assert len(sample.bad_email) > 40 and len(sample.bad_siret) > 40 and len(sample.duplicate) > 40
    assert len(sample.existing) > 30
    sheet = read_file("partenaires.csv", sample.csv_bytes(";", "cp1252"))
    assert sheet.encoding == "cp1252" and sheet.delimiter == ";"
    mapping = _mapping(sheet)

    before = _counts()
    plan = build_plan(sheet, mapping, "update")
    assert _counts() == before  # the dry run writes nothing
    by_line = {row.line: row for row in plan.rows}
    assert len(by_line) == 5000
    for line in sample.bad_email:
        assert by_line[line].action is Action.REFUSE and "Adresse e-mail invalide" in by_line[line].messages[0]
    for line in sample.bad_siret:
        assert by_line[line].action is Action.REFUSE and "SIRET invalide" in by_line[line].messages[0]
    for line in sample.bad_postal:
        assert by_line[line].action is Action.REFUSE and "Code postal invalide" in by_line[line].messages[0]
    for line in sample.duplicate:
        assert by_line[line].action is Action.REFUSE
        assert by_line[line].messages == [f"Doublon dans le fichier : même e-mail qu'à la ligne {line - 1}."]
    for line in sample.existing:
        assert by_line[line].action is Action.UPDATE
    refused = {row.line for row in plan.rows if row.action is Action.REFUSE}
    assert refused == sample.refused
    created = {row.line for row in plan.rows if row.action is Action.CREATE}
    assert created == set(range(2, 5002)) - sample.refused - sample.existing
    summary = plan.summary()

    _plan, done = run_import(sheet, mapping, "update", filename="partenaires.csv", expected=summary)
    db.session.commit()
    assert done == summary
    after = _counts()
    assert after["contacts"] - before["contacts"] == summary["contacts_created"] == len(created)
    assert after["organisations"] == summary["organisations_created"] == 500
    assert after["subscriptions"] == summary["subscribed"] == len(sample.consent)
    # Exactly the rows the dry run announced exist, with their accents intact.
    emails = set(db.session.scalars(sa.select(Contact.email)))
    for line in created:
        assert f"personne.{line - 2}@example.org" in emails
    for line in sample.bad_email:
        assert not any(e.startswith(f"personne.{line - 2}(") for e in emails)
    first = db.session.scalar(sa.select(Contact).where(Contact.email == "personne.1@example.org"))
    assert (first.first_name, first.civility, first.organisation.commune) == ("Hervé", "mme", "Arçonnay")
    assert first.organisation.department == "72" and first.organisation.sectors[0].code == "plasturgie"
    updated = db.session.scalar(sa.select(Contact).where(Contact.email == samples.existing_email(0)))
    assert updated.phone.startswith("02 33") and updated.organisation is not None
    # Consent from the file: confirmed subscription and a ledger entry whose source is the import.
    sources = set(db.session.scalars(sa.select(ConsentRecord.source)))
    assert sources == {"import"}
    statuses = set(db.session.scalars(sa.select(Subscription.status)))
    assert statuses == {OptInStatus.CONFIRMED.value}

    # Running the same file again: nothing left to create.
    again = build_plan(sheet, mapping, "update")
    assert again.count(Action.CREATE) == 0 and again.organisations_with(Action.CREATE) == 0
    assert again.count(Action.UPDATE) == 0 and again.organisations_with(Action.UPDATE) == 0
    assert again.count(Action.UNCHANGED) == summary["contacts_created"] + summary["contacts_updated"]


def test_xlsx_gives_the_same_plan_as_csv(app) -> None:
    sample = samples.build(300)
    from_csv = read_file("p.csv", sample.csv_bytes(",", "utf-8", bom=True))
    assert from_csv.encoding == "utf-8-sig" and from_csv.delimiter == ","
    from_xlsx = read_file("p.xlsx", sample.xlsx_bytes())
    assert from_xlsx.rows == from_csv.rows
    plan_csv = build_plan(from_csv, _mapping(from_csv), "skip")
    plan_xlsx = build_plan(from_xlsx, _mapping(from_xlsx), "skip")
    assert [(r.line, r.action, r.messages) for r in plan_csv.rows] == \
        [(r.line, r.action, r.messages) for r in plan_xlsx.rows]
    run_import(from_xlsx, _mapping(from_xlsx), "skip", filename="p.xlsx")
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == plan_xlsx.summary()["contacts_created"]


def test_a_failing_run_writes_nothing(app, monkeypatch: pytest.MonkeyPatch) -> None:
    sample = samples.build(600)
    sheet = read_file("p.csv", sample.csv_bytes())
    before = _counts()

    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("panne simulée après l'écriture des contacts")

    monkeypatch.setattr(applying, "_subscribe", boom)
    with pytest.raises(RuntimeError):
        run_import(sheet, _mapping(sheet), "update", filename="p.csv")
    db.session.rollback()
    assert _counts() == before

    monkeypatch.undo()
    with pytest.raises(ImportRefused, match="rien n'a été importé"):
        run_import(sheet, _mapping(sheet), "update", filename="p.csv", strict=True)
    db.session.rollback()
    assert _counts() == before


def test_stale_dry_run_is_refused(app) -> None:
    sample = samples.build(30)
    sheet = read_file("p.csv", sample.csv_bytes())
    mapping = _mapping(sheet)
    summary = build_plan(sheet, mapping, "skip").summary()
    partners.save_contact(partners.ContactInput(email="personne.0@example.org", first_name="Déjà", last_name="Là"))
    db.session.commit()
    with pytest.raises(ImportRefused, match="La base a changé"):
        run_import(sheet, mapping, "skip", expected=summary)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 1
