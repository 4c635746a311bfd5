"""Back up the app's database to a pg_dump custom-format archive, and restore one.

Operations, not the domain: this runs PostgreSQL's own pg_dump and pg_restore of
the server's major version (Debian's layout, as ``localdb`` finds them) against a
database URL, and knows nothing of Flask; ``cli.py`` is the thin wrapper. The
password, if the URL has one, goes to the programs in ``PGPASSWORD`` and is
never shown. An archive holds everything, password hashes and phone numbers
included, so it is written owner-only (0600), under a temporary name until
pg_dump has finished. A restore runs in one transaction: it succeeds whole or
changes nothing.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy import URL, create_engine, make_url, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

import localdb
from geo.core.audit import record
from geo.core.errors import GridError

#: The first bytes of every pg_dump custom-format archive.
ARCHIVE_MAGIC = b"PGDMP"
#: pg_dump and pg_restore wait this long for a lock (the app still running, a migration) before they give up
#: and change nothing, rather than hang.
LOCK_TIMEOUT = "10s"

# Tables of the database itself: not PostgreSQL's catalogues, nor those an extension owns (PostGIS's
# spatial_ref_sys). A catalogue question, so raw SQL.
_USER_TABLES = text(
    """
    SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                      AND d.deptype = 'e')
    """
)


class BackupError(GridError):
    """A backup or restore cannot be done, or failed; nothing was changed or left behind."""


@dataclass(frozen=True)
class BackupReport:
    """What a backup or restore did: which database, which file, how large, how long."""

    database: str
    path: Path
    size_bytes: int
    seconds: float
    tables: int


def create_backup(database_url: str, path: Path, *, actor: str, overwrite: bool = False) -> BackupReport:
    """Dump the database at ``database_url`` into ``path`` (custom format) and audit it there."""
    url = make_url(database_url)
    if path.exists() and not overwrite:
        raise BackupError("{path} exists; choose another file name or add --force to overwrite it", path=str(path))
    if not path.parent.is_dir():
        raise BackupError("directory {directory} does not exist", directory=str(path.parent))
    major, tables = _server_major_and_tables(url)
    pg_dump = _program("pg_dump", major)
    partial = path.with_name(f".{path.name}.partial")
    started = time.monotonic()
    partial.unlink(missing_ok=True)  # left by a crash, perhaps with looser permissions than ours
    try:
        with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as archive:
            _run(url, [str(pg_dump), "--format=custom", "--no-password"], stdout=archive)
        with open(partial, "rb") as archive:
            if archive.read(len(ARCHIVE_MAGIC)) != ARCHIVE_MAGIC:
                raise BackupError("pg_dump wrote something that is not a custom-format archive; nothing was kept")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    report = BackupReport(_name(url), path, path.stat().st_size, time.monotonic() - started, tables)
    _audit(url, actor, "backup.create", report)
    return report


def restore_backup(database_url: str, path: Path, *, actor: str, force: bool = False) -> BackupReport:
    """Restore ``path`` into the database at ``database_url``, refusing a non-empty one unless ``force``.

    With ``force`` the archive's objects replace those of the same name (``--clean``);
    either way everything runs in one transaction, so a failure changes nothing.
    """
    url = make_url(database_url)
    check_archive(path)
    major, tables = _server_major_and_tables(url)
    if tables and not force:
        raise BackupError(
            "database {database} is not empty ({tables} tables); add --force to replace its contents",
            database=_name(url),
            tables=tables,
        )
    pg_restore = _program("pg_restore", major)
    started = time.monotonic()
    # The whole table of contents must read before anything is touched.
    _run(url, [str(pg_restore), "--list", str(path)], stdout=subprocess.DEVNULL, connect=False)
    replace = ["--clean", "--if-exists"] if force else []
    _run(
        url,
        [
            str(pg_restore),
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-password",
            *replace,
            str(path),
        ],
    )
    _, restored_tables = _server_major_and_tables(url)
    report = BackupReport(_name(url), path, path.stat().st_size, time.monotonic() - started, restored_tables)
    _audit(url, actor, "backup.restore", report, replaced_tables=tables)
    return report


def check_archive(path: Path) -> None:
    """Refuse anything but a readable pg_dump custom-format archive (checked by its first bytes)."""
    try:
        with open(path, "rb") as archive:
            start = archive.read(len(ARCHIVE_MAGIC))
    except FileNotFoundError:
        raise BackupError("{path} does not exist", path=str(path)) from None
    except OSError as error:
        raise BackupError("cannot read {path}: {reason}", path=str(path), reason=error.strerror) from None
    if start != ARCHIVE_MAGIC:
        raise BackupError(
            "{path} is not a pg_dump custom-format archive (it does not start with PGDMP)", path=str(path)
        )


def libpq_connection(url: URL) -> tuple[str, dict[str, str]]:
    """The conninfo (``--dbname``) and environment that connect PostgreSQL's programs to ``url``.

    The password goes in ``PGPASSWORD``, never on a command line that ``ps`` shows.
    """
    query = {name: value if isinstance(value, str) else value[-1] for name, value in url.query.items()}
    password = query.pop("password", None) or url.password
    options = {"host": url.host, "port": url.port, "user": url.username, "dbname": url.database} | query
    conninfo = psycopg.conninfo.make_conninfo("", **{name: value for name, value in options.items() if value})
    return conninfo, {"PGPASSWORD": password} if password else {}


def _name(url: URL) -> str:
    return url.database or "?"


def _engine(url: URL):
    return create_engine(url, poolclass=NullPool)


def _server_major_and_tables(url: URL) -> tuple[int, int]:
    """The server's major version and how many tables the database holds; a clear error if it does not answer."""
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            version = int(connection.execute(text("SHOW server_version_num")).scalar_one())
            tables = int(connection.execute(_USER_TABLES).scalar_one())
    except OperationalError as error:
        raise BackupError(
            "cannot connect to database {database}: {reason}",
            database=_name(url),
            reason=_first_line(str(error.orig), url),
        ) from None
    finally:
        engine.dispose()  # no connection of ours may hold a lock that the restore then waits for
    return version // 10000, tables


def _program(name: str, major: int) -> Path:
    program = localdb.client_program(name, major)
    if program is None:
        raise BackupError(
            "{program} of PostgreSQL {major} (the server's version) is not installed; "
            "install postgresql-client-{major}",
            program=name,
            major=major,
        )
    return program


def _run(url: URL, command: list[str], *, stdout=None, connect: bool = True) -> None:
    """Run one of PostgreSQL's programs against ``url``; a clear error with its first line of complaint if it fails."""
    conninfo, environment = libpq_connection(url)
    environment = {**os.environ, **environment}
    environment["PGOPTIONS"] = f"{environment.get('PGOPTIONS', '')} -c lock_timeout={LOCK_TIMEOUT}".strip()
    arguments = [*command[:1], "--dbname", conninfo, *command[1:]] if connect else command
    result = subprocess.run(arguments, stdout=stdout, stderr=subprocess.PIPE, env=environment, check=False)
    if result.returncode != 0:
        raise BackupError(
            "{program} failed (exit status {code}): {reason}",
            program=Path(command[0]).name,
            code=result.returncode,
            reason=_first_line(result.stderr.decode(errors="replace"), url),
        )


def _first_line(message: str, url: URL) -> str:
    """The first meaningful line of a PostgreSQL message, with the URL's password (if any) masked."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    line = lines[0] if lines else "no message"
    return line.replace(url.password, "***") if url.password else line


def _audit(url: URL, actor: str, action: str, report: BackupReport, **extra: int) -> None:
    engine = _engine(url)
    try:
        with Session(engine) as session:
            record(
                session,
                actor=actor,
                action=action,
                entity="database",
                entity_id=report.database,
                after={"file": str(report.path), "bytes": report.size_bytes, "tables": report.tables, **extra},
            )
            session.commit()
    except SQLAlchemyError as error:
        raise BackupError(
            "{action} done, but it could not be recorded in the audit trail: {reason}",
            action=action,
            reason=_first_line(str(getattr(error, "orig", error)), url),
        ) from None
    finally:
        engine.dispose()
