"""the open cases' cross-net pairs (跨网重复), kept by a trigger as cases are written

The console's queue 跨网重复 asked every open case for an open case of another net within 500 m and 48 hours:
12.3 s for the queue counts at a million synthetic incidents (0.84 s with the net in the spatial index), and
worse than linearly beyond. ``incident_cross_net`` holds each such pair both ways round, with the partner's
grid and net so that who may see the partner is read from the pair alone; the statement
triggers below pair a case when it is reported, moved in place or time, given another net, or reopened, and
forget its pairs when it closes. The rule is ``geo.dispatch.nearness.reported_near``, written out here in SQL;
``tests/geo/dispatch/test_cross_net_pairs.py`` checks that the two agree.

Revision ID: d06e0e7b0019
Revises: b86e0e7b0017
Create Date: 2026-12-07 06:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'd06e0e7b0019'
down_revision = 'b86e0e7b0017'
branch_labels = None
depends_on = None

_OPEN = "status NOT IN ('closed', 'rejected', 'duplicate')"

# Pairs each open case of {cases} with the open cases of other nets near it in place and time, both ways round.
# The window is a range on the partner's time, so the open cases' index on (location, reported_at) answers.
_PAIR = f"""
        INSERT INTO incident_cross_net (incident_id, partner_id, partner_group_code, partner_net)
        SELECT DISTINCT pair.incident_id, pair.partner_id, pair.partner_group_code, pair.partner_net
        FROM {{cases}} AS paired
        JOIN incident AS partner
          ON partner.{_OPEN}
         AND partner.id <> paired.id
         AND partner.net <> paired.net
         AND partner.county_code = paired.county_code
         AND partner.reported_at BETWEEN paired.reported_at - interval '48 hours'
                                     AND paired.reported_at + interval '48 hours'
         AND ST_DWithin(paired.location, partner.location, 0.006)
         AND ST_DWithin(paired.location::geography, partner.location::geography, 500),
        LATERAL (VALUES (paired.id, partner.id, partner.group_code, partner.net),
                        (partner.id, paired.id, paired.group_code, paired.net))
            AS pair(incident_id, partner_id, partner_group_code, partner_net)
        WHERE paired.{_OPEN}
        ORDER BY 1, 2
        ON CONFLICT DO NOTHING;"""

# A case whose pairs may have changed: it closed or reopened, or its place, time, net or grid changed.
_CHANGED = f"""
        SELECT new_cases.* FROM new_cases JOIN old_cases USING (id)
        WHERE (ST_AsBinary(new_cases.location), new_cases.reported_at, new_cases.net, new_cases.group_code,
               new_cases.{_OPEN})
              IS DISTINCT FROM
              (ST_AsBinary(old_cases.location), old_cases.reported_at, old_cases.net, old_cases.group_code,
               old_cases.{_OPEN})"""

_TRIGGERS = f"""
CREATE FUNCTION pair_cross_net_cases() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM incident_cross_net
        WHERE incident_id IN (SELECT id FROM ({_CHANGED}) AS changed)
           OR partner_id IN (SELECT id FROM ({_CHANGED}) AS changed);{_PAIR.format(cases=f"({_CHANGED})")}
    ELSE{_PAIR.format(cases="new_cases")}
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER incident_pairs_cross_net_inserted AFTER INSERT ON incident
    REFERENCING NEW TABLE AS new_cases FOR EACH STATEMENT EXECUTE FUNCTION pair_cross_net_cases();
CREATE TRIGGER incident_pairs_cross_net_updated AFTER UPDATE ON incident
    REFERENCING OLD TABLE AS old_cases NEW TABLE AS new_cases
    FOR EACH STATEMENT EXECUTE FUNCTION pair_cross_net_cases();
"""


_OPEN_SCOPE = ['net', 'status', 'assignee_id', 'due_at', 'escalation_level', 'suspected_duplicate_id']


def _open_scope(include: list[str]) -> None:
    op.drop_index('ix_incident_open_scope', table_name='incident')
    op.create_index(
        'ix_incident_open_scope', 'incident', ['group_code'], postgresql_include=include,
        postgresql_where=sa.text(_OPEN),
    )


def upgrade():
    op.create_table(
        'incident_cross_net',
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('partner_id', sa.Integer(), nullable=False),
        sa.Column('partner_group_code', sa.String(length=15, collation='C'), nullable=False),
        sa.Column('partner_net', sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['partner_id'], ['incident.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('incident_id', 'partner_id'),
    )
    op.create_index('ix_incident_cross_net_partner_id', 'incident_cross_net', ['partner_id'])
    # The queue counts ask the pairs for each open case's id: in the open cases' index, they stay index-only.
    _open_scope(['id', *_OPEN_SCOPE])
    # The pairs of the cases already open: the same statement the trigger runs, over every case.
    op.execute(_PAIR.format(cases="incident"))
    op.execute(_TRIGGERS)


def downgrade():
    op.execute('DROP TRIGGER incident_pairs_cross_net_inserted ON incident')
    op.execute('DROP TRIGGER incident_pairs_cross_net_updated ON incident')
    op.execute('DROP FUNCTION pair_cross_net_cases()')
    _open_scope(_OPEN_SCOPE)
    op.drop_index('ix_incident_cross_net_partner_id', table_name='incident_cross_net')
    op.drop_table('incident_cross_net')
