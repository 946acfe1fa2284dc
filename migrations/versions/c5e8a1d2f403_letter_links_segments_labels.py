"""letters: click counters per link (no one's clicks); segments: several values per criterion and exclusions
(saved criteria rewritten); reference data: English labels

Revision ID: c5e8a1d2f403
Revises: c4e1a7d20b15
Create Date: 2026-11-30 09:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5e8a1d2f403'
down_revision = 'c4e1a7d20b15'
branch_labels = None
depends_on = None


# Segment criteria that now take several values (any of them): a saved single value becomes a list of one.
MULTI = ("kind", "sector", "axis", "department", "region", "ambassador", "topic", "action_axis")
segments = sa.table("segments", sa.column("id", sa.Integer), sa.column("criteria", sa.JSON))


def _rewrite_segments(change):
    connection = op.get_bind()
    for segment_id, criteria in connection.execute(sa.select(segments.c.id, segments.c.criteria)).all():
        new = change(dict(criteria or {}))
        if new != criteria:
            connection.execute(segments.update().where(segments.c.id == segment_id).values(criteria=new))


def _to_lists(criteria):
    for name in MULTI:
        value = criteria.get(name)
        if isinstance(value, str):
            if value.strip():
                criteria[name] = [value.strip().upper() if name == "department" else value.strip()]
            else:
                del criteria[name]
    return criteria


def _to_single_values(criteria):
    """Back to one value per criterion: the first one (lossy where several values or exclusions were saved)."""
    for name in MULTI:
        value = criteria.get(name)
        if isinstance(value, list):
            criteria[name] = value[0] if value else ""
            if not criteria[name]:
                del criteria[name]
    criteria.pop("exclude", None)
    return criteria


def upgrade():
    _rewrite_segments(_to_lists)
    op.create_table('campaign_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('clicks', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_links_campaign_id_campaigns'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_links')),
    sa.UniqueConstraint('campaign_id', 'url', name=op.f('uq_campaign_links_campaign_id_url')),
    sqlite_autoincrement=True
    )


def downgrade():
    _rewrite_segments(_to_single_values)
    op.drop_table('campaign_links')
