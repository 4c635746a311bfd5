"""each past month's cases summed up for the indicators, and a trigger marking a month whose cases change

Every indicator of every grid and worker over 24 months at a million incidents took 6.2 s read from the cases
(the medians and percentiles sorting a million hours four times over). ``indicator_month`` keeps each settled
month's counts and stage hours per group, assignee, reporting account, net
and category; ``indicator_month_built`` which
months are summed up and with which definitions; ``indicator_month_stale`` the months whose cases changed since,
written by the statement triggers below on ``incident`` so such a month is read from the cases until summed up
anew. A TRUNCATE of the cases forgets every summary.

Revision ID: b86e0e7b0017
Revises: a76e0e7b0016
Create Date: 2026-12-07 02:10:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'b86e0e7b0017'
down_revision = 'a76e0e7b0016'
branch_labels = None
depends_on = None

# Marks against every past China Standard Time month the changed cases' stage times (old and new) fall in.
# The month's rows are locked in order (ORDER BY) so two writers never wait on each other crosswise.
_MARK_MONTHS_OF = """
        INSERT INTO indicator_month_stale AS stale (month)
        SELECT DISTINCT date_trunc('month', timezone(interval '8 hours', stage.moment))::date
        FROM {cases},
             LATERAL (VALUES (reported_at), (registered_at), (dispatched_at), (resolved_at), (due_at)) AS stage(moment)
        WHERE date_trunc('month', timezone(interval '8 hours', stage.moment))::date < this_month
        ORDER BY 1
        ON CONFLICT (month) DO UPDATE SET changes = stale.changes + 1;"""
_MARK = f"""
CREATE FUNCTION mark_indicator_months() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    this_month date := date_trunc('month', timezone(interval '8 hours', now()))::date;
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN{_MARK_MONTHS_OF.format(cases="new_cases")}
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN{_MARK_MONTHS_OF.format(cases="old_cases")}
    END IF;
    RETURN NULL;
END
$$;
CREATE FUNCTION forget_indicator_months() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM indicator_month_built;
    RETURN NULL;
END
$$;
CREATE TRIGGER incident_marks_months_inserted AFTER INSERT ON incident
    REFERENCING NEW TABLE AS new_cases FOR EACH STATEMENT EXECUTE FUNCTION mark_indicator_months();
CREATE TRIGGER incident_marks_months_updated AFTER UPDATE ON incident
    REFERENCING OLD TABLE AS old_cases NEW TABLE AS new_cases
    FOR EACH STATEMENT EXECUTE FUNCTION mark_indicator_months();
CREATE TRIGGER incident_marks_months_deleted AFTER DELETE ON incident
    REFERENCING OLD TABLE AS old_cases FOR EACH STATEMENT EXECUTE FUNCTION mark_indicator_months();
CREATE TRIGGER incident_forgets_months AFTER TRUNCATE ON incident
    FOR EACH STATEMENT EXECUTE FUNCTION forget_indicator_months();
"""


def upgrade():
    op.create_table(
        'indicator_month',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('group_code', sa.String(length=15, collation='C'), nullable=False),
        sa.Column(
            'county_code', sa.String(length=6), sa.Computed('left(group_code, 6)', persisted=True), nullable=False
        ),
        sa.Column('assignee_id', sa.Integer(), nullable=True),
        sa.Column('created_by', sa.String(length=50), nullable=False),
        sa.Column('net', sa.String(length=10), nullable=False),
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.Column('counts', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('hours', postgresql.ARRAY(sa.LargeBinary()), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_indicator_month_month', 'indicator_month', ['month', 'group_code'])
    op.create_index('ix_indicator_month_county_code', 'indicator_month', ['county_code'])
    op.create_table(
        'indicator_month_built',
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('built_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('month'),
    )
    op.create_table(
        'indicator_month_stale',
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('changes', sa.BigInteger(), server_default='1', nullable=False),
        sa.Column('since', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('month'),
    )
    op.execute(_MARK)


def downgrade():
    for trigger in ('incident_marks_months_inserted', 'incident_marks_months_updated',
                    'incident_marks_months_deleted', 'incident_forgets_months'):
        op.execute(f'DROP TRIGGER {trigger} ON incident')
    op.execute('DROP FUNCTION mark_indicator_months()')
    op.execute('DROP FUNCTION forget_indicator_months()')
    op.drop_table('indicator_month_stale')
    op.drop_table('indicator_month_built')
    op.drop_index('ix_indicator_month_county_code', table_name='indicator_month')
    op.drop_index('ix_indicator_month_month', table_name='indicator_month')
    op.drop_table('indicator_month')
