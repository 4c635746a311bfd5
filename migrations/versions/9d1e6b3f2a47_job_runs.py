"""scheduled jobs' runs (issue #20)

Revision ID: 9d1e6b3f2a47
Revises: 7c4d2e9b5a10
Create Date: 2026-12-02 19:20:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '9d1e6b3f2a47'
down_revision = '7c4d2e9b5a10'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'job_run',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('job', sa.String(length=50), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ok', sa.Boolean(), nullable=False),
        sa.Column('result', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('runner', sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_job_run_job', 'job_run', ['job'])


def downgrade():
    op.drop_index('ix_job_run_job', table_name='job_run')
    op.drop_table('job_run')
