"""Raster base maps the county holds as tile packs (MBTiles), served by the app itself: no internet needed.

An operator drops ``*.mbtiles`` files (Tianditu tiles the county is licensed for, its own imagery)
into one folder (GRIDMAP_TILE_PACKS); every map then offers each as a base layer at
``/tiles/<pack>/{z}/{x}/{y}``. MBTiles is an SQLite file (the MBTiles 1.3 spec): tiles by zoom,
column and TMS row (counted from the south), a metadata table with the pack's name, format,
zoom range, bounds and attribution.

Hostile files are expected: a file is opened only if its first bytes say SQLite, read-only and
as immutable (no journal, no writes), and a tile is served only if its own bytes are PNG, JPEG
or WebP and it is not larger than ``MAX_TILE_BYTES``. Pack names come from file names and are
limited to letters, digits, ``-`` and ``_``.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

SQLITE_MAGIC = b"SQLite format 3\x00"
MAX_PACKS = 20
MAX_TILE_BYTES = 2 * 1024 * 1024
MAX_ZOOM = 22
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_TILE_TYPES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


@dataclass(frozen=True)
class TilePack:
    """One pack as the maps offer it."""

    name: str  # from the file name: the URL's <pack>
    title: str  # the metadata's name, else the file's
    attribution: str
    min_zoom: int
    max_zoom: int
    path: Path


def packs(folder: str | Path | None) -> list[TilePack]:
    """The usable tile packs in ``folder``, by name (files that are not MBTiles are passed over)."""
    if not folder:
        return []
    root = Path(folder)
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.glob("*.mbtiles"))[:MAX_PACKS]:
        if not _NAME.match(path.stem) or not path.is_file() or not _is_sqlite(path):
            continue
        try:
            meta = _metadata(path)
        except sqlite3.DatabaseError:
            continue  # SQLite's header, but no MBTiles inside
        found.append(
            TilePack(
                name=path.stem,
                title=str(meta.get("name") or path.stem)[:80],
                attribution=str(meta.get("attribution") or "")[:200],
                min_zoom=_zoom(meta.get("minzoom"), 0),
                max_zoom=_zoom(meta.get("maxzoom"), 18),
                path=path,
            )
        )
    return found


def tile(folder: str | Path | None, name: str, z: int, x: int, y: int) -> tuple[bytes, str] | None:
    """Tile ``z/x/y`` (XYZ, counted from the north) of pack ``name``, with its media type; None when absent."""
    if not _NAME.match(name) or not (0 <= z <= MAX_ZOOM) or not (0 <= x < 2**z) or not (0 <= y < 2**z):
        return None
    pack = next((p for p in packs(folder) if p.name == name), None)
    if pack is None:
        return None
    with closing(_open(pack.path)) as connection:
        row = connection.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
            (z, x, 2**z - 1 - y),  # MBTiles rows are TMS: counted from the south
        ).fetchone()
    if row is None or not isinstance(row[0], bytes) or len(row[0]) > MAX_TILE_BYTES:
        return None
    kind = tile_type(row[0])
    return (row[0], kind) if kind else None


def tile_type(data: bytes) -> str | None:
    """PNG, JPEG or WebP, told by the bytes themselves; None for anything else."""
    for magic, kind in _TILE_TYPES:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _is_sqlite(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC


def _open(path: Path) -> sqlite3.Connection:
    # Read-only and immutable: nothing is written beside the pack, and a half-copied file cannot be "recovered".
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)


def _metadata(path: Path) -> dict[str, str]:
    with closing(_open(path)) as connection:
        connection.execute("SELECT 1 FROM tiles LIMIT 1")  # a pack without tiles is not one
        return {str(k): str(v) for k, v in connection.execute("SELECT name, value FROM metadata LIMIT 100")}


def _zoom(value: str | None, default: int) -> int:
    try:
        return max(0, min(MAX_ZOOM, int(str(value))))
    except ValueError:
        return default
