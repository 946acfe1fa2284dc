"""letters: click counters per link (no one's clicks); segments: several values per criterion and exclusions
(saved criteria rewritten); reference data: English labels

Revision ID: c5e8a1d2f403
Revises: baff13b7969f
Create Date: 2026-11-30 09:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5e8a1d2f403'
down_revision = 'baff13b7969f'
branch_labels = None
depends_on = None


def upgrade():
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
    op.drop_table('campaign_links')
