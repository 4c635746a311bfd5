"""the running cases by their deadline, for the count judged now (超期未处置)

Every period's indicators count the running cases past their deadline (``_overdue_rows``), and the dashboard's
twelve-month trend asks it of each month: at 10,000,000 incidents each month's count read 27,000 heap pages
through a lossy bitmap of the status and deadline indexes (1.2 s) to find the few running cases of the month.
A partial index of the running cases (64,000 of the ten million) holds what the count groups by.

Revision ID: e06e0e7b0020
Revises: d06e0e7b0019
Create Date: 2026-12-07 07:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'e06e0e7b0020'
down_revision = 'd06e0e7b0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_incident_running_due_at',
        'incident',
        ['due_at'],
        postgresql_include=['group_code', 'assignee_id', 'created_by', 'net', 'category_id'],
        postgresql_where=sa.text("status IN ('dispatched', 'in_progress')"),
    )


def downgrade():
    op.drop_index('ix_incident_running_due_at', table_name='incident')
