"""scoring schemes and issued assessments (issue #16)

Revision ID: b26e0e7a2002
Revises: a16e0e7a1001
Create Date: 2026-12-02 21:20:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = 'b26e0e7a2002'
down_revision = 'a16e0e7a1001'
branch_labels = None
depends_on = None

# Version 1 is the published formulas (issue #16); later versions are added by admins.
GRID = [
    {"indicator": "on_time_handling_rate", "weight": 60, "inverted": False},
    {"indicator": "closure_rate", "weight": 30, "inverted": False},
    {"indicator": "rework_rate", "weight": 10, "inverted": True},
]
WORKER = [
    {"indicator": "valid_report_rate", "weight": 40, "inverted": False},
    {"indicator": "on_time_handling_rate", "weight": 20, "inverted": False},
    {"indicator": "closure_rate", "weight": 20, "inverted": False},
    {"indicator": "satisfaction_rate", "weight": 20, "inverted": False},
]
THRESHOLDS = {"A": 90, "B": 75, "C": 60, "D": 40}


def upgrade():
    scheme = op.create_table(
        'scoring_scheme',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('grid_components', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('worker_components', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('grade_thresholds', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('created_by', sa.String(length=50), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('version'),
    )
    op.bulk_insert(
        scheme,
        [
            {
                "version": 1,
                "grid_components": GRID,
                "worker_components": WORKER,
                "grade_thresholds": THRESHOLDS,
                "note": "issue #16",
                "created_by": "system",
            }
        ],
    )
    op.create_table(
        'assessment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=10), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('since', sa.Date(), nullable=False),
        sa.Column('until', sa.Date(), nullable=False),
        sa.Column('scheme_id', sa.Integer(), nullable=False),
        sa.Column('jurisdiction_code', sa.String(length=15), nullable=False),
        sa.Column('issued_by', sa.String(length=50), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('changes', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.ForeignKeyConstraint(['scheme_id'], ['scoring_scheme.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('period', 'version', name='uq_assessment_period_version'),
    )
    op.create_table(
        'assessment_figure',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('assessment_id', sa.Integer(), nullable=False),
        sa.Column('nets', sa.String(length=40), nullable=False),
        sa.Column('subject', sa.String(length=10), nullable=False),
        sa.Column('subject_code', sa.String(length=20), nullable=False),
        sa.Column('grid_code', sa.String(length=15), nullable=False),
        sa.Column('indicator', sa.String(length=40), nullable=False),
        sa.Column('numerator', sa.Float(), nullable=False),
        sa.Column('denominator', sa.Float(), nullable=True),
        sa.Column('value', sa.Float(), nullable=True),
        sa.Column('grade', sa.String(length=2), nullable=True),
        sa.Column('numerator_ids', postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column('denominator_ids', postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(
        'ix_assessment_figure_lookup',
        'assessment_figure',
        ['assessment_id', 'nets', 'subject', 'subject_code', 'indicator'],
        unique=True,
    )


def downgrade():
    op.drop_index('ix_assessment_figure_lookup', table_name='assessment_figure')
    op.drop_table('assessment_figure')
    op.drop_table('assessment')
    op.drop_table('scoring_scheme')
