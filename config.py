"""Configuration, read from the environment once at start-up."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import localdb
from geo.core.limits import DEFAULT_MAX_VERTICES
from geo.dispatch.views import RECENT_CLOSURES

ROOT = Path(__file__).resolve().parent


def _with_driver(url: str) -> str:
    # Accept the libpq spelling too; SQLAlchemy needs the driver named.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def database_url() -> str:
    """DATABASE_URL if set (any PostGIS), else the project-local cluster."""
    url = os.environ.get("DATABASE_URL")
    return _with_driver(url) if url else localdb.url()


def read_replica_url() -> str | None:
    """GRIDMAP_READ_REPLICA_URL: a hot standby of the database that safe requests read from (web/replica.py)."""
    url = os.environ.get("GRIDMAP_READ_REPLICA_URL")
    return _with_driver(url) if url else None


def _secret_key() -> str:
    """SECRET_KEY from the environment; in local use, a random key kept in var/ (never committed)."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    path = ROOT / "var" / "secret_key"
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def from_environment() -> dict:
    """Return the app settings, read from the environment when the app is created."""
    https = os.environ.get("GRIDMAP_HTTPS", "") == "1"
    return {
        "SECRET_KEY": _secret_key(),
        "SQLALCHEMY_DATABASE_URI": database_url(),
        # No pre-ping: it costs a round trip on every request. Connections the server dropped (a restart)
        # are found without one as they leave the pool (extensions.discard_dead_connections); recycling
        # covers server-side timeouts.
        # JIT off: the app's statements are short, and compiling them cost more than running them
        # (the duplicate check at intake spent 90-117 ms in JIT at a million incidents, issue #13).
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_recycle": 1800, "connect_args": {"options": "-c jit=off"}},
        # Reads from a hot standby (docs/operations.md): after a write, the same browser reads the primary
        # this many seconds; the standby is left out while its replay lag exceeds the second figure
        # (the first by default).
        "READ_REPLICA_URL": read_replica_url(),
        "READ_REPLICA_STICKY_S": float(os.environ.get("GRIDMAP_READ_REPLICA_STICKY_S", "5")),
        "READ_REPLICA_MAX_LAG_S": float(os.environ.get("GRIDMAP_READ_REPLICA_MAX_LAG_S", "0")) or None,
        # Finished cases the dispatch console maps unless its date filter reaches further back.
        "CONSOLE_CLOSED_DAYS": int(os.environ.get("GRIDMAP_CONSOLE_CLOSED_DAYS", RECENT_CLOSURES.days)),
        "BABEL_DEFAULT_LOCALE": "zh",
        "LANGUAGES": ("zh", "en"),
        # Background tiles: "none" (default; works offline), "osm", or "tianditu" (needs TIANDITU_KEY).
        "BASEMAP": os.environ.get("GRIDMAP_BASEMAP", "none"),
        "TIANDITU_KEY": os.environ.get("TIANDITU_KEY", ""),
        # A folder of raster tile packs (*.mbtiles) every map offers as base layers, served by the app itself.
        "TILE_PACKS": os.environ.get("GRIDMAP_TILE_PACKS", str(Path(__file__).parent / "var" / "tiles")),
        # Above this many cases in the caller's view the console draws incidents from vector tiles, not markers.
        "CONSOLE_TILES_ABOVE": int(os.environ.get("GRIDMAP_CONSOLE_TILES_ABOVE", "100000")),
        "COMPRESS_MIMETYPES": [
            "application/json",
            "application/geo+json",
            "application/vnd.mapbox-vector-tile",
            "text/html",
            "text/css",
            "text/javascript",
        ],
        "COMPRESS_ALGORITHM": ["gzip"],
        # Streamed responses (static files) stay as they are: compressing them leaks their file handles.
        "COMPRESS_STREAMS": False,
        "PERMANENT_SESSION_LIFETIME": 12 * 3600,
        # A CSRF token lives as long as the session (Flask-WTF's default is one hour): the dispatch
        # console and the phone pages stay open through a shift and post with the token they loaded.
        "WTF_CSRF_TIME_LIMIT": None,
        # A 5 MB photo plus form overhead; anything larger is refused before it is read (413).
        "MAX_CONTENT_LENGTH": 6 * 1024 * 1024,
        "API_TITLE": "Deqin grid governance API",
        "API_VERSION": "1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "LOGIN_RATE_LIMIT": os.environ.get("GRIDMAP_LOGIN_RATE_LIMIT", "10 per minute"),
        # Failed sign-ins per username, from any address; once spent, even the right password waits.
        "LOGIN_ACCOUNT_RATE_LIMIT": os.environ.get("GRIDMAP_LOGIN_ACCOUNT_RATE_LIMIT", "5 per 15 minutes"),
        # Per process by default; point it at Redis (redis://host:6379, redis+unix:///path) with several
        # workers, so they share one count. Should Redis go down, each worker counts alone until it is back.
        # One JSON line per request on stderr (web/request_log.py); GRIDMAP_REQUEST_LOG=off silences it.
        "REQUEST_LOG": os.environ.get("GRIDMAP_REQUEST_LOG", "on") != "off",
        # Residents' reports (/report): per address and per phone given (shared through the storage above).
        "PUBLIC_REPORT_RATE_LIMIT": os.environ.get("GRIDMAP_PUBLIC_REPORT_RATE_LIMIT", "10 per hour"),
        "PUBLIC_REPORT_PHONE_RATE_LIMIT": os.environ.get("GRIDMAP_PUBLIC_REPORT_PHONE_RATE_LIMIT", "5 per day"),
        # 并单: an open case of the same category this near (metres) and recent (hours) is offered to join.
        "PUBLIC_JOIN_RADIUS_M": float(os.environ.get("GRIDMAP_PUBLIC_JOIN_RADIUS_M", "300")),
        "PUBLIC_JOIN_HOURS": float(os.environ.get("GRIDMAP_PUBLIC_JOIN_HOURS", "168")),
        # Open311 discovery: who answers for the endpoint, and where a client application asks for a key.
        # Unset, the contact is the grid centre of the area served (routes/open311.py), named from the data.
        "OPEN311_CONTACT": os.environ.get("GRIDMAP_OPEN311_CONTACT") or None,
        "OPEN311_KEY_SERVICE": os.environ.get(
            "GRIDMAP_OPEN311_KEY_SERVICE", "ask the county's grid centre; keys are made with flask open311 create-key"
        ),
        "RATELIMIT_STORAGE_URI": os.environ.get("GRIDMAP_RATELIMIT_STORAGE", "memory://"),
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_ENABLED": os.environ.get("GRIDMAP_RATELIMIT", "on") != "off",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Served over HTTPS only: Secure session cookies, and HSTS (routes/security_headers.py).
        "HTTPS": https,
        "SESSION_COOKIE_SECURE": https,
        "PROXY_HOPS": int(os.environ.get("GRIDMAP_PROXY_HOPS", "0")),
        # Grid parts smaller than this (m²) are slivers that a plan may not keep.
        "PLAN_SLIVER_M2": float(os.environ.get("GRIDMAP_PLAN_SLIVER_M2", "2000")),
        # Vertices one uploaded file, drawn plan edit or seasonal zone may hold.
        "MAX_VERTICES": int(os.environ.get("GRIDMAP_MAX_VERTICES", DEFAULT_MAX_VERTICES)),
    }
