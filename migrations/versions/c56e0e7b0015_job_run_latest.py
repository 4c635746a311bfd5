"""a job's latest run is one index probe: job_run indexed on (job, started_at) instead of job alone

The escalation runs every 5 minutes, 105,000 runs a year. With the job alone indexed, the health check and the
jobs page sorted all of a job's runs to find its latest: 13.7 ms per check after a year's runs, 0.9 ms with this
index (measured on 105,120 escalation runs).

Revision ID: c56e0e7b0015
Revises: b46e0e7b0014
Create Date: 2026-12-06 23:20:00

"""
from alembic import op

revision = 'c56e0e7b0015'
down_revision = 'b46e0e7b0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_job_run_job_started_at', 'job_run', ['job', 'started_at'])
    op.drop_index('ix_job_run_job', table_name='job_run')


def downgrade():
    op.create_index('ix_job_run_job', 'job_run', ['job'])
    op.drop_index('ix_job_run_job_started_at', table_name='job_run')
