"""a fingerprint of the request kept with each Idempotency-Key, so a key reused for another request is refused

Revision ID: 4b8e2f6a1c93
Revises: 5e7a9c2d41b8
Create Date: 2026-12-02 14:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '4b8e2f6a1c93'
down_revision = '5e7a9c2d41b8'
branch_labels = None
depends_on = None


def upgrade():
    # Rows kept before this change have none and are taken at their word on a retry.
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_fingerprint', sa.String(length=64), nullable=True))
    with op.batch_alter_table('patrol_checkin', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_fingerprint', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('patrol_checkin', schema=None) as batch_op:
        batch_op.drop_column('request_fingerprint')
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_column('request_fingerprint')
