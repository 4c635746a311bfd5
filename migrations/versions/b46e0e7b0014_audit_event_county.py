"""more than one county: every audit event carries the county of what it describes (issue #20)

A county's admin reads the events of their county whoever made them: the scheduler's escalations, residents'
reports, the prefecture's changes. The database sets the code on insert from the event's subject
(``audit_subject_county``), so no writer, ORM or plain INSERT, can forget it; a writer whose subject is gone
by then (a deletion) passes the code itself. Events written so far are filled in here.

Revision ID: b46e0e7b0014
Revises: e16e0e7b0011
Create Date: 2026-12-06 23:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'b46e0e7b0014'
down_revision = 'e16e0e7b0011'
branch_labels = None
depends_on = None

# The subject's county as its own table holds it (a prefecture's account: the prefecture's code, which no
# county reads). NULL for what every county shares (categories, schemes, rules, the database itself) and for a
# subject not found. Ids are tested before the cast: an event's id that is no number ("-" for a bulk import
# or an unknown login) must never make its insert fail. VOLATILE (the default), so a lookup sees rows written
# earlier in the same statement. The search path is fixed, as for the tile key's function (a36e0e7b0013), so
# the lookup reads the same tables from any session.
SUBJECT_COUNTY = """
CREATE FUNCTION audit_subject_county(subject text, subject_id text) RETURNS varchar(6)
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    subject_number integer;
BEGIN
    CASE subject
        WHEN 'incident' THEN RETURN (SELECT county_code FROM incident WHERE ticket = subject_id);
        WHEN 'grid_worker' THEN RETURN (SELECT county_code FROM grid_worker WHERE code = subject_id);
        WHEN 'force_member' THEN RETURN (SELECT county_code FROM force_member WHERE code = subject_id);
        WHEN 'county' THEN RETURN CASE WHEN subject_id ~ '^[0-9]{6}$' THEN subject_id END;
        ELSE NULL;
    END CASE;
    IF subject_id !~ '^[0-9]{1,9}$' THEN
        RETURN NULL;
    END IF;
    subject_number := subject_id::integer;
    CASE subject
        WHEN 'user' THEN RETURN (SELECT county_code FROM app_user WHERE id = subject_number);
        WHEN 'plan' THEN RETURN (SELECT county_code FROM plan WHERE id = subject_number);
        WHEN 'assessment' THEN RETURN (SELECT county_code FROM assessment WHERE id = subject_number);
        WHEN 'zone' THEN RETURN (SELECT county_code FROM seasonal_zone WHERE id = subject_number);
        WHEN 'patrol_task' THEN RETURN (SELECT county_code FROM patrol_task WHERE id = subject_number);
        WHEN 'party_branch' THEN RETURN (SELECT county_code FROM party_branch WHERE id = subject_number);
        WHEN 'party_member' THEN RETURN (SELECT county_code FROM party_member WHERE id = subject_number);
        WHEN 'party_project' THEN RETURN (SELECT county_code FROM party_project WHERE id = subject_number);
        WHEN 'party_activity' THEN RETURN (SELECT county_code FROM party_activity WHERE id = subject_number);
        WHEN 'party_village_branch' THEN
            RETURN (
                SELECT grid.county_code FROM party_village_branch JOIN grid ON grid.id = party_village_branch.grid_id
                WHERE party_village_branch.id = subject_number
            );
        WHEN 'training_record' THEN
            RETURN (
                SELECT grid_worker.county_code FROM training_record
                JOIN grid_worker ON grid_worker.id = training_record.worker_id
                WHERE training_record.id = subject_number
            );
        ELSE RETURN NULL;
    END CASE;
END $$
"""

#: What the writer passed wins; otherwise the subject's county.
FILL_COUNTY = """
CREATE FUNCTION audit_event_fill_county() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    NEW.county_code := coalesce(NEW.county_code, audit_subject_county(NEW.entity, NEW.entity_id));
    RETURN NEW;
END $$
"""

#: The events written before this revision, filled in; the trail is append-only, so its guard is lifted for
#: this one statement, inside the migration's transaction (no other writer sees the guard down). A subject
#: deleted since keeps NULL: only the prefecture reads that event, as before.
BACKFILL = (
    "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update_delete",
    "UPDATE audit_event SET county_code = audit_subject_county(entity, entity_id) WHERE county_code IS NULL",
    "ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update_delete",
)


def upgrade():
    op.add_column('audit_event', sa.Column('county_code', sa.String(length=6), nullable=True))
    op.create_index('ix_audit_event_county_code', 'audit_event', ['county_code'])
    op.execute(SUBJECT_COUNTY)
    op.execute(FILL_COUNTY)
    op.execute(
        "CREATE TRIGGER audit_event_county BEFORE INSERT ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION audit_event_fill_county()"
    )
    for statement in BACKFILL:
        op.execute(statement)


def downgrade():
    op.execute("DROP TRIGGER audit_event_county ON audit_event")
    op.execute("DROP FUNCTION audit_event_fill_county()")
    op.execute("DROP FUNCTION audit_subject_county(text, text)")
    op.drop_index('ix_audit_event_county_code', table_name='audit_event')
    op.drop_column('audit_event', 'county_code')
