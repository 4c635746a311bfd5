"""The project-local PostGIS cluster: the embedded default when DATABASE_URL is unset.

The cluster listens only on a Unix socket inside its data directory, with
socket permissions 0700, so only its owner (and root) can connect; that is why
it can use ``trust`` authentication without a password.

PostgreSQL refuses to run as root. When this runs as root the cluster belongs to
the ``postgres`` OS user and lives under /var/lib/postgresql, keyed by this
checkout's path, because the checkout itself may sit in a directory (such as
/root) that the ``postgres`` user cannot enter. A normal user keeps it in
``var/pgdata`` inside the checkout.

A hot standby of it (issue #20, read scaling) is made with ``pg_basebackup -R``
streaming from it, in ``<data dir>-replica`` on the next port: ``python localdb.py
replica start|stop|status|url``. The test suite makes its own small primary and
standby pair in a scratch directory with the same functions (``make_primary``,
``make_standby``), so it never copies nor reconfigures the development cluster.

Usage: ``python localdb.py start|stop|status|url`` and ``python localdb.py replica start|stop|status|url``.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
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


def url(database: str = "gridmap", directory: Path | None = None, port: int = PORT) -> str:
    """Return the SQLAlchemy URL of a database in the local cluster (or in the cluster at ``directory``)."""
    return f"postgresql+psycopg://{SUPERUSER}@/{database}?host={directory or data_dir()}&port={port}"


def replica_dir() -> Path:
    """The development cluster's hot standby (``replica start``): beside it, on the next port."""
    return data_dir().with_name(data_dir().name + "-replica")


REPLICA_PORT = PORT + 1


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


def _own_parent(directory: Path) -> None:
    directory.parent.mkdir(parents=True, exist_ok=True)
    if _running_as_root():
        directory.parent.chmod(0o755)
        subprocess.run(["chown", "postgres:postgres", str(directory.parent)], check=True)


def _conf(directory: Path, port: int, title: str) -> str:
    return (
        f"\n# gridmap: {title}, socket only\n"
        "listen_addresses = ''\n"
        f"unix_socket_directories = '{directory}'\n"
        "unix_socket_permissions = 0700\n"
        f"port = {port}\n"
        "max_connections = 200\n"
    )


#: What a cluster needs to feed hot standbys. These are PostgreSQL's defaults since version 10 (and
#: initdb's pg_hba.conf lets local users replicate), written out so that a change of default or of
#: this file cannot silently stop ``replica start``. An older cluster made by this file has them too.
REPLICATION_SETTINGS = "wal_level = replica\nmax_wal_senders = 10\nhot_standby = on\n"


def _initialise(directory: Path, port: int = PORT, *, link: bool = True) -> None:
    _own_parent(directory)
    if _running_as_root() and link:
        pgdata = ROOT / "var" / "pgdata"
        pgdata.parent.mkdir(exist_ok=True)
        if not pgdata.exists() and not pgdata.is_symlink():
            pgdata.symlink_to(directory)
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
    _append_conf(directory, _conf(directory, port, "local development cluster") + REPLICATION_SETTINGS)


def _append_conf(directory: Path, text: str) -> None:
    # As the cluster's owner: root may not write into a data directory of mode 0700 on every system.
    _as_owner(["sh", "-c", f"cat >> '{directory}/postgresql.conf'"], input=text.encode())


def _is_running(directory: Path, port: int = PORT) -> bool:
    result = subprocess.run(
        [str(_bindir() / "pg_isready"), "-q", "-h", str(directory), "-p", str(port)],
        check=False,
    )
    return result.returncode == 0


def _psql(database: str, sql: str, directory: Path | None = None, port: int = PORT) -> str:
    result = subprocess.run(
        [
            str(_bindir() / "psql"),
            "-X",
            "-q",
            "-t",
            "-A",
            "-h",
            str(directory or data_dir()),
            "-p",
            str(port),
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
        _pg_ctl_start(directory)
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


def _pg_ctl_start(directory: Path) -> None:
    _as_owner(
        [str(_bindir() / "pg_ctl"), "-D", str(directory), "-l", str(directory / "server.log"), "-w", "start"],
        stdout=subprocess.DEVNULL,
    )


def _pg_ctl_stop(directory: Path) -> None:
    _as_owner([str(_bindir() / "pg_ctl"), "-D", str(directory), "-m", "fast", "-w", "stop"], stdout=subprocess.DEVNULL)


def has_basebackup() -> bool:
    """Whether ``pg_basebackup`` is installed (Debian's postgresql package has it)."""
    try:
        return (_bindir() / "pg_basebackup").exists()
    except SystemExit:  # no server binaries at all
        return False


def make_standby(primary: Path, primary_port: int, directory: Path, port: int) -> None:
    """Make ``directory`` a hot standby of the running cluster at ``primary`` and start it on ``port``.

    ``pg_basebackup -R`` copies the primary and writes ``standby.signal`` and the
    ``primary_conninfo`` to stream from it; only the socket and port are changed after.
    """
    _own_parent(directory)
    _as_owner(
        [
            str(_bindir() / "pg_basebackup"),
            "-h",
            str(primary),
            "-p",
            str(primary_port),
            "-U",
            SUPERUSER,
            "-D",
            str(directory),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
        ],
        capture_output=True,  # it warns of each socket file it skips; a failure still raises with its stderr
    )
    # Feedback: the primary's vacuum waits for the standby's long reads (exports) instead of cancelling them.
    _append_conf(directory, _conf(directory, port, "hot standby") + "hot_standby = on\nhot_standby_feedback = on\n")
    _pg_ctl_start(directory)


def stop_cluster(directory: Path) -> None:
    """Stop the cluster at ``directory`` if it runs (a standby, or a scratch primary)."""
    if (directory / "PG_VERSION").exists() and (directory / "postmaster.pid").exists():
        _pg_ctl_stop(directory)


def start_cluster(directory: Path, port: int) -> None:
    """Start the stopped cluster at ``directory`` again (a standby resumes streaming)."""
    if not _is_running(directory, port):
        _pg_ctl_start(directory)


def scratch_dir(prefix: str) -> Path:
    """A new empty directory for a throw-away cluster, writable by the user that runs PostgreSQL."""
    base = Path("/var/lib/postgresql/gridmap") if _running_as_root() else ROOT / "var"
    _own_parent(base / "x")
    made = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    if _running_as_root():
        subprocess.run(["chown", "postgres:postgres", str(made)], check=True)
    return made


def make_primary(directory: Path, port: int, databases: tuple[str, ...]) -> None:
    """A new cluster at ``directory`` (empty, or not yet there), started, with ``databases`` holding PostGIS."""
    if (directory / "PG_VERSION").exists():
        raise ValueError(f"{directory} already holds a cluster")
    if directory.exists():
        directory.rmdir()  # initdb makes it, with the mode it wants
    _initialise(directory, port, link=False)
    _pg_ctl_start(directory)
    for database in databases:
        _psql("postgres", f"CREATE DATABASE {database}", directory, port)
        _psql(database, "CREATE EXTENSION IF NOT EXISTS postgis", directory, port)


def remove_cluster(directory: Path) -> None:
    """Stop the cluster at ``directory`` and delete it."""
    stop_cluster(directory)
    shutil.rmtree(directory, ignore_errors=True)


def replica(command: str) -> None:
    """``replica start|stop|status|url``: the development cluster's hot standby."""
    directory = replica_dir()
    if command == "start":
        start()
        if not (directory / "PG_VERSION").exists():
            make_standby(data_dir(), PORT, directory, REPLICA_PORT)
        start_cluster(directory, REPLICA_PORT)
    elif command == "stop":
        stop_cluster(directory)
    elif command == "url":
        print(url("gridmap", directory, REPLICA_PORT))
    elif command == "status":
        print("running" if _is_running(directory, REPLICA_PORT) else "stopped", directory)
    else:
        sys.exit(__doc__)


def main(argv: list[str]) -> None:
    command = argv[1] if len(argv) > 1 else "status"
    if command == "replica":
        replica(argv[2] if len(argv) > 2 else "status")
    elif command == "start":
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
