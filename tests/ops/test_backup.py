"""Backups: a pg_dump archive of the test database restores into a fresh database the app then serves."""

from __future__ import annotations

import stat

import psycopg
import pytest
from sqlalchemy import create_engine, func, make_url, select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from app import create_app
from extensions import db
from geo.core.models import AuditEvent
from geo.grid.models import Grid
from ops.backup import ARCHIVE_MAGIC, BackupError, create_backup, libpq_connection, restore_backup
from tests.conftest import sign_in

PASSWORD = "s3cret-pw"  # the local cluster trusts its socket, so any password connects; none may be shown


def _admin_connection(url: str) -> psycopg.Connection:
    """A psycopg connection to the cluster's ``postgres`` database, for CREATE/DROP DATABASE."""
    conninfo, _ = libpq_connection(make_url(url).set(database="postgres"))
    return psycopg.connect(conninfo, autocommit=True)


def _scalar(url: str, statement):
    engine = create_engine(url, poolclass=NullPool)
    try:
        with Session(engine) as session:
            return session.scalar(statement)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def source_url(app) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"]


@pytest.fixture(scope="module")
def archive(source_url, tmp_path_factory):
    path = tmp_path_factory.mktemp("backup") / "gridmap.dump"
    report = create_backup(source_url, path, actor="cli:test")
    return path, report


@pytest.fixture(scope="module")
def restored_url(source_url, archive):
    """A new database in the same cluster with the archive restored into it; dropped afterwards."""
    url = make_url(source_url)
    name = f"{url.database}_restored"
    with _admin_connection(source_url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    restored = url.set(database=name).render_as_string(hide_password=False)
    restore_backup(restored, archive[0], actor="cli:test")
    yield restored
    with _admin_connection(source_url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_backup_is_an_owner_only_custom_format_archive_and_audited(source_url, archive):
    path, report = archive
    assert path.read_bytes()[: len(ARCHIVE_MAGIC)] == ARCHIVE_MAGIC
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert report.size_bytes == path.stat().st_size > 100_000
    assert report.tables >= 20 and report.seconds > 0
    assert not list(path.parent.glob(".*partial"))
    created = _scalar(
        source_url, select(AuditEvent).where(AuditEvent.action == "backup.create").order_by(AuditEvent.id.desc())
    )
    assert created.actor == "cli:test" and created.after["file"] == str(path)


def test_restored_database_serves_the_app(restored_url):
    restored_app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": restored_url})
    try:
        client = restored_app.test_client()
        assert sign_in(client, "dispatcher").status_code == 302  # accounts and password hashes came along
        townships = client.get("/api/grids?level=township")
        assert townships.status_code == 200
        assert len(townships.get_json()["features"]) == 8
    finally:
        with restored_app.app_context():
            db.engine.dispose()
    restored = _scalar(restored_url, select(AuditEvent).where(AuditEvent.action == "backup.restore"))
    assert restored.actor == "cli:test" and restored.entity_id == make_url(restored_url).database


def test_restore_into_a_database_that_is_not_empty_is_refused_and_changes_nothing(restored_url, archive):
    events = _scalar(restored_url, select(func.count(AuditEvent.id)))
    with pytest.raises(BackupError, match=r"is not empty \(\d+ tables\); add --force"):
        restore_backup(restored_url, archive[0], actor="cli:test")
    assert _scalar(restored_url, select(func.count(AuditEvent.id))) == events


def test_forced_restore_replaces_the_contents(restored_url, archive):
    engine = create_engine(restored_url, poolclass=NullPool)
    with engine.begin() as connection:
        connection.execute(text("UPDATE grid SET name_zh = 'changed after the backup' WHERE code = '533422102'"))
    engine.dispose()
    restore_backup(restored_url, archive[0], actor="cli:test", force=True)
    assert _scalar(restored_url, select(Grid.name_zh).where(Grid.code == "533422102")) != "changed after the backup"


def test_only_a_readable_custom_format_archive_is_restored(restored_url, archive, tmp_path):
    events = _scalar(restored_url, select(func.count(AuditEvent.id)))
    plain = tmp_path / "plain.sql"
    plain.write_text("DROP TABLE grid;")
    with pytest.raises(BackupError, match="not a pg_dump custom-format archive"):
        restore_backup(restored_url, plain, actor="cli:test", force=True)
    truncated = tmp_path / "truncated.dump"
    truncated.write_bytes(archive[0].read_bytes()[:2000])
    with pytest.raises(BackupError, match="pg_restore failed"):
        restore_backup(restored_url, truncated, actor="cli:test", force=True)
    with pytest.raises(BackupError, match="does not exist"):
        restore_backup(restored_url, tmp_path / "missing.dump", actor="cli:test", force=True)
    assert _scalar(restored_url, select(func.count(AuditEvent.id))) == events


def test_command_line_reports_size_and_never_shows_the_password(restored_url, tmp_path):
    with_password = make_url(restored_url).set(password=PASSWORD).render_as_string(hide_password=False)
    cli_app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": with_password})
    runner = cli_app.test_cli_runner()
    path = tmp_path / "cli.dump"

    created = runner.invoke(args=["backup", "create", str(path)])
    assert created.exit_code == 0, created.output
    assert " MB in " in created.output and "SECRET_KEY" in created.output and "signs everyone out" in created.output

    again = runner.invoke(args=["backup", "create", str(path)])
    assert again.exit_code == 1 and "add --force to overwrite" in again.output

    refused = runner.invoke(args=["backup", "restore", str(path)])
    assert refused.exit_code == 1 and "is not empty" in refused.output

    missing_database = make_url(with_password).set(database="gridmap_no_such_database")
    failing = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": missing_database.render_as_string(False)})
    unreachable = failing.test_cli_runner().invoke(args=["backup", "create", str(tmp_path / "never.dump")])
    assert unreachable.exit_code == 1 and "cannot connect to database gridmap_no_such_database" in unreachable.output
    assert not (tmp_path / "never.dump").exists()

    for result in (created, again, refused, unreachable):
        assert PASSWORD not in result.output


def test_password_goes_to_the_environment_not_the_command_line():
    url = make_url(f"postgresql+psycopg://app:{PASSWORD}@db.internal:5433/gridmap?sslmode=require")
    conninfo, environment = libpq_connection(url)
    assert PASSWORD not in conninfo
    assert environment == {"PGPASSWORD": PASSWORD}
    assert conninfo == "host=db.internal port=5433 user=app dbname=gridmap sslmode=require"
