"""which open cases have a cross-net partner (跨网重复), kept by triggers as cases are written

The console's queue 跨网重复 asked every open case for an open case of another net within 500 m and 48 hours:
12.3 s for the queue counts at a million synthetic incidents, and worse than linearly beyond (the cases near
each case grow with the cases). ``incident_cross_net`` keeps, for each open case, one row per grid and net in
which it has such a partner, naming one of them (the witness): enough to tell who may see a partner, and
bounded by the grids and nets around a case however crowded the place is. The statement triggers below pair a
case when it is reported, moved in place or time, given another net or grid, or reopened, and give the rows it
witnessed another witness (or drop them) when it closes, changes or is deleted. The rule is
``geo.dispatch.nearness.reported_near``, written out here in SQL; ``tests/geo/dispatch/test_cross_net_pairs.py``
checks that the two agree.

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


def _near(case: str, partner: str) -> str:
    """``reported_near`` in SQL, the window a range on the partner's time for the open cases' index."""
    return f"""{partner}.{_OPEN}
               AND {partner}.id <> {case}.id
               AND {partner}.net <> {case}.net
               AND {partner}.county_code = {case}.county_code
               AND {partner}.reported_at BETWEEN {case}.reported_at - interval '48 hours'
                                             AND {case}.reported_at + interval '48 hours'
               AND ST_DWithin({case}.location, {partner}.location, 0.006)
               AND ST_DWithin({case}.location::geography, {partner}.location::geography, 500)"""


# Each function runs its statements with generic plans: planning the spatial join anew took 2 ms of each
# report's 2.5 ms here (PostgreSQL kept choosing custom plans), the generic plan's run 0.5 ms.
_FUNCTIONS = f"""
-- The open cases among ids: a row for each grid and net they have a partner in, and a row for them in each
-- partner's, unless one is kept already (its witness stays). Returns the rows written.
CREATE FUNCTION pair_cross_net(ids integer[]) RETURNS integer LANGUAGE plpgsql
    SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    written integer;
BEGIN
    WITH found AS (
        SELECT paired.id, paired.group_code AS grid, paired.net,
               partner.id AS partner_id, partner.group_code AS partner_grid, partner.net AS partner_net
        FROM incident AS paired JOIN incident AS partner ON {_near("paired", "partner")}
        WHERE paired.id IN (SELECT unnest(ids)) AND paired.{_OPEN}
    )
    INSERT INTO incident_cross_net (incident_id, partner_group_code, partner_net, partner_id)
    SELECT DISTINCT ON (pair.incident_id, pair.grid, pair.net) pair.incident_id, pair.grid, pair.net, pair.witness
    FROM (
        SELECT id, partner_grid, partner_net, partner_id FROM found
        UNION ALL
        SELECT partner_id, grid, net, id FROM found
    ) AS pair (incident_id, grid, net, witness)
    ORDER BY pair.incident_id, pair.grid, pair.net, pair.witness
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS written = ROW_COUNT;
    RETURN written;
END
$$;

-- The cases among ids closed, moved, changed net or grid, or were deleted: their own rows go (to be paired
-- anew if still open), and each row one of them witnessed takes another partner of that grid and net, or goes.
-- Returns the rows that went.
CREATE FUNCTION unpair_cross_net(ids integer[]) RETURNS integer LANGUAGE plpgsql
    SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    own integer;
    orphaned integer;
BEGIN
    DELETE FROM incident_cross_net WHERE incident_id IN (SELECT unnest(ids));
    GET DIAGNOSTICS own = ROW_COUNT;
    UPDATE incident_cross_net AS kept SET partner_id = (
        SELECT partner.id
        FROM incident AS paired JOIN incident AS partner ON {_near("paired", "partner")}
        WHERE paired.id = kept.incident_id
          AND partner.group_code = kept.partner_group_code AND partner.net = kept.partner_net
        LIMIT 1
    )
    WHERE kept.partner_id IN (SELECT unnest(ids));
    DELETE FROM incident_cross_net WHERE partner_id IS NULL;
    GET DIAGNOSTICS orphaned = ROW_COUNT;
    RETURN own + orphaned;
END
$$;

CREATE FUNCTION pair_cross_net_cases() RETURNS trigger LANGUAGE plpgsql
    SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    changed integer[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM pair_cross_net(ARRAY(SELECT id FROM new_cases WHERE {_OPEN}));
    ELSIF TG_OP = 'DELETE' THEN
        -- Their own rows went with them (the foreign key); the rows they witnessed take another partner.
        IF EXISTS (SELECT FROM incident_cross_net WHERE partner_id IN (SELECT id FROM old_cases)) THEN
            PERFORM unpair_cross_net(ARRAY(SELECT id FROM old_cases));
        END IF;
    ELSE
        -- Only a change of openness, place, time, net or grid changes a case's partners.
        changed := ARRAY(
            SELECT new_cases.id FROM new_cases JOIN old_cases USING (id)
            WHERE (ST_AsBinary(new_cases.location), new_cases.reported_at, new_cases.net, new_cases.group_code,
                   new_cases.{_OPEN})
                  IS DISTINCT FROM
                  (ST_AsBinary(old_cases.location), old_cases.reported_at, old_cases.net, old_cases.group_code,
                   old_cases.{_OPEN}));
        IF cardinality(changed) > 0 THEN
            PERFORM unpair_cross_net(changed);
            PERFORM pair_cross_net(changed);
        END IF;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER incident_pairs_cross_net_inserted AFTER INSERT ON incident
    REFERENCING NEW TABLE AS new_cases FOR EACH STATEMENT EXECUTE FUNCTION pair_cross_net_cases();
CREATE TRIGGER incident_pairs_cross_net_updated AFTER UPDATE ON incident
    REFERENCING OLD TABLE AS old_cases NEW TABLE AS new_cases
    FOR EACH STATEMENT EXECUTE FUNCTION pair_cross_net_cases();
CREATE TRIGGER incident_pairs_cross_net_deleted AFTER DELETE ON incident
    REFERENCING OLD TABLE AS old_cases FOR EACH STATEMENT EXECUTE FUNCTION pair_cross_net_cases();
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
        sa.Column('partner_group_code', sa.String(length=15, collation='C'), nullable=False),
        sa.Column('partner_net', sa.String(length=10), nullable=False),
        # No foreign key: a deleted witness is replaced by the trigger, not cascaded away with its row.
        sa.Column('partner_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('incident_id', 'partner_group_code', 'partner_net'),
    )
    op.create_index('ix_incident_cross_net_partner_id', 'incident_cross_net', ['partner_id'])
    # The queue counts ask the pairs for each open case's id: in the open cases' index, they stay index-only.
    _open_scope(['id', *_OPEN_SCOPE])
    op.execute(_FUNCTIONS)
    # The cases open now, paired as the trigger pairs a new one.
    op.execute(f'SELECT pair_cross_net(ARRAY(SELECT id FROM incident WHERE {_OPEN}))')


def downgrade():
    for trigger in ('inserted', 'updated', 'deleted'):
        op.execute(f'DROP TRIGGER incident_pairs_cross_net_{trigger} ON incident')
    op.execute('DROP FUNCTION pair_cross_net_cases()')
    op.execute('DROP FUNCTION unpair_cross_net(integer[])')
    op.execute('DROP FUNCTION pair_cross_net(integer[])')
    _open_scope(_OPEN_SCOPE)
    op.drop_index('ix_incident_cross_net_partner_id', table_name='incident_cross_net')
    op.drop_table('incident_cross_net')
