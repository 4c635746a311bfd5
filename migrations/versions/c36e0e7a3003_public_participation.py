"""residents' participation: public categories and notes, residents' reports, Open311 keys (issue #17)

Revision ID: c36e0e7a3003
Revises: b26e0e7a2002
Create Date: 2026-12-02 21:20:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'c36e0e7a3003'
down_revision = 'b26e0e7a2002'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('incident_category', sa.Column('is_public', sa.Boolean(), server_default=sa.false(), nullable=False))
    # Every category residents may report, except the religious net's (sensitive; admins may open them).
    op.execute("UPDATE incident_category SET is_public = true WHERE net <> 'religious'")
    op.add_column('incident', sa.Column('from_public', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('incident', sa.Column('resident_reports', sa.Integer(), server_default='0', nullable=False))
    op.add_column('incident', sa.Column('callback_consent', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('incident_event', sa.Column('is_public', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        'open311_client',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name'),
        sa.UniqueConstraint('key_hash'),
    )
    op.create_table(
        'public_report',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('is_supporting', sa.Boolean(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('open311_token', sa.String(length=40), nullable=True),
        sa.Column('client_id', sa.Integer(), nullable=True),
        sa.Column('reporter_name', sa.String(length=50), nullable=False),
        sa.Column('reporter_phone', sa.String(length=30), nullable=False),
        sa.Column('callback_consent', sa.Boolean(), nullable=False),
        sa.Column('idempotency_key', sa.String(length=100), nullable=False),
        sa.Column('request_fingerprint', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['client_id'], ['open311_client.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code_hash'),
        sa.UniqueConstraint('open311_token'),
        sa.UniqueConstraint('idempotency_key'),
    )
    op.create_index('ix_public_report_incident_id', 'public_report', ['incident_id'])
    op.create_table(
        'public_contact_field',
        sa.Column('field', sa.String(length=20), nullable=False),
        sa.Column('published', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('field'),
    )
    op.execute(
        "INSERT INTO public_contact_field (field, published) VALUES ('name', true), ('post', true), ('phone', false)"
    )


def downgrade():
    op.drop_table('public_contact_field')
    op.drop_index('ix_public_report_incident_id', table_name='public_report')
    op.drop_table('public_report')
    op.drop_table('open311_client')
    op.drop_column('incident_event', 'is_public')
    op.drop_column('incident', 'callback_consent')
    op.drop_column('incident', 'resident_reports')
    op.drop_column('incident', 'from_public')
    op.drop_column('incident_category', 'is_public')
