"""indexes that keep lists, queues, intake, feed and deletes fast at a million incidents (issue #13)

Revision ID: 7c4d2e9b5a10
Revises: 4b8e2f6a1c93
Create Date: 2026-12-02 18:40:00

"""
from alembic import op
import sqlalchemy as sa

revision = '7c4d2e9b5a10'
down_revision = '4b8e2f6a1c93'
branch_labels = None
depends_on = None

# Open = not finished; the same literal predicate as geo.dispatch.models.OPEN_INCIDENT.
OPEN = sa.text("status NOT IN ('closed', 'rejected', 'duplicate')")


def upgrade():
    # Under the database's collation (C.UTF-8) the index on group_code served no prefix condition;
    # byte-wise, it serves the jurisdiction ranges (geo.grid.models.codes_under).
    op.alter_column('incident', 'group_code', type_=sa.String(length=15, collation='C'), existing_nullable=False)
    # With the net alongside, a list's capped total is counted from the index alone.
    op.drop_index('ix_incident_group_code', table_name='incident')
    op.create_index('ix_incident_group_code', 'incident', ['group_code'], postgresql_include=['net'])
    op.create_index('ix_incident_reported_at', 'incident', [sa.text('reported_at DESC'), sa.text('id DESC')])
    op.create_index(
        'ix_incident_open_scope',
        'incident',
        ['group_code'],
        postgresql_include=['net', 'status', 'assignee_id', 'due_at', 'escalation_level', 'suspected_duplicate_id'],
        postgresql_where=OPEN,
    )
    # Open cases near a point and within a time window, from one index: GiST over a timestamp needs btree_gist
    # (a trusted extension: the database's owner may create it).
    op.execute('CREATE EXTENSION IF NOT EXISTS btree_gist')
    op.create_index(
        'ix_incident_open_location',
        'incident',
        ['location', 'reported_at'],
        postgresql_using='gist',
        postgresql_where=OPEN,
    )
    op.create_index(
        'ix_incident_duplicate_of_id',
        'incident',
        ['duplicate_of_id'],
        postgresql_where=sa.text('duplicate_of_id IS NOT NULL'),
    )
    op.create_index(
        'ix_incident_suspected_duplicate_id',
        'incident',
        ['suspected_duplicate_id'],
        postgresql_where=sa.text('suspected_duplicate_id IS NOT NULL'),
    )
    op.create_index('ix_incident_closed_at', 'incident', ['closed_at'])


def downgrade():
    for name in (
        'ix_incident_closed_at',
        'ix_incident_suspected_duplicate_id',
        'ix_incident_duplicate_of_id',
        'ix_incident_open_location',
        'ix_incident_open_scope',
        'ix_incident_reported_at',
    ):
        op.drop_index(name, table_name='incident')
    op.drop_index('ix_incident_group_code', table_name='incident')
    op.alter_column('incident', 'group_code', type_=sa.String(length=15), existing_nullable=False)
    op.create_index('ix_incident_group_code', 'incident', ['group_code'])
