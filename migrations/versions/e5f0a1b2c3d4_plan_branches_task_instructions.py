"""a plan's new party branches; a patrol task's instructions (issue #15)

Revision ID: e5f0a1b2c3d4
Revises: 9d1e6b3f2a47
Create Date: 2026-12-02 21:30:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = 'e5f0a1b2c3d4'
down_revision = '9d1e6b3f2a47'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('plan_grid', sa.Column('branch', postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.add_column('patrol_task', sa.Column('instructions', sa.Text(), server_default='', nullable=False))


def downgrade():
    op.drop_column('patrol_task', 'instructions')
    op.drop_column('plan_grid', 'branch')
