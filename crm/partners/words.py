"""The words organisations and contacts are found by, beyond the start of their search keys.

Prefix searches on ``name_key`` or ``last_name_key`` find a record by the first word only. Two derived tables
hold the later words: ``organisation_words`` (every word of the name and commune keys, so "perche" finds "Usinage
du Perche" and "germain" a structure in Saint-Germain-du-Corbéis) and ``contact_words`` (the later words of a
compound first or last name, so "dupont" finds "Martin-Dupont" and "gall" finds "Le Gall"), each searched through
an index range. Whatever writes those keys calls the refresh function for the records it wrote (the services, the
import, the merge); deleting a record deletes its words (ON DELETE CASCADE); erasing a contact forgets them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa

from crm.extensions import db
from crm.partners.models import Contact, Organisation, contact_words, organisation_words

_SEPARATORS = re.compile(r"[ \-]+")
CHUNK = 500


def words_of(*keys: str | None, skip_first: bool = False) -> set[str]:
    """The words of search keys (already lower-case ASCII), split on spaces and hyphens; with ``skip_first``,
    those after the first of each key (the first is found by the key's own prefix index)."""
    start = 1 if skip_first else 0
    return {word[:100] for key in keys if key for word in _SEPARATORS.split(key)[start:] if word}


def word_rows(organisation_id: int, name_key: str | None, commune_key: str | None) -> list[dict[str, object]]:
    return [{"word": word, "organisation_id": organisation_id} for word in sorted(words_of(name_key, commune_key))]


def contact_word_rows(contact_id: int, first_name_key: str | None,
                      last_name_key: str | None) -> list[dict[str, object]]:
    return [{"word": word, "contact_id": contact_id}
            for word in sorted(words_of(first_name_key, last_name_key, skip_first=True))]


def _refresh(table: sa.Table, owner: str, ids: Iterable[int], select: sa.Select[Any],
             rows_for: Callable[..., list[dict[str, object]]]) -> None:
    wanted = sorted(set(ids))
    db.session.flush()
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start:start + CHUNK]
        db.session.execute(sa.delete(table).where(table.c[owner].in_(chunk)))
        rows = [row for found in db.session.execute(select.where(select.selected_columns[0].in_(chunk)))
                for row in rows_for(*found)]
        if rows:
            db.session.execute(sa.insert(table), rows)


def refresh_organisation_words(organisation_ids: Iterable[int]) -> None:
    """Rewrites the words of these organisations from their keys as they are now in the database."""
    _refresh(organisation_words, "organisation_id", organisation_ids,
             sa.select(Organisation.id, Organisation.name_key, Organisation.commune_key), word_rows)


def refresh_contact_words(contact_ids: Iterable[int]) -> None:
    """Rewrites the words of these contacts from their name keys as they are now in the database."""
    _refresh(contact_words, "contact_id", contact_ids,
             sa.select(Contact.id, Contact.first_name_key, Contact.last_name_key), contact_word_rows)


def forget_contact_words(contact_id: int) -> None:
    """An erased person is no longer found by any word of their former names."""
    db.session.execute(sa.delete(contact_words).where(contact_words.c.contact_id == contact_id))
