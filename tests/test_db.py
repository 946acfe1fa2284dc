"""The database keeps its references on SQLite as on PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from crm.extensions import db
from crm.partners import services as partners
from crm.partners.models import ClubMembership, Contact, Organisation
from tests.privacy import people


def test_deleting_an_organisation_obeys_on_delete(app) -> None:
    organisation = people.make_organisation()
    partners.join_club(organisation, date(2024, 1, 1))
    person = people.make_person("Camille", "Exemple", "camille.exemple@example.org", "", organisation)
    db.session.commit()
    organisation_id, person_id = organisation.id, person.id
    db.session.execute(sa.delete(Organisation.__table__).where(Organisation.__table__.c.id == organisation_id))
    db.session.commit()
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ClubMembership)) == 0  # CASCADE
    assert db.session.get(Contact, person_id).organisation_id is None  # SET NULL


def test_a_reference_to_nothing_is_refused(app) -> None:
    with pytest.raises(IntegrityError):
        db.session.execute(sa.insert(ClubMembership.__table__).values(organisation_id=999_999,
                                                                      joined_on=date(2024, 1, 1),
                                                                      created_at=sa.func.current_timestamp()))
        db.session.flush()
    db.session.rollback()
