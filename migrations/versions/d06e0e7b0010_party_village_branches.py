"""village and community party organisations (党总支/党委) over the group branches (issue #18)

Revision ID: d06e0e7b0010
Revises: b86e0e7a8008
Create Date: 2026-12-03 09:10:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'd06e0e7b0010'
down_revision = 'b86e0e7a8008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('party_village_branch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('secretary', sa.String(length=50), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('general_branch', 'committee')", name='ck_party_village_branch_kind'),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    sa.UniqueConstraint('grid_id')
    )


def downgrade():
    op.drop_table('party_village_branch')
