"""A row whose key (SIRET, e-mail) finds a record with another name is a conflict: the dry run lists it with both
names, the real run leaves it untouched unless the user accepts it (a box per row, or --accept-conflicts)."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
import sqlalchemy as sa

from crm.audit.models import AuditLog
from crm.extensions import db
from crm.imports import fields
from crm.imports.planning import Action, build_plan
from crm.imports.reading import read_file
from crm.imports.services import run_import
from crm.partners import services as partners
from crm.partners.models import Contact, Organisation

SIRET = "73282932000074"
HEADER = "Prénom;Nom;E-mail;Téléphone;Structure;SIRET;Adresse;Code postal;Ville\r\n"
WRONG_SIRET_ROW = f"Nadia;Nouvelle;nadia@example.org;;Maroquinerie Alençonnaise;{SIRET};3 rue du Cuir;61000;Alençon"


def _file(*lines: str) -> bytes:
    return (HEADER + "".join(line + "\r\n" for line in lines)).encode("cp1252")


def _sheet(*lines: str):  # type: ignore[no-untyped-def]
    sheet = read_file("f.csv", _file(*lines))
    return sheet, fields.propose_mapping(sheet.header)


def _thermoformage() -> Organisation:
    organisation = partners.save_organisation(partners.OrganisationInput(
        name="Thermoformage du Perche SAS", kind="entreprise", siret=SIRET, address="ZA du Perche",
        postal_code="61400", commune="Mortagne-au-Perche", website="https://thermoformage.example.org"))
    partners.join_club(organisation, date(2023, 1, 10))
    partners.save_contact(partners.ContactInput(email="regis@example.org", first_name="Régis", last_name="Ancien",
                                                phone="02 33 11 11 11", organisation_id=organisation.id))
    db.session.commit()
    return organisation


def _state(organisation_id: int) -> tuple[str, str, str, int, bool]:
    db.session.expire_all()
    organisation = db.session.get(Organisation, organisation_id)
    nadia = db.session.scalar(sa.select(Contact).where(Contact.email == "nadia@example.org"))
    return (organisation.name, organisation.address, organisation.website, len(organisation.contacts),
            nadia is not None)


def _org_updates(organisation_id: int) -> list[dict]:  # type: ignore[type-arg]
    return list(db.session.scalars(sa.select(AuditLog.changes).where(
        AuditLog.entity_type == "organisation", AuditLog.entity_id == organisation_id, AuditLog.action == "update")))


@pytest.mark.parametrize("mode", ["update", "fill", "skip"])
def test_wrong_siret_is_a_conflict_and_is_left_untouched(app, mode: str) -> None:
    organisation = _thermoformage()
    sheet, mapping = _sheet(WRONG_SIRET_ROW)
    plan = build_plan(sheet, mapping, mode)
    (row,) = plan.rows
    assert row.action is Action.CONFLICT  # not a creation
    (conflict,) = row.conflicts
    assert (conflict.existing, conflict.incoming) == ("Thermoformage du Perche SAS", "Maroquinerie Alençonnaise")
    assert "Thermoformage du Perche SAS" in row.messages[0] and "Maroquinerie Alençonnaise" in row.messages[0]
    summary = plan.summary()
    assert summary["conflicts"] == 1
    assert summary["contacts_created"] == summary["organisations_updated"] == summary["organisations_created"] == 0

    _plan, done = run_import(sheet, mapping, mode, filename="f.csv", expected=summary)
    db.session.commit()
    assert done == summary
    assert _state(organisation.id) == ("Thermoformage du Perche SAS", "ZA du Perche",
                                       "https://thermoformage.example.org", 1, False)
    assert _org_updates(organisation.id) == []


def test_accepted_conflict_is_applied_with_the_real_old_values(app) -> None:
    organisation = _thermoformage()
    sheet, mapping = _sheet(WRONG_SIRET_ROW)
    summary = build_plan(sheet, mapping, "update").summary()
    plan, done = run_import(sheet, mapping, "update", filename="f.csv", expected=summary, accepted={2})
    db.session.commit()
    assert plan.rows[0].action is Action.CREATE and plan.rows[0].conflicts
    assert "Conflit accepté" in plan.rows[0].messages[0]
    assert (done["contacts_created"], done["organisations_updated"], done["conflicts"]) == (1, 1, 0)
    assert _state(organisation.id) == ("Maroquinerie Alençonnaise", "3 rue du Cuir",
                                       "https://thermoformage.example.org", 2, True)
    (changes,) = _org_updates(organisation.id)
    assert changes["name"] == ["Thermoformage du Perche SAS", "Maroquinerie Alençonnaise"]
    assert changes["address"] == ["ZA du Perche", "3 rue du Cuir"]


def test_same_name_but_for_case_and_accents_is_not_a_conflict(app) -> None:
    organisation = _thermoformage()
    sheet, mapping = _sheet(f"Nadia;Nouvelle;nadia@example.org;;THERMOFORMAGE DU PERCHE sas;{SIRET};"
                            "3 rue du Cuir;61000;Alençon",
                            "REGIS;ancien;regis@example.org;02 43 00 00 01;;;;;",
                            "Rêgis;;regis.bis@example.org;;;;;;")
    plan = build_plan(sheet, mapping, "update")
    assert [(r.action, r.conflicts) for r in plan.rows] == [(Action.CREATE, ()), (Action.UPDATE, ()),
                                                            (Action.CREATE, ())]
    run_import(sheet, mapping, "update", filename="f.csv")
    db.session.commit()
    assert _state(organisation.id)[:2] == ("THERMOFORMAGE DU PERCHE sas", "3 rue du Cuir")
    assert db.session.scalar(sa.select(Contact.phone).where(Contact.email == "regis@example.org")) == "02 43 00 00 01"


@pytest.mark.parametrize(("mode", "action"), [("update", Action.CONFLICT), ("fill", Action.CONFLICT),
                                              ("skip", Action.SKIP)])
def test_contact_found_by_email_with_another_name(app, mode: str, action: Action) -> None:
    _thermoformage()
    sheet, mapping = _sheet("Paul;Autre;REGIS@example.org;06 00 00 00 00;;;;;",  # another person, same address
                            ";Ancien;nadia.bis@example.org;;;;;;")
    plan = build_plan(sheet, mapping, mode)
    assert plan.rows[0].action is action
    if action is Action.CONFLICT:
        (conflict,) = plan.rows[0].conflicts
        assert (conflict.key, conflict.existing, conflict.incoming) == ("E-mail regis@example.org", "Régis Ancien",
                                                                        "Paul Autre")
    run_import(sheet, mapping, mode, filename="f.csv")
    db.session.commit()
    regis = db.session.scalar(sa.select(Contact).where(Contact.email == "regis@example.org"))
    assert (regis.first_name, regis.last_name, regis.phone) == ("Régis", "Ancien", "02 33 11 11 11")
    # Accepted, the row updates the contact as any other row would.
    run_import(sheet, mapping, mode, filename="f.csv", accepted={2})
    db.session.commit()
    db.session.expire_all()
    regis = db.session.get(Contact, regis.id)
    expected = {"update": ("Paul", "Autre", "06 00 00 00 00"), "fill": ("Régis", "Ancien", "02 33 11 11 11"),
                "skip": ("Régis", "Ancien", "02 33 11 11 11")}[mode]
    assert (regis.first_name, regis.last_name, regis.phone) == expected


def test_screens_list_conflicts_and_apply_only_the_ticked_ones(app, client, login, tmp_path) -> None:
    app.config["IMPORT_UPLOAD_DIR"] = str(tmp_path)
    organisation = _thermoformage()
    login("editor")
    data = _file(WRONG_SIRET_ROW, "Paul;Autre;regis@example.org;06 00 00 00 00;;;;;",
                 "Élodie;Démo;elodie@example.org;;;;;;")

    def simulate() -> tuple[str, str]:
        response = client.post("/admin/donnees/import", data={"file": (io.BytesIO(data), "p.csv")},
                               content_type="multipart/form-data")
        token = response.location.rsplit("/", 1)[1]
        mapping = fields.propose_mapping(HEADER.strip().split(";"))
        response = client.post(response.location, data={**{f"col_{i}": f for i, f in enumerate(mapping)},
                                                         "mode": "update"})
        return token, client.get(response.location).get_data(as_text=True)

    token, page = simulate()
    assert "2</strong>ligne(s) en conflit" in page and "1</strong>contact(s) créé(s)" in page
    for text in ("Thermoformage du Perche SAS", "Maroquinerie Alençonnaise", "SIRET 73282932000074",
                 "Régis Ancien", "Paul Autre", 'name="accept" value="2"', 'name="accept" value="3"'):
        assert text in page, text
    expected = json.dumps(build_plan(read_file("p.csv", data), fields.propose_mapping(HEADER.strip().split(";")),
                                     "update").summary(), sort_keys=True)
    done = client.post(f"/admin/donnees/import/{token}/executer", data={"expected": expected},
                       follow_redirects=True).get_data(as_text=True)
    assert "Import terminé : 1 contact(s) créé(s)" in done and "2 ligne(s) en conflit laissée(s) de côté" in done
    assert _state(organisation.id) == ("Thermoformage du Perche SAS", "ZA du Perche",
                                       "https://thermoformage.example.org", 1, False)

    token, page = simulate()
    assert "0</strong>contact(s) créé(s)" in page and "2</strong>ligne(s) en conflit" in page  # Élodie is there
    expected = json.dumps(build_plan(read_file("p.csv", data), fields.propose_mapping(HEADER.strip().split(";")),
                                     "update").summary(), sort_keys=True)
    done = client.post(f"/admin/donnees/import/{token}/executer", data={"expected": expected, "accept": ["2"]},
                       follow_redirects=True).get_data(as_text=True)
    assert "Import terminé : 1 contact(s) créé(s)" in done and "1 ligne(s) en conflit laissée(s) de côté" in done
    assert _state(organisation.id)[:2] == ("Maroquinerie Alençonnaise", "3 rue du Cuir")
    assert db.session.scalar(sa.select(Contact.first_name).where(Contact.email == "regis@example.org")) == "Régis"
    # A box that is not a line number is a bad request; nothing is written.
    token, _page = simulate()
    assert client.post(f"/admin/donnees/import/{token}/executer",
                       data={"expected": "null", "accept": ["deux"]}).status_code == 400


def test_cli_reports_conflicts_and_applies_them_only_when_asked(app, runner, tmp_path) -> None:
    organisation = _thermoformage()
    path = tmp_path / "partenaires.csv"
    path.write_bytes(_file(WRONG_SIRET_ROW))
    result = runner.invoke(args=["contacts", "import", str(path), "--mode", "update"])
    assert result.exit_code == 0, result.output
    assert "ligne 2 en conflit, laissée de côté" in result.output and "Maroquinerie Alençonnaise" in result.output
    assert "1 en conflit laissé(s) de côté" in result.output
    assert _state(organisation.id)[0] == "Thermoformage du Perche SAS"
    result = runner.invoke(args=["contacts", "import", str(path), "--mode", "update", "--accept-conflicts"])
    assert result.exit_code == 0, result.output
    assert "ligne 2 en conflit, appliquée (--accept-conflicts)" in result.output
    assert _state(organisation.id)[:2] == ("Maroquinerie Alençonnaise", "3 rue du Cuir")
