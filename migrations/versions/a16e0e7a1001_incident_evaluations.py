"""incident evaluations (回访 and residents' ratings); stage-time indexes for the indicators (issue #16)

Revision ID: a16e0e7a1001
Revises: e5f0a1b2c3d4
Create Date: 2026-12-02 22:05:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'a16e0e7a1001'
down_revision = 'e5f0a1b2c3d4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'incident_evaluation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('result', sa.String(length=20), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('source', sa.String(length=10), nullable=False),
        sa.Column('actor', sa.String(length=50), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('replaces_id', sa.Integer(), nullable=True),
        sa.Column('reopened', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['replaces_id'], ['incident_evaluation.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_incident_evaluation_incident', 'incident_evaluation', ['incident_id', 'at'], unique=False)
    op.create_index('ix_incident_evaluation_at', 'incident_evaluation', ['at'], unique=False)
    op.create_index('ix_incident_evaluation_replaces', 'incident_evaluation', ['replaces_id'], unique=True)
    op.create_index('ix_incident_registered_at', 'incident', ['registered_at'], unique=False)
    op.create_index('ix_incident_dispatched_at', 'incident', ['dispatched_at'], unique=False)
    op.create_index('ix_incident_resolved_at', 'incident', ['resolved_at'], unique=False)


def downgrade():
    op.drop_index('ix_incident_resolved_at', table_name='incident')
    op.drop_index('ix_incident_dispatched_at', table_name='incident')
    op.drop_index('ix_incident_registered_at', table_name='incident')
    op.drop_index('ix_incident_evaluation_replaces', table_name='incident_evaluation')
    op.drop_index('ix_incident_evaluation_at', table_name='incident_evaluation')
    op.drop_index('ix_incident_evaluation_incident', table_name='incident_evaluation')
    op.drop_table('incident_evaluation')
