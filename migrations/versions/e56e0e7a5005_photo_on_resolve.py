"""categories that need a photo on resolving (处置前后照片) (issue #14)

Revision ID: e56e0e7a5005
Revises: f66e0e7a6006
Create Date: 2026-12-03 05:50:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'e56e0e7a5005'
down_revision = 'f66e0e7a6006'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        'incident_category', sa.Column('photo_on_resolve', sa.Boolean(), server_default=sa.false(), nullable=False)
    )


def downgrade():
    op.drop_column('incident_category', 'photo_on_resolve')
