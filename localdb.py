"""The project-local PostGIS cluster: the embedded default when DATABASE_URL is unset.

The cluster listens only on a Unix socket inside its data directory, with
socket permissions 0700, so only its owner (and root) can connect; that is why
it can use ``trust`` authentication without a password.

PostgreSQL refuses to run as root. When this runs as root the cluster belongs to
the ``postgres`` OS user and lives under /var/lib/postgresql, keyed by this
checkout's path, because the checkout itself may sit in a directory (such as
/root) that the ``postgres`` user cannot enter. A normal user keeps it in
``var/pgdata`` inside the checkout.

Usage: ``python localdb.py start|stop|status|url``.
"""

from __future__ import annotations

import glob
import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
PORT = int(os.environ.get("GRIDMAP_PG_PORT", "54329"))
SUPERUSER = "gridmap"
DATABASES = ("gridmap", "gridmap_test")


def _running_as_root() -> bool:
    return os.geteuid() == 0


def data_dir() -> Path:
    """Return the cluster's data directory (also its socket directory)."""
    if _running_as_root():
        key = hashlib.sha1(str(ROOT).encode()).hexdigest()[:12]
        return Path("/var/lib/postgresql/gridmap") / key
    return ROOT / "var" / "pgdata"


def url(database: str = "gridmap") -> str:
    """Return the SQLAlchemy URL of a database in the local cluster."""
    return f"postgresql+psycopg://{SUPERUSER}@/{database}?host={data_dir()}&port={PORT}"


def _bindir() -> Path:
    override = os.environ.get("PG_BINDIR")
    if override:
        return Path(override)
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]),
    )
    if not candidates:
        sys.exit("PostgreSQL server binaries not found (apt-get install postgresql postgresql-postgis)")
    return Path(candidates[-1]).parent


def client_program(name: str, major: int) -> Path | None:
    """PostgreSQL's program ``name`` (pg_dump, pg_restore) of one major version, or None if not installed.

    Debian keeps each major version's programs apart, as for the server above; PG_BINDIR overrides.
    """
    override = os.environ.get("PG_BINDIR")
    path = (Path(override) if override else Path(f"/usr/lib/postgresql/{major}/bin")) / name
    return path if path.exists() else None


def _as_owner(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    if _running_as_root():
        args = ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(args, check=True, **kwargs)


def _initialise(directory: Path) -> None:
    directory.parent.mkdir(parents=True, exist_ok=True)
    if _running_as_root():
        directory.parent.chmod(0o755)
        subprocess.run(["chown", "postgres:postgres", str(directory.parent)], check=True)
        link = ROOT / "var" / "pgdata"
        link.parent.mkdir(exist_ok=True)
        if not link.exists() and not link.is_symlink():
            link.symlink_to(directory)
    _as_owner(
        [
            str(_bindir() / "initdb"),
            "-D",
            str(directory),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ],
        stdout=subprocess.DEVNULL,
    )
    with open(directory / "postgresql.conf", "a") as conf:
        conf.write(
            "\n# gridmap: local development cluster, socket only\n"
            "listen_addresses = ''\n"
            f"unix_socket_directories = '{directory}'\n"
            "unix_socket_permissions = 0700\n"
            f"port = {PORT}\n"
            "max_connections = 200\n"
        )


def _is_running(directory: Path) -> bool:
    result = subprocess.run(
        [str(_bindir() / "pg_isready"), "-q", "-h", str(directory), "-p", str(PORT)],
        check=False,
    )
    return result.returncode == 0


def _psql(database: str, sql: str) -> str:
    result = subprocess.run(
        [
            str(_bindir() / "psql"),
            "-X",
            "-q",
            "-t",
            "-A",
            "-h",
            str(data_dir()),
            "-p",
            str(PORT),
            "-U",
            SUPERUSER,
            "-d",
            database,
            "-c",
            sql,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip()


def start() -> None:
    """Create the cluster if needed, start it, and make sure both databases have PostGIS."""
    directory = data_dir()
    if not (directory / "PG_VERSION").exists():
        _initialise(directory)
    if not _is_running(directory):
        _as_owner(
            [str(_bindir() / "pg_ctl"), "-D", str(directory), "-l", str(directory / "server.log"), "-w", "start"],
            stdout=subprocess.DEVNULL,
        )
    for database in DATABASES:
        exists = _psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{database}'")
        if not exists:
            _psql("postgres", f"CREATE DATABASE {database}")
        _psql(database, "CREATE EXTENSION IF NOT EXISTS postgis")


def stop() -> None:
    """Stop the cluster if it runs."""
    directory = data_dir()
    if (directory / "PG_VERSION").exists() and _is_running(directory):
        _as_owner([str(_bindir() / "pg_ctl"), "-D", str(directory), "-w", "stop"], stdout=subprocess.DEVNULL)


def main(argv: list[str]) -> None:
    command = argv[1] if len(argv) > 1 else "status"
    if command == "start":
        start()
    elif command == "stop":
        stop()
    elif command == "url":
        print(url(argv[2] if len(argv) > 2 else "gridmap"))
    elif command == "status":
        print("running" if _is_running(data_dir()) else "stopped", data_dir())
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
