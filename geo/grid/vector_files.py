"""Vector files from outside: GeoJSON, a GeoPackage or a zipped Shapefile, decided here and opened safely.

GDAL picks a driver by a file's content, whatever the file is called, and some
drivers reach out: an OGR VRT named ``x.geojson`` opens whatever file or URL it
names (a server's secret key, ``/vsicurl/http://…``), and a GeoJSON ``crs``
link is fetched over HTTP. So this module decides the format itself, from the
first bytes and, for a zip, from its directory; opens the file with that one
driver only; and tells GDAL, once for the whole process, that there is no
network. The plan upload and ``flask grids import`` both read through here.
Messages name the file as the user called it, never a server path, and never
repeat GDAL's own words (which quote paths).
"""

from __future__ import annotations

import functools
import logging
import re
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from geo.core.errors import GridError
from geo.core.limits import DEFAULT_MAX_VERTICES, require_vertices_within, vertex_count

if TYPE_CHECKING:
    import geopandas as gpd

log = logging.getLogger(__name__)


@functools.cache
def vector_io():
    """pyogrio, with GDAL kept off the network: imported on first use, not by every web worker (issue #13).

    /vsicurl/ (and the cloud file systems built on it) finds no remote file at all, and HTTP that a
    driver starts itself (a GeoJSON "crs" link) goes to a proxy on the discard port, where nothing listens.
    """
    import pyogrio

    pyogrio.set_gdal_config_options(
        {
            "CPL_VSIL_CURL_ALLOWED_FILENAME": "/vsicurl/nothing-remote-is-read",
            "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".nothing-remote-is-read",
            "GDAL_HTTP_PROXY": "127.0.0.1:9",
            "GDAL_HTTPS_PROXY": "127.0.0.1:9",
            "GDAL_HTTP_MAX_RETRY": "0",
            "GDAL_HTTP_CONNECTTIMEOUT": "1",
            "GDAL_HTTP_TIMEOUT": "1",
            # GeoPackage SQL functions and virtual tables that open other datasets stay off (GDAL's default).
            "OGR_SQLITE_ALLOW_EXTERNAL_ACCESS": "NO",
        }
    )
    return pyogrio


class VectorFormat(StrEnum):
    """The formats accepted, by the GDAL driver that reads them."""

    GEOJSON = "GeoJSON"
    GEOPACKAGE = "GPKG"
    ZIPPED_SHAPEFILE = "ESRI Shapefile"

    @property
    def label(self) -> str:
        return {"GeoJSON": "GeoJSON", "GPKG": "GeoPackage", "ESRI Shapefile": "Shapefile"}[self.value]


@dataclass(frozen=True)
class Limits:
    """How much one file may hold; the vertex limit is ``GRIDMAP_MAX_VERTICES`` in the app."""

    max_vertices: int = DEFAULT_MAX_VERTICES
    max_features: int = 10_000
    max_file_bytes: int = 100 * 1024 * 1024
    max_zip_entries: int = 10
    max_unzipped_bytes: int = 200 * 1024 * 1024
    max_text_chars: int = 1000


DEFAULT_LIMITS = Limits()


class UnsupportedFile(GridError):
    """The file is not one the service reads, or is damaged; the message says what was found."""

    status = 422


class FileTooLarge(GridError):
    """The file holds more than the limits allow."""

    status = 413


#: The parts a zipped Shapefile may hold; the first three it must hold.
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_REQUIRED_PARTS = SHAPEFILE_PARTS[:3]
_ARCHIVES = (".zip", ".kmz", ".gz", ".tgz", ".tar", ".bz2", ".xz", ".7z", ".rar")
_SHP_MAGIC = b"\x00\x00\x27\x0a"
_GEOPACKAGE_IDS = (b"GPKG", b"GP10", b"GP11")
#: Magic bytes of files people upload by mistake, and what to call them.
_KNOWN_BINARY = (
    (_SHP_MAGIC, "SHP"),
    (b"\x1f\x8b", "gzip"),
    (b"Rar!", "RAR"),
    (b"7z\xbc\xaf", "7z"),
    (b"%PDF", "PDF"),
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
)
_COPY_CHUNK = 1024 * 1024


def shown_name(name: str) -> str:
    """A user's file or entry name as messages show it: no folders, at most 80 characters."""
    return PurePosixPath(name.replace("\\", "/")).name[:80] or "the file"


def detect_format(path: str | Path) -> VectorFormat:
    """The format of the file at ``path``, decided from its first bytes, never from its name.

    Raises
    ------
    UnsupportedFile
        Naming what the file is instead (OGR VRT, KML, CSV, a bare .shp…).
    """
    path = Path(path)
    name = shown_name(path.name)
    if not path.is_file():
        raise UnsupportedFile("{name} is not a file on this machine", field="file", name=name)
    with open(path, "rb") as source:
        head = source.read(4096)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return VectorFormat.ZIPPED_SHAPEFILE
    if head.startswith(b"SQLite format 3\x00"):
        if head[68:72] in _GEOPACKAGE_IDS:
            return VectorFormat.GEOPACKAGE
        raise UnsupportedFile("{name} is an SQLite database but not a GeoPackage", field="file", name=name)
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"{"):
        return VectorFormat.GEOJSON
    if head.startswith(_SHP_MAGIC):
        raise UnsupportedFile("{name} is a bare .shp: zip it together with its .shx and .dbf", field="file", name=name)
    found = _what_it_is(text)
    if found is None:
        raise UnsupportedFile(
            "cannot read {name}: it is not GeoJSON, a GeoPackage or a zipped Shapefile", field="file", name=name
        )
    raise UnsupportedFile(
        "cannot read {name}: it is {found}, not GeoJSON, a GeoPackage or a zipped Shapefile",
        field="file",
        name=name,
        found=found,
    )


def _what_it_is(head: bytes) -> str | None:
    """A format name for a file that is not one we read, or None when it is nothing recognisable."""
    for magic, found in _KNOWN_BINARY:
        if head.startswith(magic):
            return found
    lowered = head[:4096].lower()
    if lowered.startswith(b"<"):
        for marker, found in ((b"<ogrvrtdatasource", "OGR VRT"), (b"<kml", "KML"), (b"gml", "GML")):
            if marker in lowered:
                return found
        return "XML/HTML"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return None
    first_line = text.splitlines()[0] if text.strip() else ""
    return "CSV" if any(separator in first_line for separator in ",;\t") else "TXT"


def read_layer(
    path: str | Path, file_format: VectorFormat, layer: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> gpd.GeoDataFrame:
    """Read one layer of a file whose format ``detect_format`` decided, with that format's driver only.

    ``layer`` picks a GeoPackage layer (default: the first). A zip is checked
    from its directory before anything is unpacked, then unpacked with a byte
    cap into a private folder that is gone when this returns.

    Raises
    ------
    UnsupportedFile
        Unreadable or damaged, a zip that is not exactly one Shapefile, an unknown layer.
    FileTooLarge, geo.limits.TooManyVertices
        Over one of ``limits``, before the features are used.
    """
    path = Path(path)
    name = shown_name(path.name)
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise FileTooLarge(
            "{name} is {size} MB; at most {limit} MB",
            field="file",
            name=name,
            size=_megabytes(size),
            limit=_megabytes(limits.max_file_bytes),
        )
    if file_format is not VectorFormat.ZIPPED_SHAPEFILE:
        # "GeoJSON:" and "GPKG:" name the one driver GDAL may open the file with.
        return _read(f"{file_format.value}:{path}", file_format, layer, limits, name)
    with tempfile.TemporaryDirectory(prefix="gridmap-shapefile-") as folder:
        shapefile = _unpack_shapefile(path, Path(folder), limits, name)
        # The folder holds only the parts unpacked here and the .shp starts with its magic number,
        # so only the Shapefile driver recognises it; _layer checks that it was that one.
        return _read(str(shapefile), file_format, None, limits, name)


def _read(source: str, file_format: VectorFormat, layer: str | None, limits: Limits, name: str) -> gpd.GeoDataFrame:
    unreadable = UnsupportedFile("cannot read {name} as {format}", field="file", name=name, format=file_format.label)
    try:
        chosen = _layer(source, file_format, layer)
        frame = vector_io().read_dataframe(source, layer=chosen, max_features=limits.max_features + 1)
    except GridError:
        raise
    except Exception as error:  # pyogrio raises several DataSource errors; all mean "cannot read"
        log.info("cannot read %s as %s: %s", name, file_format.value, error)
        raise unreadable from None
    if len(frame) > limits.max_features:
        raise FileTooLarge(
            "{name} holds more than {limit} features", field="file", name=name, limit=limits.max_features
        )
    if "geometry" in frame:
        require_vertices_within(vertex_count(frame.geometry.values), limits.max_vertices, "file")
    _check_texts(frame, limits.max_text_chars)
    return frame


def _layer(source: str, file_format: VectorFormat, layer: str | None) -> str | None:
    """The layer to read: ``layer`` if the file has it, else the first; None for single-layer formats."""
    if file_format is VectorFormat.ZIPPED_SHAPEFILE:
        driver = vector_io().read_info(source)["driver"]
        if driver != file_format.value:
            raise ValueError("opened by another driver", driver)
        return None
    if layer is None and file_format is VectorFormat.GEOJSON:
        return None
    layers = [str(found) for found, _ in vector_io().list_layers(source)]
    if not layers:
        raise ValueError("no layer")
    if layer is None:
        return layers[0]
    if layer not in layers:
        raise UnsupportedFile(
            "layer {layer!r} not found; the file has {layers}", field="layer", layer=layer[:80], layers=layers[:20]
        )
    return layer


def _check_texts(frame: gpd.GeoDataFrame, limit: int) -> None:
    """Refuse attribute text no grid needs, so that no message ever quotes megabytes of it."""
    for column in frame.columns.drop("geometry", errors="ignore"):
        lengths = frame[column].map(lambda value: len(value) if isinstance(value, str) else 0)
        if len(lengths) and lengths.max() > limit:
            raise UnsupportedFile(
                "attribute {attribute} holds text of {length} characters; at most {limit}",
                field="file",
                attribute=str(column)[:80],
                length=int(lengths.max()),
                limit=limit,
            )


def _unpack_shapefile(path: Path, folder: Path, limits: Limits, name: str) -> Path:
    """Check the zip's directory, then unpack its Shapefile into ``folder``; return the .shp's path."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = _shapefile_entries(archive.infolist(), limits)
            stem = _safe_stem(PurePosixPath(parts[".shp"].filename).stem)
            budget = limits.max_unzipped_bytes
            for extension, entry in parts.items():
                budget -= _unpack(archive, entry, folder / f"{stem}{extension}", budget, limits)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
        log.info("cannot unpack %s: %s", name, error)
        raise UnsupportedFile("{name} is a damaged or unsupported zip", field="file", name=name) from None
    shapefile = folder / f"{stem}.shp"
    with open(shapefile, "rb") as source:
        if source.read(4) != _SHP_MAGIC:
            raise UnsupportedFile(
                "{entry} in the zip is not a Shapefile", field="file", entry=shown_name(parts[".shp"].filename)
            )
    return shapefile


def _shapefile_entries(entries: list[zipfile.ZipInfo], limits: Limits) -> dict[str, zipfile.ZipInfo]:
    """The zip's Shapefile parts by extension, after every check that its directory allows."""
    if len(entries) > limits.max_zip_entries:
        raise FileTooLarge(
            "the zip holds {count} entries; at most {limit}",
            field="file",
            count=len(entries),
            limit=limits.max_zip_entries,
        )
    declared = sum(entry.file_size for entry in entries)
    if declared > limits.max_unzipped_bytes:
        raise FileTooLarge(
            "the zip unpacks to {size} MB; at most {limit} MB",
            field="file",
            size=_megabytes(declared),
            limit=_megabytes(limits.max_unzipped_bytes),
        )
    parts: dict[str, list[zipfile.ZipInfo]] = {}
    for entry in entries:
        shown = shown_name(entry.filename)
        route = PurePosixPath(entry.filename.replace("\\", "/"))
        if route.is_absolute() or ".." in route.parts or ":" in entry.filename:
            raise UnsupportedFile("the zip entry {entry} points outside the zip", field="file", entry=shown)
        if entry.is_dir():
            continue
        if entry.flag_bits & 0x1:
            raise UnsupportedFile("the zip entry {entry} is encrypted", field="file", entry=shown)
        extension = route.suffix.lower()
        if extension in _ARCHIVES:
            raise UnsupportedFile(
                "the zip holds another archive, {entry}; zip the Shapefile's own files", field="file", entry=shown
            )
        if extension not in SHAPEFILE_PARTS:
            raise UnsupportedFile(
                "the zip holds {entry}; a zipped Shapefile holds only {parts} files",
                field="file",
                entry=shown,
                parts=list(SHAPEFILE_PARTS),
            )
        parts.setdefault(extension, []).append(entry)
    shapefiles = parts.get(".shp", [])
    if len(shapefiles) != 1:
        raise UnsupportedFile(
            "the zip holds {count} .shp files; a zipped Shapefile holds exactly one",
            field="file",
            count=len(shapefiles),
        )
    stem = PurePosixPath(shapefiles[0].filename.replace("\\", "/")).with_suffix("")
    for found in parts.values():
        if len(found) > 1 or PurePosixPath(found[0].filename.replace("\\", "/")).with_suffix("") != stem:
            raise UnsupportedFile(
                "{entry} does not belong to {shapefile}",
                field="file",
                entry=shown_name(found[-1].filename),
                shapefile=shown_name(shapefiles[0].filename),
            )
    missing = [extension for extension in _REQUIRED_PARTS if extension not in parts]
    if missing:
        raise UnsupportedFile(
            "the zip has no {missing} beside {shapefile}",
            field="file",
            missing=missing,
            shapefile=shown_name(shapefiles[0].filename),
        )
    return {extension: found[0] for extension, found in parts.items()}


def _unpack(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, target: Path, budget: int, limits: Limits) -> int:
    """Copy one entry to ``target`` in chunks, stopping at ``budget`` bytes whatever its directory said."""
    written = 0
    with archive.open(entry) as source, open(target, "wb") as sink:
        while chunk := source.read(_COPY_CHUNK):
            written += len(chunk)
            if written > budget:
                raise FileTooLarge(
                    "the zip unpacks to more than {limit} MB",
                    field="file",
                    limit=_megabytes(limits.max_unzipped_bytes),
                )
            sink.write(chunk)
    return written


def _safe_stem(stem: str) -> str:
    # The layer takes the .shp's name; keep it to letters, digits, '_' and '-' (Chinese included).
    return re.sub(r"[^\w-]", "_", stem)[:64] or "layer"


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f}" if size >= 1024 * 1024 else f"{size / (1024 * 1024):.2f}"
