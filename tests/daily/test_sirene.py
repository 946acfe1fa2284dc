"""The SIRET lookup against a local fake of the API Recherche d'entreprises (never the real service)."""

from __future__ import annotations

import html
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.partners.models import Organisation
from crm.partners.sirene import SireneError, lookup, parse_number

SIREN = "732829320"
SIRET = "73282932000074"
ANSWER = {
    "results": [{
        "siren": SIREN, "nom_complet": "PLASTIQUES DU PERCHE (PDP)", "nom_raison_sociale": "PLASTIQUES DU PERCHE",
        "activite_principale": "22.29A", "tranche_effectif_salarie": "21",
        "siege": {"siret": SIRET, "adresse": "12 RUE DE L'EXEMPLE 61000 ALENCON", "numero_voie": "12",
                  "type_voie": "RUE", "libelle_voie": "DE L'EXEMPLE", "code_postal": "61000",
                  "libelle_commune": "ALENCON", "activite_principale": "22.29A", "tranche_effectif_salarie": "21"},
        "matching_etablissements": [],
    }],
    "total_results": 1, "page": 1, "per_page": 1, "total_pages": 1,
}


class FakeDirectory:
    """What the fake answers next: "ok", "empty", "404", "500", "malformed", "slow"."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.queries: list[str] = []


@pytest.fixture
def directory() -> Iterator[tuple[str, FakeDirectory]]:
    state = FakeDirectory()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            state.queries.append(parse_qs(parts.query).get("q", [""])[0])
            if state.mode == "slow":
                time.sleep(1.5)
            if state.mode in ("404", "500"):
                self.send_response(int(state.mode))
                self.end_headers()
                self.wfile.write(b'{"erreur": "x"}')
                return
            body = {"ok": json.dumps(ANSWER), "empty": json.dumps({"results": [], "total_results": 0}),
                    "malformed": "<html>pas du JSON", "slow": json.dumps(ANSWER)}[state.mode].encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except OSError:
                pass

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_lookup_by_siren_or_siret_fills_every_field(directory) -> None:
    url, state = directory
    for number in (SIREN, SIRET, "732 829 320 00074"):
        facts = lookup(number, url, 2)
        assert facts.name == "PLASTIQUES DU PERCHE"
        assert facts.siret == SIRET and facts.address == "12 RUE DE L'EXEMPLE"
        assert facts.postal_code == "61000" and facts.commune == "Alencon"
        assert facts.naf_code == "22.29A" and facts.headcount_band == "50-249"
    assert state.queries == [SIREN, SIRET, SIRET]


@pytest.mark.parametrize("mode, message", [
    ("empty", "Aucune entreprise trouvée"), ("404", "Aucune entreprise trouvée"),
    ("500", "a répondu par une erreur (500)"), ("malformed", "illisible"), ("slow", "ne répond pas")])
def test_lookup_failures_give_a_french_message(directory, mode: str, message: str) -> None:
    url, state = directory
    state.mode = mode
    with pytest.raises(SireneError, match=message.replace("(", r"\(").replace(")", r"\)")):
        lookup(SIREN, url, 0.5)


def test_numbers_are_checked_before_any_request(directory) -> None:
    url, state = directory
    with pytest.raises(SireneError, match="clé de contrôle"):
        lookup("732829321", url, 1)  # a SIREN with a wrong Luhn key
    with pytest.raises(SireneError, match="clé de contrôle"):
        lookup("73282932000075", url, 1)
    with pytest.raises(SireneError, match="14 chiffres"):
        lookup("12345", url, 1)
    with pytest.raises(SireneError, match="n'est pas activée"):
        lookup(SIREN, "", 1)  # setting unset
    assert state.queries == []
    assert parse_number(" 732.829.320 ") == SIREN


def test_the_json_endpoint(app, client, login, directory) -> None:
    url, state = directory
    app.config.update(SIRENE_API_URL=url, SIRENE_API_TIMEOUT=0.5)
    login("editor")
    answer = client.get(f"/admin/structures/repertoire?numero={SIREN}")
    assert answer.status_code == 200 and answer.json["organisation"]["naf_code"] == "22.29A"
    for mode, status in (("404", 404), ("malformed", 502), ("slow", 503), ("500", 502), ("empty", 404)):
        state.mode = mode
        answer = client.get(f"/admin/structures/repertoire?numero={SIREN}")
        assert answer.status_code == status and answer.json["ok"] is False and answer.json["message"], mode
    bad = client.get("/admin/structures/repertoire?numero=732829321")
    assert bad.status_code == 400 and "clé de contrôle" in bad.json["message"]


def test_the_form_without_script_fills_then_saves(app, client, login, directory) -> None:
    url, state = directory
    app.config.update(SIRENE_API_URL=url, SIRENE_API_TIMEOUT=0.5)
    login("editor")
    page = client.post("/admin/structures/nouvelle", data={"siret": SIREN, "lookup": "1", "name": ""})
    text = html.unescape(page.get_data(as_text=True))
    assert page.status_code == 200 and "Fiche complétée depuis le répertoire" in text
    assert 'value="PLASTIQUES DU PERCHE"' in text and 'value="22.29A"' in text and f'value="{SIRET}"' in text
    assert 'selected value="50-249"' in text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 0  # nothing saved yet
    saved = client.post("/admin/structures/nouvelle", data={
        "siret": SIRET, "name": "PLASTIQUES DU PERCHE", "naf_code": "22.29A", "headcount_band": "50-249",
        "address": "12 RUE DE L'EXEMPLE", "postal_code": "61000", "commune": "Alencon"})
    assert saved.status_code == 302
    organisation = db.session.scalar(sa.select(Organisation))
    assert organisation.siret == SIRET and organisation.department == "61"
    state.mode = "slow"
    page = client.post("/admin/structures/nouvelle", data={"siret": SIREN, "lookup": "1", "name": "Saisie"})
    text = html.unescape(page.get_data(as_text=True))
    assert page.status_code == 200 and "ne répond pas" in text and 'value="Saisie"' in text
    # From the inbox: the edit form opens with the directory's values, for review.
    state.mode = "ok"
    organisation.name = "Plastiques (à compléter)"
    organisation.naf_code = None
    db.session.commit()
    page = html.unescape(client.get(f"/admin/structures/{organisation.id}/modifier?repertoire=1").get_data(as_text=True))
    assert 'value="PLASTIQUES DU PERCHE"' in page and 'value="22.29A"' in page


def test_the_lookup_is_off_when_the_setting_is_unset(app, client, login) -> None:
    app.config.update(SIRENE_API_URL="")
    login("editor")
    page = client.post("/admin/structures/nouvelle", data={"siret": SIREN, "lookup": "1"})
    assert page.status_code == 200 and "pas activée" in html.unescape(page.get_data(as_text=True))
    answer = client.get(f"/admin/structures/repertoire?numero={SIREN}")
    assert answer.status_code == 503 and "pas activée" in answer.json["message"]


def test_the_inbox_offers_the_lookup_for_a_signups_organisation(app, client, login, outbox) -> None:
    from tests.signup.helpers import form_data, link_in, path_of

    assert client.post("/inscription", data=form_data(siret=SIRET, requests=["join"])).status_code == 303
    assert client.post(path_of(link_in(outbox[-1], "/inscription/confirmer/"))).status_code == 200
    login("editor")
    app.config.update(SIRENE_API_URL="")
    assert "Compléter avec le répertoire" not in html.unescape(client.get("/admin/demandes/").get_data(as_text=True))
    app.config.update(SIRENE_API_URL="http://127.0.0.1:9")
    page = html.unescape(client.get("/admin/demandes/").get_data(as_text=True))
    assert "Compléter avec le répertoire des entreprises (SIRET)" in page and "repertoire=1" in page
    organisation = db.session.scalar(sa.select(Organisation))
    # The service unreachable: the edit form still opens, with a French message, never a 500.
    app.config.update(SIRENE_API_TIMEOUT=0.5)
    edit = client.get(f"/admin/structures/{organisation.id}/modifier?repertoire=1")
    assert edit.status_code == 200 and "ne répond pas" in html.unescape(edit.get_data(as_text=True))
