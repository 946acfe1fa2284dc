"""reference taxonomy: the mailing topics, organisation kinds, sectors and the programme's four axes ship with the
schema, so that a database built by `flask db upgrade` alone can take a signup and its confirmation

Revision ID: fbe0646772f0
Revises: e4b7d2a9c613
Create Date: 2026-11-30 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = 'fbe0646772f0'
down_revision = 'e4b7d2a9c613'
branch_labels = None
depends_on = None

# A copy of the lists in crm/consent/services.py (TOPICS) and crm/partners/taxonomy.py as they stand at this
# revision: a migration must not change with the code. `flask taxonomy load` adds whatever the code gains later.
TOPICS = [
    ('lettre', "Lettre d'information", "La lettre d'information Territoires d'industrie."),
    ('evenements', 'Invitations aux événements', 'Comités techniques, rencontres, ateliers, visites.'),
    ('club', 'Actualités du Club des Industriels', 'Les nouvelles et rendez-vous du Club.'),
]
ORGANISATION_KINDS = [
    ('entreprise', 'Entreprise industrielle'),
    ('services_industrie', "Services à l'industrie, sous-traitance"),
    ('formation', 'Centre de formation'),
    ('organisme_public', 'Organisme public'),
    ('chambre_consulaire', 'Chambre consulaire (CCI, CMA)'),
    ('operateur_label', 'Opérateur du label'),
    ('association', 'Association, réseau'),
    ('collectivite', 'Collectivité'),
    ('autre', 'Autre'),
]
SECTORS = [
    ('plasturgie', 'Plasturgie et composites'),
    ('agroalimentaire', 'Agroalimentaire'),
    ('numerique', 'Numérique'),
    ('autre', 'Autre filière'),
]
AXES = [
    ('transition', 'Transition écologique et énergétique'),
    ('innovation', "Écosystèmes d'innovation"),
    ('competences', 'Recrutement et compétences'),
    ('foncier', 'Foncier industriel'),
]


def _table(name, *extra):
    return sa.table(name, sa.column('code', sa.String(40)), sa.column('label', sa.String(120)),
                    sa.column('position', sa.Integer()), *extra)


def _insert_missing(table, rows):
    """Only the codes not there yet: a database where `flask taxonomy load` ran keeps its rows and its labels
    (the team may have renamed them)."""
    connection = op.get_bind()
    existing = set(connection.scalars(sa.select(table.c.code)))
    missing = [row for row in rows if row['code'] not in existing]
    if missing:
        connection.execute(table.insert(), missing)


def upgrade():
    topics = _table('topics', sa.column('description', sa.String(300)))
    _insert_missing(topics, [{'code': code, 'label': label, 'description': description, 'position': position}
                             for position, (code, label, description) in enumerate(TOPICS)])
    for name, entries in (('organisation_kinds', ORGANISATION_KINDS), ('sectors', SECTORS), ('axes', AXES)):
        _insert_missing(_table(name), [{'code': code, 'label': label, 'position': position}
                                       for position, (code, label) in enumerate(entries)])


def downgrade():
    # Reference rows stay: contacts and organisations point at them, and removing a sector or a topic would
    # silently drop those links (ON DELETE CASCADE). They are data, not schema.
    pass
