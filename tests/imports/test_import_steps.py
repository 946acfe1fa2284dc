"""Modes, remembered mapping, encodings, refusal reasons, the back-office screens and the CLI."""

from __future__ import annotations

import io
import json

import pytest
import sqlalchemy as sa

from crm.consent.models import ConsentRecord, Subscription, SuppressionReason
from crm.consent.services import suppress
from crm.extensions import db
from crm.imports import fields
from crm.imports.planning import Action, build_plan
from crm.imports.reading import ImportFileError, read_file
from crm.imports.services import run_import
from crm.partners import services as partners
from crm.partners.models import Contact, Organisation

HEADER = "Prénom;Nom;Adresse perso;Téléphone;Fonction;Structure;SIRET;CP;Ville;Accord newsletter\r\n"


def _file(*lines: str, encoding: str = "cp1252") -> bytes:
    return (HEADER + "".join(line + "\r\n" for line in lines)).encode(encoding)


def _existing() -> Contact:
    contact = partners.save_contact(partners.ContactInput(email="deja@example.org", first_name="Régis",
                                                          last_name="Ancien", phone="", job_title="Gérant"))
    db.session.commit()
    return contact


@pytest.mark.parametrize(("mode", "phone", "job", "action"), [
    ("skip", "", "Gérant", Action.SKIP),
    ("update", "02 33 00 00 01", "Directeur", Action.UPDATE),
    ("fill", "02 33 00 00 01", "Gérant", Action.UPDATE),
])
def test_modes(app, mode: str, phone: str, job: str, action: Action) -> None:
    contact = _existing()
    sheet = read_file("f.csv", _file("Régis;Ancien;DEJA@example.org;02 33 00 00 01;Directeur;;;;;"))
    mapping = fields.propose_mapping(sheet.header)
    mapping[2] = "email"
    plan, _ = run_import(sheet, mapping, mode)
    db.session.commit()
    assert plan.rows[0].action is action
    db.session.expire_all()
    contact = db.session.get(Contact, contact.id)
    assert (contact.phone, contact.job_title) == (phone, job)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 1


def test_mapping_is_remembered(app) -> None:
    sheet = read_file("f.csv", _file("A;B;a@example.org;;;;;;;"))
    proposal = fields.propose_mapping(sheet.header)
    assert proposal[2] == "" and proposal[7] == "postal_code"  # "Adresse perso" is not a known header name
    proposal[2] = "email"
    proposal[9] = "consent"
    fields.remember(sheet.header, proposal)
    db.session.commit()
    assert fields.propose_mapping(sheet.header) == proposal
    assert fields.check_mapping(["first_name", "first_name"]) == [
        "Le champ « Prénom » est associé à plusieurs colonnes.",
        "Associez au moins une colonne à l'e-mail, au nom de la structure ou au SIRET."]


def test_refusal_reasons_and_consent(app) -> None:
    suppress("oppose@example.org", SuppressionReason.UNSUBSCRIBE)
    db.session.commit()
    sheet = read_file("f.csv", _file(
        "Anaïs;Exemple;anais@example.org;;;Fonderie Fictive;;61000;Alençon;oui",
        "Loïc;Exemple;loic@example;;;;;;;oui",
        "Inès;Exemple;ines@example.org;;;Fonderie Fictive;123;61000;Alençon;",
        "Sacha;Exemple;sacha@example.org;;;Autre Fictive;;61A00;Alençon;",
        "Maëlle;Exemple;maelle@example.org;;;Fictive de l'Ain;;1000;Bourg;",
        ";;sans-nom@example.org;;;;;;;",
        "Opposée;Exemple;oppose@example.org;;;;;;;oui",
        "Hervé;Exemple;herve@example.org;;;;;;;peut-être",
        ";;;;;;;;;",
        "Anaïs;Bis;Anais@Example.org;;;;;;;",
    ))
    mapping = fields.propose_mapping(sheet.header)
    mapping[2], mapping[9] = "email", "consent"
    plan = build_plan(sheet, mapping, "skip")
    reasons = {row.line: (row.action, " ".join(row.messages)) for row in plan.rows}
    assert reasons[2] == (Action.CREATE, "Consentement indiqué : abonnement à la lettre (source : import).")
    assert reasons[3][0] is Action.REFUSE and "Adresse e-mail invalide : « loic@example »" in reasons[3][1]
    assert reasons[4][0] is Action.REFUSE and "SIRET invalide « 123 »" in reasons[4][1]
    assert reasons[5][0] is Action.REFUSE and "Code postal invalide « 61A00 »" in reasons[5][1]
    assert reasons[6] == (Action.CREATE, "Code postal « 1000 » lu comme 01000 (zéro initial perdu par le tableur ?).")
    assert reasons[7] == (Action.REFUSE, "Nom ou prénom manquant pour créer le contact.")
    assert reasons[8] == (Action.CREATE, "Adresse sur la liste d'opposition : la personne ne sera pas abonnée.")
    assert reasons[9][0] is Action.CREATE and "non compris" in reasons[9][1]
    assert 10 not in reasons  # an empty line is not a row
    assert reasons[11] == (Action.REFUSE, "Doublon dans le fichier : même e-mail qu'à la ligne 2.")
    run_import(sheet, mapping, "skip", filename="f.csv")
    db.session.commit()
    subscribed = db.session.scalars(sa.select(Contact.email).join(Subscription,
                                                                  Subscription.contact_id == Contact.id)).all()
    assert subscribed == ["anais@example.org"]
    record = db.session.scalar(sa.select(ConsentRecord))
    assert (record.source, record.action, record.detail) == ("import", "import", "Fichier f.csv, ligne 2")
    assert set(db.session.scalars(sa.select(Organisation.name))) == {"Fonderie Fictive", "Fictive de l'Ain"}


def test_unreadable_files_get_a_french_message(app) -> None:
    with pytest.raises(ImportFileError, match="vide"):
        read_file("vide.csv", b"")
    with pytest.raises(ImportFileError, match="endommagé"):
        read_file("faux.xlsx", b"PK\x03\x04 pas un classeur")
    with pytest.raises(ImportFileError, match=r"\.xls"):
        read_file("ancien.xls", b"\xd0\xcf\x11\xe0")


def test_screens_upload_columns_simulation_run(app, client, login, tmp_path) -> None:
    app.config["IMPORT_UPLOAD_DIR"] = str(tmp_path)
    login("editor")
    data = _file("Élodie;Démo;elodie@example.org;;;Fonderie Fictive;;61000;Alençon;oui",
                 "Bad;Row;pas-une-adresse;;;;;;;")
    response = client.post("/admin/donnees/import", data={"file": (io.BytesIO(data), "partenaires.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    columns_url = response.location
    page = client.get(columns_url).get_data(as_text=True)
    assert "Élodie" in page and "cp1252" in page
    form = {f"col_{i}": f for i, f in enumerate(["first_name", "last_name", "email", "phone", "job_title",
                                                  "organisation_name", "siret", "postal_code", "commune", "consent"])}
    response = client.post(columns_url, data={**form, "mode": "update"})
    assert response.status_code == 302 and response.location.endswith("/simulation")
    simulation = client.get(response.location).get_data(as_text=True)
    assert "Adresse e-mail invalide" in simulation and "rien n'a encore été enregistré" in simulation
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 0
    token = columns_url.rsplit("/", 1)[1]
    expected = json.dumps(build_plan(read_file("p.csv", data), list(form.values()), "update").summary(),
                          sort_keys=True)
    done = client.post(f"/admin/donnees/import/{token}/executer", data={"expected": expected},
                       follow_redirects=True)
    assert "Import terminé : 1 contact(s) créé(s)" in done.get_data(as_text=True)
    assert db.session.scalar(sa.select(Contact.first_name)) == "Élodie"
    # The upload is gone after the run; the mapping is remembered for the next file.
    assert client.get(columns_url).status_code == 302 and list(tmp_path.iterdir()) == []
    assert fields.propose_mapping(["Adresse perso", "Mél"]) == ["email", ""]  # taken once only


def test_bad_upload_is_refused_with_a_message(app, client, login, tmp_path) -> None:
    app.config["IMPORT_UPLOAD_DIR"] = str(tmp_path)
    login("editor")
    response = client.post("/admin/donnees/import", data={"file": (io.BytesIO(b""), "vide.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    assert "Le fichier est vide" in response.get_data(as_text=True)
    assert client.get("/admin/donnees/import/inconnu").status_code == 302


def test_cli_dry_run_then_import(app, runner, tmp_path) -> None:
    path = tmp_path / "partenaires.csv"
    path.write_bytes(_file("Élodie;Démo;elodie@example.org;;;Fonderie Fictive;;61000;Alençon;oui",
                           "Bad;Row;pas-une-adresse;;;;;;;"))
    result = runner.invoke(args=["contacts", "import", str(path), "--dry-run", "--map", "Adresse perso=email"])
    assert result.exit_code == 0, result.output
    assert "ligne 3 refusée : Adresse e-mail invalide" in result.output and "Simulation" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 0
    result = runner.invoke(args=["contacts", "import", str(path), "--strict", "--map", "Adresse perso=email"])
    assert result.exit_code == 1 and "rien n'a été importé" in result.output
    result = runner.invoke(args=["contacts", "import", str(path), "--map", "Adresse perso=email", "--mode", "update"])
    assert result.exit_code == 0, result.output
    assert "Import terminé : 1 contact(s) créé(s)" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 1
