"""a report made offline keeps the time it was made (reported_at) and the time it reached the server (issue #14)

Revision ID: c96e0e7a9009
Revises: a76e0e7a7007
Create Date: 2026-12-03 08:50:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'c96e0e7a9009'
down_revision = 'a76e0e7a7007'
branch_labels = None
depends_on = None


def upgrade():
    # Nullable, no default: adding it does not rewrite a million rows; NULL on the cases reported before it.
    op.add_column('incident', sa.Column('received_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column('incident', 'received_at')
