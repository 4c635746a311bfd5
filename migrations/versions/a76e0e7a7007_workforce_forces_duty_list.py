"""grid workers' profiles, training and points; the other forces and co-handlers; the duty list (issue #18)

Revision ID: a76e0e7a7007
Revises: d46e0e7a4004
Create Date: 2026-12-03 05:37:45

"""
from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = 'a76e0e7a7007'
down_revision = 'd46e0e7a4004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('points_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('per_grade', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('per_training_hour', sa.Float(), nullable=False),
    sa.Column('per_commendation', sa.Float(), nullable=False),
    sa.Column('per_sanction', sa.Float(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=50), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('version')
    )
    op.create_table('training_topic',
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('name_zh', sa.String(length=50), nullable=False),
    sa.Column('name_en', sa.String(length=80), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('code'),
    sa.UniqueConstraint('name_zh')
    )
    op.create_table('category_duty',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('lead_post', sa.String(length=50), nullable=False),
    sa.Column('supporting_nets', postgresql.ARRAY(sa.String(length=10)), nullable=False),
    sa.Column('supporting_forces', postgresql.ARRAY(sa.String(length=20)), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('updated_by', sa.String(length=50), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['incident_category.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('category_id')
    )
    op.create_geospatial_table('force_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('organisation', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('location', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    with op.batch_alter_table('force_member', schema=None) as batch_op:
        batch_op.create_geospatial_index('idx_force_member_location', ['location'], unique=False, postgresql_using='gist', postgresql_ops={})
        batch_op.create_index(batch_op.f('ix_force_member_grid_id'), ['grid_id'], unique=False)

    op.create_table('training_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('course', sa.String(length=100), nullable=False),
    sa.Column('topic_code', sa.String(length=30), nullable=False),
    sa.Column('hours', sa.Numeric(precision=5, scale=1), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('certificate', sa.String(length=60), nullable=False),
    sa.Column('created_by', sa.String(length=50), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['topic_code'], ['training_topic.code'], ),
    sa.ForeignKeyConstraint(['worker_id'], ['grid_worker.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('training_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_record_held_on'), ['held_on'], unique=False)
        batch_op.create_index('ix_training_record_once', ['worker_id', 'course', 'held_on'], unique=True)

    op.create_table('worker_profile',
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('employment', sa.String(length=10), nullable=False),
    sa.Column('is_local', sa.Boolean(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=True),
    sa.Column('updated_by', sa.String(length=50), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['worker_id'], ['grid_worker.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('worker_id')
    )
    op.create_table('worker_recognition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=15), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('awarded_on', sa.Date(), nullable=False),
    sa.Column('body', sa.String(length=100), nullable=False),
    sa.Column('created_by', sa.String(length=50), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['worker_id'], ['grid_worker.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('worker_recognition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_worker_recognition_worker_id'), ['worker_id'], unique=False)

    op.create_table('incident_co_handler',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('added_by', sa.String(length=50), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['force_member.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('incident_co_handler', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_co_handler_member_id'), ['member_id'], unique=False)
        batch_op.create_index('ix_incident_co_handler_pair', ['incident_id', 'member_id'], unique=True)

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('force_member_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('app_user_force_member_id_fkey', 'force_member', ['force_member_id'], ['id'])

    # The training catalogue the county reports by, and version 1 of the points rules.
    op.execute(
        "INSERT INTO training_topic (code, name_zh, name_en, position) VALUES "
        "('law_policy', '法律政策', 'Law and policy', 1), "
        "('digital', '信息化应用', 'Digital tools', 2), "
        "('mediation', '矛盾调解', 'Dispute mediation', 3), "
        "('ethnic_religious', '民族宗教政策', 'Ethnic and religious policy', 4), "
        "('emergency', '应急处置', 'Emergency response', 5), "
        "('rural_revitalization', '乡村振兴', 'Rural revitalization', 6), "
        "('party_building', '党建业务', 'Party building', 7)"
    )
    op.execute(
        "INSERT INTO points_rules (version, per_grade, per_training_hour, per_commendation, per_sanction, note, "
        "created_by) VALUES (1, '{\"A\": 10, \"B\": 8, \"C\": 6, \"D\": 3, \"E\": 0}', 0.5, 5, 5, "
        "'每月考核等次计分，每学时 0.5 分，表彰加 5 分，问责扣 5 分', 'system')"
    )



def downgrade():
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_constraint('app_user_force_member_id_fkey', type_='foreignkey')
        batch_op.drop_column('force_member_id')

    with op.batch_alter_table('incident_co_handler', schema=None) as batch_op:
        batch_op.drop_index('ix_incident_co_handler_pair')
        batch_op.drop_index(batch_op.f('ix_incident_co_handler_member_id'))

    op.drop_table('incident_co_handler')
    with op.batch_alter_table('worker_recognition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_worker_recognition_worker_id'))

    op.drop_table('worker_recognition')
    op.drop_table('worker_profile')
    with op.batch_alter_table('training_record', schema=None) as batch_op:
        batch_op.drop_index('ix_training_record_once')
        batch_op.drop_index(batch_op.f('ix_training_record_held_on'))

    op.drop_table('training_record')
    with op.batch_alter_table('force_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_force_member_grid_id'))
        batch_op.drop_geospatial_index('idx_force_member_location', postgresql_using='gist', column_name='location')

    op.drop_geospatial_table('force_member')
    op.drop_table('category_duty')
    op.drop_table('training_topic')
    op.drop_table('points_rules')
