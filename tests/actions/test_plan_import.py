"""Import of an existing plan from a spreadsheet: columns recognised by their French headers, a dry run that gives
a reason for each refused row, and an import that is all or nothing and never overwrites an existing action."""

from __future__ import annotations

import io
import re
from datetime import date

import openpyxl
import sqlalchemy as sa

from crm.actions.models import Action
from crm.audit.models import AuditLog
from crm.extensions import db
from tests.actions.helpers import action, organisation

HEADER = "Code;Titre;Axe;Structure pilote;Statut;Priorité;Début prévu;Fin prévue;Publique;Origine\n"
GOOD = ("1.1;Réseau de chaleur de la zone nord;1;Fonderie Exemple (démo);en cours;2;01/03/2025;31/12/2026;oui;"
        "Club des Industriels\n"
        "3.2;Parcours métiers de l'industrie;Compétences;;À l'étude;;;;non;partenaire\n")
BAD = "4.1;Friche des Portes;Axe 9;Inconnue SA;terminé bientôt;8;32/13/2025;;peut-être;\n"


def _upload(client, body: str, filename: str = "plan.csv") -> str:
    response = client.post("/admin/plan-d-actions/import",
                           data={"file": (io.BytesIO(body.encode("utf-8")), filename)},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def _mapping(page: str) -> dict[str, str]:
    """The columns form as the page proposes it (the selected field of each column)."""
    fields = {}
    for name, options in re.findall(r'<select[^>]*name="(col_\d+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', options)
        fields[name] = next((g for g in chosen.groups() if g is not None), "") if chosen else ""
    return fields


def _codes() -> list[str]:
    return sorted(db.session.scalars(sa.select(Action.code)))


def test_the_columns_are_recognised_and_the_dry_run_writes_nothing(client, login) -> None:
    organisation("Fonderie Exemple (démo)")
    db.session.commit()
    login("editor")
    url = _upload(client, HEADER + GOOD)
    page = client.get(url).get_data(as_text=True)
    mapping = _mapping(page)
    assert mapping == {"col_0": "code", "col_1": "title", "col_2": "axis", "col_3": "pilot", "col_4": "status",
                       "col_5": "priority", "col_6": "planned_start", "col_7": "planned_end", "col_8": "is_public",
                       "col_9": "origin"}
    page = client.post(url, data={**mapping, "step": "simulate"}).get_data(as_text=True)
    assert "2 action(s) à créer, 0 ignorée(s), 0 refusée(s)" in page
    assert "Importer 2 action(s)" in page
    assert _codes() == []


def test_a_refused_row_gives_its_reasons_and_nothing_is_imported(client, login) -> None:
    organisation("Fonderie Exemple (démo)")
    db.session.commit()
    login("editor")
    url = _upload(client, HEADER + GOOD + BAD)
    mapping = _mapping(client.get(url).get_data(as_text=True))
    page = client.post(url, data={**mapping, "step": "simulate"}).get_data(as_text=True)
    assert "2 action(s) à créer, 0 ignorée(s), 1 refusée(s)" in page
    for reason in ("Axe inconnu : « Axe 9 »", "Structure pilote inconnue : « Inconnue SA »",
                   "Statut inconnu : « terminé bientôt »", "Priorité invalide : « 8 »",
                   "Début prévu illisible : « 32/13/2025 »", "Publique : « peut-être » n&#39;est ni oui ni non"):
        assert reason in page, reason
    assert "Importer 2 action(s)" not in page  # no import button while a row is refused
    # Posted anyway (an old page, a crafted request): refused, nothing written.
    page = client.post(url, data={**mapping, "step": "run", "expected": "2"}).get_data(as_text=True)
    assert "Import refusé : 1 ligne(s) à corriger (ligne(s) 4). Aucune action n&#39;a été créée." in page
    assert _codes() == []


def test_the_import_creates_every_action_at_once_with_its_fields(client, login) -> None:
    pilot = organisation("Fonderie Exemple (démo)")
    db.session.commit()
    login("editor")
    url = _upload(client, HEADER + GOOD)
    mapping = _mapping(client.get(url).get_data(as_text=True))
    client.post(url, data={**mapping, "step": "simulate"})
    response = client.post(url, data={**mapping, "step": "run", "expected": "2"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/plan-d-actions/")
    assert _codes() == ["1.1", "3.2"]
    first = db.session.scalar(sa.select(Action).where(Action.code == "1.1"))
    assert (first.title, first.axis.code, first.status, first.priority, first.pilot_organisation_id) == (
        "Réseau de chaleur de la zone nord", "transition", "en_cours", 2, pilot.id)
    assert (first.planned_start, first.planned_end, first.is_public, first.origin) == (
        date(2025, 3, 1), date(2026, 12, 31), True, "club")
    second = db.session.scalar(sa.select(Action).where(Action.code == "3.2"))
    assert (second.axis.code, second.status, second.is_public, second.origin) == (
        "competences", "etude", False, "partenaire")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)
                             .where(AuditLog.entity_type == "action")) >= 2
    # The kept copy of the file is gone once imported.
    assert client.get(url).status_code == 302


def test_an_existing_action_is_left_as_the_team_holds_it(client, login) -> None:
    action("1.1", "Titre tenu par l'équipe", axis_code="transition")
    organisation("Fonderie Exemple (démo)")
    db.session.commit()
    login("editor")
    url = _upload(client, HEADER + GOOD)
    mapping = _mapping(client.get(url).get_data(as_text=True))
    page = client.post(url, data={**mapping, "step": "simulate"}).get_data(as_text=True)
    assert "1 action(s) à créer, 1 ignorée(s), 0 refusée(s)" in page
    assert "L&#39;action 1.1 existe déjà : elle est laissée telle quelle." in page
    client.post(url, data={**mapping, "step": "run", "expected": "1"})
    assert _codes() == ["1.1", "3.2"]
    assert db.session.scalar(sa.select(Action.title).where(Action.code == "1.1")) == "Titre tenu par l'équipe"


def test_a_plan_that_changed_since_the_dry_run_is_refused(client, login) -> None:
    organisation("Fonderie Exemple (démo)")
    db.session.commit()
    login("editor")
    url = _upload(client, HEADER + GOOD)
    mapping = _mapping(client.get(url).get_data(as_text=True))
    client.post(url, data={**mapping, "step": "simulate"})
    action("3.2", "Créée entre-temps", axis_code="competences")
    db.session.commit()
    page = client.post(url, data={**mapping, "step": "run", "expected": "2"}).get_data(as_text=True)
    assert "Le plan a changé depuis la simulation" in page
    assert _codes() == ["3.2"]


def test_duplicate_codes_in_the_file_and_missing_columns_are_refused(client, login) -> None:
    login("editor")
    url = _upload(client, "Code;Titre;Axe\n2.1;Une;2\n2.1;Autre;2\n")
    mapping = _mapping(client.get(url).get_data(as_text=True))
    page = client.post(url, data={**mapping, "step": "simulate"}).get_data(as_text=True)
    assert page.count("Le code « 2.1 » figure sur plusieurs lignes du fichier.") == 2
    page = client.post(url, data={**mapping, "col_2": "", "step": "simulate"}).get_data(as_text=True)
    assert "Associez une colonne au champ « Axe »." in page
    assert _codes() == []


def test_an_xlsx_plan_with_real_dates_is_read(client, login) -> None:
    login("editor")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Code", "Intitulé", "Axe", "Date de début", "Échéance"])
    sheet.append(["2.4", "Démonstrateur numérique", "Axe 2 – Innovation", date(2025, 1, 15), date(2025, 12, 31)])
    raw = io.BytesIO()
    book.save(raw)
    response = client.post("/admin/plan-d-actions/import", data={"file": (io.BytesIO(raw.getvalue()), "plan.xlsx")},
                           content_type="multipart/form-data")
    url = response.headers["Location"]
    mapping = _mapping(client.get(url).get_data(as_text=True))
    client.post(url, data={**mapping, "step": "simulate"})
    client.post(url, data={**mapping, "step": "run", "expected": "1"})
    item = db.session.scalar(sa.select(Action).where(Action.code == "2.4"))
    assert (item.axis.code, item.planned_start, item.planned_end) == ("innovation", date(2025, 1, 15),
                                                                      date(2025, 12, 31))


def test_a_viewer_cannot_import(client, login) -> None:
    login("viewer")
    response = client.post("/admin/plan-d-actions/import",
                           data={"file": (io.BytesIO((HEADER + GOOD).encode()), "plan.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 403
    assert _codes() == []
