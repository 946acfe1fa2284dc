"""The words an organisation is found by: every word of its name and commune search keys.

Prefix searches on ``name_key`` find an organisation by the start of its name only; the ``organisation_words``
table holds each later word too, so "perche" finds "Usinage du Perche" and "germain" finds a structure in
Saint-Germain-du-Corbéis, each through an index range. Whatever writes ``name_key`` or ``commune_key`` calls
``refresh_organisation_words`` for the organisations it wrote (the services, the import, the merge).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import sqlalchemy as sa

from crm.extensions import db
from crm.partners.models import Organisation, organisation_words

_SEPARATORS = re.compile(r"[ \-]+")
WORD_MAX = 120


def words_of(*keys: str | None) -> set[str]:
    """The words of search keys (already lower-case ASCII): split on spaces and hyphens."""
    return {word[:WORD_MAX] for key in keys if key for word in _SEPARATORS.split(key) if word}


def word_rows(organisation_id: int, name_key: str | None, commune_key: str | None) -> list[dict[str, object]]:
    return [{"word": word, "organisation_id": organisation_id} for word in sorted(words_of(name_key, commune_key))]


def refresh_organisation_words(organisation_ids: Iterable[int]) -> None:
    """Rewrites the words of these organisations from their keys as they are now in the database."""
    ids = sorted(set(organisation_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        db.session.flush()
        db.session.execute(sa.delete(organisation_words).where(organisation_words.c.organisation_id.in_(chunk)))
        rows = [row for found in db.session.execute(
                    sa.select(Organisation.id, Organisation.name_key, Organisation.commune_key)
                    .where(Organisation.id.in_(chunk)))
                for row in word_rows(found.id, found.name_key, found.commune_key)]
        if rows:
            db.session.execute(sa.insert(organisation_words), rows)
