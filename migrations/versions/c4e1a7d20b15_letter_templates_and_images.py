"""letter editor: letter templates and uploaded images (new tables only)

Revision ID: c4e1a7d20b15
Revises: c5a1e7d3f902
Create Date: 2026-11-30 10:10:00

"""
from alembic import op
import sqlalchemy as sa

import crm.db


# revision identifiers, used by Alembic.
revision = 'c4e1a7d20b15'
down_revision = 'c5a1e7d3f902'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('letter_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('preheader', sa.String(length=200), nullable=False),
    sa.Column('body_markdown', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', crm.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', crm.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_letter_templates_created_by_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letter_templates')),
    sqlite_autoincrement=True
    )
    op.create_table('images',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('extension', sa.String(length=5), nullable=False),
    sa.Column('content_type', sa.String(length=20), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', crm.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_images_uploaded_by_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_images')),
    sa.UniqueConstraint('digest', name=op.f('uq_images_digest')),
    sqlite_autoincrement=True
    )


def downgrade():
    op.drop_table('images')
    op.drop_table('letter_templates')
