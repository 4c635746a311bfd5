"""more than one county: each county's tickets begin with its own prefix (issue #20)

A county's grid row carries the prefix of its tickets (``grid.ticket_prefix``, 2 to 8 capital letters, county-level
grids only, one county's alone); a county without one numbers its tickets by its code (``533423-2026-000123``).
Deqin keeps DQ, the prefix every ticket had so far. Tickets grow to 24 characters: an eight-letter prefix, the year
and an id of ten digits (an integer column's largest), where 20 held a two-letter prefix only.

Revision ID: a76e0e7b0016
Revises: c56e0e7b0015
Create Date: 2026-12-07 02:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'a76e0e7b0016'
down_revision = 'c56e0e7b0015'
branch_labels = None
depends_on = None

PREFIX_CHECK = "ticket_prefix IS NULL OR (level = 'county' AND ticket_prefix ~ '^[A-Z]{2,8}$')"


def upgrade():
    op.add_column('grid', sa.Column('ticket_prefix', sa.String(length=8), nullable=True))
    op.create_unique_constraint('grid_ticket_prefix_key', 'grid', ['ticket_prefix'])
    op.create_check_constraint('ck_grid_ticket_prefix', 'grid', PREFIX_CHECK)
    op.execute("UPDATE grid SET ticket_prefix = 'DQ' WHERE code = '533422' AND level = 'county'")
    # Longer varchar needs no rewrite of the table or its indexes: the stored values stay as they are.
    op.alter_column('incident', 'ticket', type_=sa.String(length=24), existing_type=sa.String(length=20))
    op.alter_column(
        'party_project',
        'incident_tickets',
        type_=sa.ARRAY(sa.String(length=24)),
        existing_type=sa.ARRAY(sa.String(length=20)),
    )


def downgrade():
    op.alter_column(
        'party_project',
        'incident_tickets',
        type_=sa.ARRAY(sa.String(length=20)),
        existing_type=sa.ARRAY(sa.String(length=24)),
    )
    op.alter_column('incident', 'ticket', type_=sa.String(length=20), existing_type=sa.String(length=24))
    op.drop_constraint('ck_grid_ticket_prefix', 'grid', type_='check')
    op.drop_constraint('grid_ticket_prefix_key', 'grid', type_='unique')
    op.drop_column('grid', 'ticket_prefix')
