"""The security headers of every response, built in one place.

Every script file and stylesheet comes from our own origin (static/, static/vendor/).
Our own scripts live in static/js/ and take their data from the page
(``<script type="application/json">`` blocks and ``data-*`` attributes, which
CSP does not run); the only inline scripts left are the ones Folium generates
for a map, and they run by a per-request nonce (``csp_nonce()`` in templates).
"""

from __future__ import annotations

import secrets
from functools import lru_cache

from flask import Flask, Response, current_app, g

from layers.folium_map import Basemap

# A year, the usual HSTS lifetime; sent only when the app is served over HTTPS (GRIDMAP_HTTPS=1).
HSTS_MAX_AGE = 365 * 24 * 3600


def csp_nonce() -> str:
    """This request's CSP nonce, made on first use: an inline script with it may run, no other."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy(nonce: str | None, tile_origins: tuple[str, ...]) -> str:
    """The Content-Security-Policy for a response; ``nonce`` only when the page has inline scripts."""
    scripts = "'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    directives = {
        "default-src": "'self'",
        "script-src": scripts,
        # Inline styles stay allowed: Folium writes <style> blocks for each map (with its generated id),
        # and Leaflet, its plugins and our marker icons write style attributes into the HTML they build.
        # A nonce cannot cover style attributes, and would switch 'unsafe-inline' off. Styles run no code.
        "style-src": "'self' 'unsafe-inline'",
        # data: for Bootstrap's inline SVG icons and the empty favicon; blob: for images built in the browser.
        "img-src": " ".join(("'self'", "data:", "blob:", *tile_origins)),
        "connect-src": "'self'",
        # The grid worker's phone page registers its service worker from our origin (static/js/my_sw.js).
        "worker-src": "'self'",
        "font-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


@lru_cache(maxsize=8)
def _policy_without_scripts(basemap: Basemap) -> str:
    """The policy of a response without inline scripts (all but the map pages), built once per basemap.

    Building it for every response cost 3 µs of a 0.8 ms point lookup (issue #13).
    """
    return content_security_policy(None, basemap.tile_origins())


def _add_security_headers(response: Response) -> Response:
    config = current_app.config
    basemap = Basemap.from_config(config)
    nonce = g.get("csp_nonce")
    policy = content_security_policy(nonce, basemap.tile_origins()) if nonce else _policy_without_scripts(basemap)
    headers = response.headers
    headers["Content-Security-Policy"] = policy
    # For browsers that predate frame-ancestors.
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    # Not same-origin: OpenStreetMap's tile servers refuse requests that carry no referrer at all.
    headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    if config["HTTPS"]:
        headers["Strict-Transport-Security"] = f"max-age={HSTS_MAX_AGE}"
    return response


def init_app(app: Flask) -> None:
    """Send the headers with every response, and let templates ask for the nonce."""
    app.after_request(_add_security_headers)
    app.add_template_global(csp_nonce)
