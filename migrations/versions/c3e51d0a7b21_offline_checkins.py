"""check-ins sent later from a phone without signal: when received, and the phone's key

Revision ID: c3e51d0a7b21
Revises: 8fde74190206
Create Date: 2026-11-27 00:20:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'c3e51d0a7b21'
down_revision = '8fde74190206'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('patrol_checkin', schema=None) as batch_op:
        batch_op.add_column(sa.Column('received_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('client_key', sa.String(length=100), nullable=True))
    # Check-ins before this change were recorded as they arrived.
    op.execute("UPDATE patrol_checkin SET received_at = at")
    with op.batch_alter_table('patrol_checkin', schema=None) as batch_op:
        batch_op.alter_column('received_at', nullable=False)
        batch_op.create_index('ix_patrol_checkin_client_key', ['by', 'client_key'], unique=True)


def downgrade():
    with op.batch_alter_table('patrol_checkin', schema=None) as batch_op:
        batch_op.drop_index('ix_patrol_checkin_client_key')
        batch_op.drop_column('client_key')
        batch_op.drop_column('received_at')
