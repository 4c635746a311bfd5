"""more than one county: the county code on every table that holds a county's data (issue #20)

Rows with a grid code of their own get a generated column (the code's first six digits); rows hanging from a
grid by a foreign key get a plain column, filled here from that grid and afterwards by the domain on insert;
a generation records the county it redrew, and an assessment the county it was issued for (until now there was
one county, the one the grid holds).

Revision ID: b86e0e7a8008
Revises: c96e0e7a9009
Create Date: 2026-12-03 08:30:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'b86e0e7a8008'
down_revision = 'c96e0e7a9009'
branch_labels = None
depends_on = None

#: table -> the column holding its own grid code
GENERATED = {
    'admin_area': 'code',
    'assessment_figure': 'grid_code',
    'grid': 'code',
    'grid_lookup_part': 'code',
    'incident': 'group_code',
    'party_activity': 'area_code',
    'party_member': 'area_code',
    'party_project': 'area_code',
    'patrol_task': 'area_code',
    'plan': 'parent_code',
    'plan_grid': 'code',
    'seasonal_zone': 'area_code',
}
#: table -> the foreign key to the grid it hangs from
BY_GRID = {
    'app_user': 'jurisdiction_id',
    'force_member': 'grid_id',
    'grid_worker': 'grid_id',
    'party_branch': 'grid_id',
}


def upgrade():
    for table, code in GENERATED.items():
        op.add_column(
            table, sa.Column('county_code', sa.String(length=6), sa.Computed(f'left({code}, 6)', persisted=True), nullable=False)
        )
        op.create_index(f'ix_{table}_county_code', table, ['county_code'])
    for table, key in BY_GRID.items():
        op.add_column(table, sa.Column('county_code', sa.String(length=6), nullable=True))
        op.execute(f'UPDATE {table} SET county_code = left(grid.code, 6) FROM grid WHERE grid.id = {table}.{key}')
        op.alter_column(table, 'county_code', nullable=False)
        op.create_index(f'ix_{table}_county_code', table, ['county_code'])
    op.add_column('generation', sa.Column('county_code', sa.String(length=6), nullable=True))
    op.execute(
        "UPDATE generation SET county_code = (SELECT code FROM grid WHERE level = 'county' ORDER BY code LIMIT 1)"
    )
    op.alter_column('generation', 'county_code', nullable=False)
    op.create_index('ix_generation_county_code', 'generation', ['county_code'])
    # Each county issues its own assessment of a period; those issued so far were the one county's.
    op.add_column('assessment', sa.Column('county_code', sa.String(length=6), nullable=True))
    op.execute("UPDATE assessment SET county_code = (SELECT code FROM grid WHERE level = 'county' ORDER BY code LIMIT 1)")
    op.alter_column('assessment', 'county_code', nullable=False)
    op.create_index('ix_assessment_county_code', 'assessment', ['county_code'])
    op.drop_constraint('uq_assessment_period_version', 'assessment', type_='unique')
    op.create_unique_constraint(
        'uq_assessment_county_period_version', 'assessment', ['county_code', 'period', 'version']
    )


def downgrade():
    op.drop_constraint('uq_assessment_county_period_version', 'assessment', type_='unique')
    op.create_unique_constraint('uq_assessment_period_version', 'assessment', ['period', 'version'])
    op.drop_index('ix_assessment_county_code', table_name='assessment')
    op.drop_column('assessment', 'county_code')
    op.drop_index('ix_generation_county_code', table_name='generation')
    op.drop_column('generation', 'county_code')
    for table in (*GENERATED, *BY_GRID):
        op.drop_index(f'ix_{table}_county_code', table_name=table)
        op.drop_column(table, 'county_code')
