"""The public page of the plan, and the proposals made from a personal link."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from crm.actions import proposals, versions
from crm.actions.models import Action, Proposal, ProposalSupport
from crm.extensions import db
from crm.mail.models import Delivery
from crm.partners.models import new_link_secret
from crm.security import make_token
from tests.actions.helpers import action, axis, organisation, person


def test_the_public_page_shows_the_latest_version_public_actions_and_no_person(client) -> None:
    org = organisation("Fonderie Démo")
    pilot = person("claude.pilote@example.org", org, "Claude", "Pilotedemo")
    action("1.1", "Action publique", axis_code="transition", is_public=True, pilot_organisation_id=org.id,
           pilot_contact_id=pilot.id)
    action("1.2", "Action interne", axis_code="transition", is_public=False)
    assert "pas encore publié" in client.get("/plan-d-actions/").get_data(as_text=True)
    versions.freeze()
    db.session.commit()
    action("1.3", "Ajoutée après le comité", axis_code="transition", is_public=True)
    db.session.commit()
    page = client.get("/plan-d-actions/").get_data(as_text=True)
    assert "Action publique" in page and "Fonderie Démo" in page
    assert "Action interne" not in page and "Ajoutée après le comité" not in page
    assert "Pilotedemo" not in page and "claude.pilote" not in page
    assert "<h1>" in page and "<h2>" in page
    assert "mis à jour au" in page and "Demandé" not in page
    assert "/plan-d-actions/" in client.get("/lettres/").get_data(as_text=True)


def _link(contact) -> str:
    return proposals.proposal_url(contact).removeprefix("http://localhost")


def test_a_proposal_link_acts_for_its_person_and_organisation_only(client) -> None:
    mine, theirs = organisation("Plasturgie Démo"), organisation("Mécanique Démo")
    alice, bob = person("alice@example.org", mine, "Alice"), person("bob@example.org", theirs, "Bob")
    db.session.commit()
    url = _link(alice)
    page = client.get(url)
    assert page.status_code == 200 and "Plasturgie Démo" in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)) == 0  # GET acts on nothing
    # Posting another person's ids changes nothing: the link says who proposes.
    client.post(url, data={"title": "Mutualiser les achats", "axis_id": axis("transition").id,
                           "contribution": "Un site pilote", "contact_id": bob.id, "organisation_id": theirs.id})
    proposal = db.session.scalar(sa.select(Proposal))
    assert (proposal.contact_id, proposal.organisation_id) == (alice.id, mine.id)
    # A tampered link is refused; so is a well-signed one naming another person with this person's secret.
    token = url.rsplit("/", 1)[1]
    assert client.get(url.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))).status_code == 400
    with client.application.test_request_context():
        other = make_token(proposals.PURPOSE, [bob.id, alice.link_secret])
    assert client.post(f"/plan-d-actions/proposer/{other}", data={"title": "Pour Bob", "axis_id": axis().id}
                       ).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)) == 1
    # Bob supports from his own link: his organisation, not Alice's, whatever he posts.
    client.post(f"/plan-d-actions/soutenir/{_link(bob).rsplit('/', 1)[1]}/{proposal.id}",
                data={"organisation_id": mine.id})
    supports = db.session.scalars(sa.select(ProposalSupport)).all()
    assert [(s.organisation_id, s.contact_id) for s in supports] == [(theirs.id, bob.id)]
    # Alice cannot support her own proposal for her organisation a second time.
    client.post(f"/plan-d-actions/soutenir/{url.rsplit('/', 1)[1]}/{proposal.id}", data={})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProposalSupport)) == 1
    # A new secret voids the links already sent.
    alice.link_secret = new_link_secret()
    db.session.commit()
    assert client.get(url).status_code == 400
    assert client.post(url, data={"title": "Encore", "axis_id": axis().id}).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)) == 1


def test_a_retained_proposal_keeps_its_origin_and_supporters(client, login) -> None:
    mine, theirs = organisation("Plasturgie Démo"), organisation("Mécanique Démo")
    alice, bob = person("alice@example.org", mine), person("bob@example.org", theirs)
    proposal = proposals.propose(alice, "Vitrine 4.0", axis().id, "Nos ateliers")
    proposals.support(bob, proposal.id)
    db.session.commit()
    login("editor")
    client.post(f"/admin/plan-d-actions/propositions/{proposal.id}/retenir", data={"code": "2.9"})
    item = db.session.scalar(sa.select(Action).where(Action.code == "2.9"))
    assert item.origin == proposal.origin and item.pilot_organisation_id == mine.id
    assert [(p.organisation_id, p.role) for p in item.partners] == [(theirs.id, "contributeur")]
    assert db.session.get(Proposal, proposal.id).status == "retenue"


def test_merging_adds_proposer_and_supporters_to_the_action(app) -> None:
    mine, theirs = organisation("Plasturgie Démo"), organisation("Mécanique Démo")
    existing = action("2.1")
    proposal = proposals.propose(person("alice@example.org", mine), "Idée voisine", axis().id, "")
    proposals.support(person("bob@example.org", theirs), proposal.id)
    proposals.merge(proposal, existing.id)
    assert sorted(p.organisation_id for p in existing.partners) == sorted([mine.id, theirs.id])
    assert proposal.status == "fusionnee" and proposal.action_id == existing.id


def test_a_declined_proposal_needs_a_reason_mailed_to_the_proposer(client, login) -> None:
    alice = person("alice@example.org", organisation("Plasturgie Démo"))
    proposal = proposals.propose(alice, "Idée", axis().id, "")
    db.session.commit()
    login("editor")
    client.post(f"/admin/plan-d-actions/propositions/{proposal.id}/decliner", data={"reason": ""})
    assert db.session.get(Proposal, proposal.id).status == "ouverte"
    with pytest.raises(proposals.ProposalError):  # the service holds the rule too, whoever calls it
        proposals.decline(db.session.get(Proposal, proposal.id), "   ")
    db.session.rollback()
    assert db.session.get(Proposal, proposal.id).status == "ouverte"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == 0
    client.post(f"/admin/plan-d-actions/propositions/{proposal.id}/decliner",
                data={"reason": "Déjà couvert par l'action 2.1"})
    assert db.session.get(Proposal, proposal.id).status == "declinee"
    delivery = db.session.scalar(sa.select(Delivery))
    assert (delivery.kind, delivery.contact_id) == (proposals.DECLINED, alice.id)
    message = proposals.render_declined(delivery)
    assert "Déjà couvert par l'action 2.1" in message.body and "alice@example.org" in message.recipients[0]


def test_the_proposal_page_is_rate_limited_on_post_only(make_app) -> None:
    app = make_app(SIGNUP_RATE_LIMIT="2 per minute")
    with app.app_context():
        alice = person("alice@example.org", organisation("Plasturgie Démo"))
        db.session.commit()
        url = _link(alice)
        client = app.test_client()
        answers = [client.post(url, data={"title": f"Idée {n}", "axis_id": axis().id}).status_code for n in range(3)]
        assert answers == [302, 302, 429]
        assert client.get(url).status_code == 200  # reading is not limited
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)) == 2


def test_the_team_enters_a_proposal_and_a_support_received_by_telephone(client, login) -> None:
    proposer = person("dominique.porteur@example.org", organisation("Usinage Démo"), "Dominique", "Porteur")
    backer = person("alix.soutien@example.org", organisation("Plasturgie Démo"), "Alix", "Soutien")
    db.session.commit()
    login("editor")
    response = client.post("/admin/plan-d-actions/propositions/saisir", data={
        "contact_id": proposer.id, "title": "Mutualiser les achats d'énergie", "axis_id": axis("transition").id,
        "contribution": "Un groupement d'achat"})
    assert response.status_code == 302
    proposal = db.session.scalar(sa.select(Proposal))
    assert (proposal.contact_id, proposal.organisation_id, proposal.status) == (
        proposer.id, proposer.organisation_id, "ouverte")
    client.post(f"/admin/plan-d-actions/propositions/{proposal.id}/soutien", data={"contact_id": backer.id})
    client.post(f"/admin/plan-d-actions/propositions/{proposal.id}/soutien", data={"contact_id": backer.id})
    client.post(f"/admin/plan-d-actions/propositions/{proposal.id}/soutien", data={"contact_id": proposer.id})
    supports = db.session.scalars(sa.select(ProposalSupport)).all()
    assert [s.organisation_id for s in supports] == [backer.organisation_id]  # once, and not the proposer's own
    page = client.get("/admin/plan-d-actions/propositions/").get_data(as_text=True)
    assert "Plasturgie Démo" in page and "Saisir une proposition reçue" in page
    # A title left empty: a French message, nothing written.
    client.post("/admin/plan-d-actions/propositions/saisir", data={
        "contact_id": proposer.id, "title": "", "axis_id": axis("transition").id})
    assert "Donnez un titre à la proposition." in client.get("/admin/plan-d-actions/propositions/").get_data(
        as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)) == 1


def test_a_team_proposal_needs_a_person_with_a_structure(client, login, app) -> None:
    loose = person("sans.structure@example.org", organisation("Temporaire"), "Sam", "Seul")
    loose.organisation_id = None
    db.session.commit()
    with pytest.raises(proposals.ProposalError, match="rattachée à aucune structure"):
        proposals.record_proposal(loose.id, "Une idée", axis("transition").id, "")
    with pytest.raises(proposals.ProposalError, match="Choisissez la personne"):
        proposals.record_proposal(None, "Une idée", axis("transition").id, "")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)) == 0
    login("viewer")
    assert client.post("/admin/plan-d-actions/propositions/saisir", data={
        "contact_id": 1, "title": "X", "axis_id": axis("transition").id}).status_code == 403
