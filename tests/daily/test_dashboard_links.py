"""Every count on the dashboard leads to the list of exactly the rows it counts: the test follows every figure
link of the dashboard (whatever feature declared it) and compares the list's own count with the figure."""

from __future__ import annotations

import html
import re
from datetime import date

import sqlalchemy as sa

from crm.consent import services as consent
from crm.consent.models import OptInStatus
from crm.demo import load_demo_data
from crm.extensions import db
from crm.partners import services as partners
from crm.partners.models import AmbassadorStatus, ClubMembership, Contact, Organisation
from crm.privacy.erasure import erase_contact
from crm.signup.models import SignupRequest
from tests.signup.helpers import form_data, link_in, path_of

FIGURE_LINK = re.compile(r'<a href="([^"]+)" data-figure="(\d+)"')
LIST_COUNT = re.compile(r'data-count="(\d+)"')


def _signup(client, outbox, email: str, requests: list[str], confirm: bool = True) -> Contact:
    assert client.post("/inscription", data=form_data(email=email, requests=requests)).status_code == 303
    if confirm:
        assert client.post(path_of(link_in(outbox[-1], "/inscription/confirmer/"))).status_code == 200
    return db.session.scalar(sa.select(Contact).where(Contact.email == email))


def _populate(client, outbox) -> None:
    load_demo_data()
    contacts = list(db.session.scalars(sa.select(Contact).order_by(Contact.id).limit(6)))
    consent.set_status(contacts[0], OptInStatus.PENDING)
    # A candidate made on the contact card (no request in the inbox), another through the form.
    partners.set_ambassador_status(contacts[1], AmbassadorStatus.CANDIDATE.value)
    organisation = db.session.scalar(sa.select(Organisation).order_by(Organisation.id))
    organisation.department = None  # "non renseigné" leads somewhere too
    # Two open memberships of one organisation still make one member.
    db.session.add(ClubMembership(organisation_id=organisation.id, joined_on=date(2020, 1, 1)))
    db.session.add(ClubMembership(organisation_id=organisation.id, joined_on=date(2021, 1, 1)))
    db.session.commit()
    _signup(client, outbox, "ambre.candidate@example.org", ["ambassador", "join"])
    _signup(client, outbox, "paul.projet@example.org", ["project", "kit"])
    _signup(client, outbox, "nina.attente@example.org", ["join"], confirm=False)
    erased = _signup(client, outbox, "eric.efface@example.org", ["join", "project"])
    erase_contact(erased)
    # An ambassador request whose contact the team already made active on the card: no longer to examine.
    done = _signup(client, outbox, "alix.active@example.org", ["ambassador"])
    partners.set_ambassador_status(done, AmbassadorStatus.ACTIVE.value)
    db.session.commit()


def _figure_links(page: str) -> list[tuple[str, int]]:
    return [(html.unescape(url), int(value)) for url, value in FIGURE_LINK.findall(page)]


def test_every_dashboard_figure_equals_the_count_of_the_list_it_leads_to(client, outbox, login) -> None:
    _populate(client, outbox)
    login("viewer")
    dashboard = client.get("/admin/").get_data(as_text=True)
    links = _figure_links(dashboard)
    assert len(links) >= 20, links
    targets = {url.split("?")[0] for url, _ in links}
    assert {"/admin/structures/", "/admin/contacts/", "/admin/club/", "/admin/demandes/"} <= targets
    assert any("ambassador=candidate" in url for url, _ in links)
    assert any("newsletter=confirmed" in url for url, _ in links)
    assert any("department=-" in url for url, _ in links)
    assert sum(value for _, value in links) > 0
    for url, figure in links:
        response = client.get(url)
        assert response.status_code == 200, url
        counts = LIST_COUNT.findall(response.get_data(as_text=True))
        assert counts, f"{url} shows no count"
        assert int(counts[0]) == figure, f"{url}: the dashboard says {figure}, the list shows {counts[0]}"


def test_requests_and_candidates_have_one_definition(client, outbox, login) -> None:
    _populate(client, outbox)
    login("viewer")
    dashboard = html.unescape(client.get("/admin/").get_data(as_text=True))
    figures = {url: value for url, value in _figure_links(dashboard)}
    # The candidates: the card's and the form's, each once, and all of them in the list the figure leads to.
    candidates = figures["/admin/contacts/?ambassador=candidate"]
    assert candidates == db.session.scalar(sa.select(sa.func.count()).select_from(Contact).where(
        Contact.ambassador_status == "candidate"))
    listed = client.get("/admin/contacts/?ambassador=candidate").get_data(as_text=True)
    assert "ambre.candidate@example.org" in listed
    # No "Demande : Devenir ambassadeur" beside it: one candidacy is not counted twice.
    assert "Demande : Devenir ambassadeur" not in dashboard
    # The inbox's open signups: Ambre (join + ambassador), Paul (project; the kit waits for a file);
    # not Nina (unconfirmed), not Éric (erased), not Alix (already active).
    assert figures["/admin/demandes/?filtre=open"] == 2
    inbox = html.unescape(client.get("/admin/demandes/").get_data(as_text=True))
    assert "ambre.candidate@example.org" in inbox and "paul.projet@example.org" in inbox
    assert "alix.active@example.org" not in inbox and "nina.attente@example.org" not in inbox
    # The dashboard no longer adds up counts of different things into one "demandes" total.
    assert "demandes en attente d'une action" not in dashboard
    ambassador = db.session.scalars(sa.select(SignupRequest).join(Contact, Contact.id == SignupRequest.contact_id)
                                    .where(Contact.email == "alix.active@example.org")).one()
    assert ambassador.effective_status == "accepted"
