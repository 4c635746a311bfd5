"""each incident's web-map tile key, so a low-zoom tile counts its cases from one index (issues #13, #19)

The key is the Morton (Z-order) code of the zoom-17 Web Mercator tile holding the point: every tile of a
lower zoom holds one contiguous range of keys, and its counting cells are the keys shifted right. A btree
over the key that includes the jurisdiction, net and status answers a county-zoom tile without reading the
table (``geo.publishing.tiles``).

Revision ID: a36e0e7b0013
Revises: d06e0e7b0010
Create Date: 2026-12-03 18:30:00

"""
from alembic import op
import sqlalchemy as sa

revision = 'a36e0e7b0013'
down_revision = 'd06e0e7b0010'
branch_labels = None
depends_on = None


def upgrade():
    # Morton code of a tile (x, y): x's bits on the even places, y's on the odd ones (bit spreading by masks).
    op.execute(
        """
        CREATE FUNCTION tile_morton(x bigint, y bigint) RETURNS bigint
        LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
        DECLARE
            parts bigint[] := ARRAY[x, y];
            part bigint;
            key bigint := 0;
        BEGIN
            FOR i IN 1..2 LOOP
                part := parts[i];
                part := (part | (part << 16)) & 281470681808895;      -- 0x0000FFFF0000FFFF
                part := (part | (part << 8)) & 71777214294589695;     -- 0x00FF00FF00FF00FF
                part := (part | (part << 4)) & 1085102592571150095;   -- 0x0F0F0F0F0F0F0F0F
                part := (part | (part << 2)) & 3689348814741910323;   -- 0x3333333333333333
                part := (part | (part << 1)) & 6148914691236517205;   -- 0x5555555555555555
                key := key | (part << (i - 1));
            END LOOP;
            RETURN key;
        END $$
        """
    )
    # The x of a Morton code (its even bits gathered); the y is tile_morton_x(key >> 1).
    op.execute(
        """
        CREATE FUNCTION tile_morton_x(key bigint) RETURNS bigint
        LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
        DECLARE
            part bigint := key & 6148914691236517205;
        BEGIN
            part := (part | (part >> 1)) & 3689348814741910323;
            part := (part | (part >> 2)) & 1085102592571150095;
            part := (part | (part >> 4)) & 71777214294589695;
            part := (part | (part >> 8)) & 281470681808895;
            part := (part | (part >> 16)) & 4294967295;
            RETURN part;
        END $$
        """
    )
    # The zoom-17 tile of a point, as a Morton code. Latitudes are held to Web Mercator's square (±85.05°)
    # and both axes to the zoom's tiles, so no point can fail an insert. It keeps the search path it was
    # made with: pg_restore computes the column with an empty one, where tile_morton would not be found.
    op.execute(
        """
        CREATE FUNCTION point_tile_key(longitude double precision, latitude double precision) RETURNS bigint
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path FROM CURRENT AS $$
            SELECT tile_morton(
                least(greatest(floor((longitude + 180) / 360 * 131072), 0), 131071)::bigint,
                least(greatest(floor(
                    (1 - asinh(tan(radians(least(greatest(latitude, -85.0511), 85.0511)))) / pi()) / 2 * 131072
                ), 0), 131071)::bigint
            )
        $$
        """
    )
    op.add_column(
        'incident',
        sa.Column(
            'tile_key',
            sa.BigInteger(),
            sa.Computed('point_tile_key(ST_X(location), ST_Y(location))', persisted=True),
            nullable=False,
        ),
    )
    op.create_index(
        'ix_incident_tile_key', 'incident', ['tile_key'], postgresql_include=['group_code', 'net', 'status']
    )


def downgrade():
    op.drop_index('ix_incident_tile_key', table_name='incident')
    op.drop_column('incident', 'tile_key')
    op.execute('DROP FUNCTION point_tile_key(double precision, double precision)')
    op.execute('DROP FUNCTION tile_morton_x(bigint)')
    op.execute('DROP FUNCTION tile_morton(bigint, bigint)')
