"""notices of changed accounts, tokens and sessions, so workers forget the callers they keep; hotspots' points from an index (issue #13)

Revision ID: d46e0e7a4004
Revises: e56e0e7a5005
Create Date: 2026-12-03 06:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'd46e0e7a4004'
down_revision = 'e56e0e7a5005'
branch_labels = None
depends_on = None

# What geo/accounts/callers.py keeps is read from these; any change there outdates it.
WATCHED = {
    'app_user': 'UPDATE OR DELETE OR TRUNCATE',
    'api_token': 'UPDATE OR DELETE OR TRUNCATE',
    'login_session': 'UPDATE OR DELETE OR TRUNCATE',
    'grid': 'UPDATE OF code OR DELETE OR TRUNCATE',
    'grid_worker': 'UPDATE OF code OR DELETE OR TRUNCATE',
}


def upgrade():
    # Statement-level: one notice per statement, sent only if its transaction commits.
    op.execute(
        """
        CREATE FUNCTION notify_caller_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('gridmap_callers', TG_TABLE_NAME);
            RETURN NULL;
        END $$
        """
    )
    for table, events in WATCHED.items():
        op.execute(
            f"CREATE TRIGGER {table}_caller_change AFTER {events} ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION notify_caller_change()"
        )
    # Hotspots read a season's points (jurisdiction, net, category, location) from the index alone.
    op.drop_index('ix_incident_reported_at', table_name='incident')
    op.create_index(
        'ix_incident_reported_at',
        'incident',
        [sa.text('reported_at DESC'), sa.text('id DESC')],
        postgresql_include=['group_code', 'net', 'category_id', 'location'],
    )


def downgrade():
    op.drop_index('ix_incident_reported_at', table_name='incident')
    op.create_index('ix_incident_reported_at', 'incident', [sa.text('reported_at DESC'), sa.text('id DESC')])
    for table in WATCHED:
        op.execute(f"DROP TRIGGER {table}_caller_change ON {table}")
    op.execute("DROP FUNCTION notify_caller_change()")
