"""activities of a village organisation itself (a 党总支's meeting, the whole village's 主题党日) (issue #18)

Revision ID: e16e0e7b0011
Revises: a36e0e7b0013
Create Date: 2026-12-03 18:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'e16e0e7b0011'
down_revision = 'a36e0e7b0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('party_activity', schema=None) as batch_op:
        batch_op.add_column(sa.Column('village_branch_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_party_activity_village_branch_id'), ['village_branch_id'], unique=False)
        batch_op.create_foreign_key(
            'party_activity_village_branch_id_fkey', 'party_village_branch', ['village_branch_id'], ['id'],
            ondelete='CASCADE',
        )
        batch_op.drop_constraint('ck_party_activity_one_branch', type_='check')
        batch_op.create_check_constraint(
            'ck_party_activity_one_branch', 'num_nonnulls(branch_id, temporary_branch_id, village_branch_id) = 1'
        )
    # As for group branches (f66e0e7a6006): an organisation given another village grid takes its activities'
    # area_code along, whichever code path makes the change.
    op.execute(
        """
        CREATE FUNCTION party_follow_village_branch() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE code varchar(15);
        BEGIN
            SELECT grid.code INTO code FROM grid WHERE grid.id = NEW.grid_id;
            UPDATE party_activity SET area_code = code WHERE village_branch_id = NEW.id AND area_code <> code;
            RETURN NEW;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER party_village_branch_moved AFTER UPDATE OF grid_id ON party_village_branch "
        "FOR EACH ROW WHEN (OLD.grid_id IS DISTINCT FROM NEW.grid_id) EXECUTE FUNCTION party_follow_village_branch()"
    )


def downgrade():
    op.execute("DROP TRIGGER IF EXISTS party_village_branch_moved ON party_village_branch")
    op.execute("DROP FUNCTION IF EXISTS party_follow_village_branch()")
    op.execute("DELETE FROM party_activity WHERE village_branch_id IS NOT NULL")
    with op.batch_alter_table('party_activity', schema=None) as batch_op:
        batch_op.drop_constraint('ck_party_activity_one_branch', type_='check')
        batch_op.create_check_constraint(
            'ck_party_activity_one_branch', '(branch_id IS NULL) <> (temporary_branch_id IS NULL)'
        )
        batch_op.drop_constraint('party_activity_village_branch_id_fkey', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_party_activity_village_branch_id'))
        batch_op.drop_column('village_branch_id')
