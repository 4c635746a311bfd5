"""The checked-in migrations build exactly the schema the models describe."""

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.operations import Operations
from alembic.script import ScriptDirectory
from geoalchemy2.alembic_helpers import include_object
from sqlalchemy import select

from extensions import db
from geo.grid.models import Grid
from geo.tables import Base


def test_migrations_match_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": include_object})
        assert compare_metadata(context, Base.metadata) == []


def test_the_ticket_prefix_migration_gives_deqin_dq(app):
    """Its downgrade and upgrade over the loaded demo, in one transaction rolled back (PostgreSQL's DDL is)."""
    migration = ScriptDirectory(str(Path(app.root_path) / "migrations")).get_revision("a76e0e7b0016")
    assert migration is not None
    with app.app_context(), db.engine.connect() as connection, connection.begin() as transaction:
        with Operations.context(MigrationContext.configure(connection)):
            migration.module.downgrade()
            migration.module.upgrade()
        prefixes = connection.execute(select(Grid.code, Grid.ticket_prefix).where(Grid.ticket_prefix.is_not(None)))
        assert prefixes.all() == [("533422", "DQ")]
        transaction.rollback()
