"""Every response carries the security headers; every page runs only scripts its Content-Security-Policy allows."""

import re

import pytest

from app import create_app
from extensions import db
from layers.folium_map import Basemap

FIXED_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
API_CALLS = [
    (None, "/api/health"),
    (None, "/api/openapi.json"),
    (None, "/api/summary"),  # 401: signed out
    (None, "/static/css/gridmap.css"),
    ("dispatcher", "/api/grids?level=township"),
    ("dispatcher", "/api/lookup?lon=99.2991&lat=28.2446"),
    ("dispatcher", "/api/lookup?lon=east&lat=28.2446"),  # 400
    ("dispatcher", "/api/incidents?per_page=1"),
    ("dispatcher", "/api/incidents?format=csv&per_page=1"),
    ("dispatcher", "/api/grids/999"),  # 404
    ("dispatcher", "/no-such-page"),
]
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S)
EVENT_HANDLER_ATTRIBUTE = re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.S)


def directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


def assert_security_headers(response) -> None:
    for name, value in FIXED_HEADERS.items():
        assert response.headers.get(name) == value, name
    policy = directives(response)
    assert policy["default-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert policy["worker-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'self'"
    assert policy["form-action"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["img-src"] == "'self' data: blob:"  # no basemap configured in the tests
    assert "unsafe-inline" not in policy["script-src"] and "unsafe-eval" not in policy["script-src"]
    assert "Strict-Transport-Security" not in response.headers


def open_as(client_as, anonymous, username, path):
    client = client_as(username) if username else anonymous
    response = client.get(path)
    response.close()  # static files are streamed
    return response


@pytest.mark.parametrize(("username", "path"), API_CALLS)
def test_every_api_answer_carries_the_headers(client_as, anonymous, username, path):
    response = open_as(client_as, anonymous, username, path)
    assert_security_headers(response)
    assert directives(response)["script-src"] == "'self'"  # nothing inline, so no nonce


def test_every_page_carries_the_headers_and_runs_only_allowed_scripts(client_as, anonymous, every_page):
    for username, path in every_page:
        for lang in ("zh", "en"):
            response = open_as(client_as, anonymous, username, f"{path}{'&' if '?' in path else '?'}lang={lang}")
            assert response.status_code == 200, path
            assert_security_headers(response)
            html = response.get_data(as_text=True)
            script_src = directives(response)["script-src"]
            allowed = re.fullmatch(r"'self'(?: 'nonce-([\w-]+)')?", script_src)
            assert allowed, script_src
            nonce = allowed.group(1)
            for attributes, body in SCRIPT_TAG.findall(html):
                if 'src="/static/' in attributes and not body.strip():
                    continue  # our own origin
                if 'type="application/json"' in attributes:
                    continue  # data for a page script: never run
                assert nonce and f'nonce="{nonce}"' in attributes, (path, attributes, body[:80])
            outside_scripts = SCRIPT_TAG.sub("", html)
            assert not EVENT_HANDLER_ATTRIBUTE.search(outside_scripts), path
            assert "javascript:" not in html, path


def test_the_nonce_is_new_on_every_request(client):
    nonces = {directives(client.get("/"))["script-src"] for _ in range(3)}
    assert len(nonces) == 3


@pytest.mark.parametrize(
    ("basemap", "key", "origins"),
    [
        ("osm", "", ["https://tile.openstreetmap.org"]),
        ("tianditu", "test-key", [f"https://t{s}.tianditu.gov.cn" for s in "01234567"]),
        ("tianditu", "", []),  # without a key there are no Tianditu tiles
    ],
)
def test_images_may_come_from_the_configured_tile_servers_only(app, client, basemap, key, origins):
    app.config.update(BASEMAP=basemap, TIANDITU_KEY=key)
    try:
        response = client.get("/")
    finally:
        app.config.update(BASEMAP="none", TIANDITU_KEY="")
    assert directives(response)["img-src"].split() == ["'self'", "data:", "blob:", *origins]
    assert list(Basemap(basemap, key).tile_origins()) == origins
    # Every tile URL the map asks for lies under one of them.
    html = response.get_data(as_text=True)
    for template, subdomains in re.findall(r'L\.tileLayer\(\s*"([^"]+)".*?"subdomains": "(\w*)"', html, re.S):
        for subdomain in subdomains:
            assert template.replace("{s}", subdomain).startswith(tuple(origins)), template


def test_hsts_only_when_served_over_https(monkeypatch, app, anonymous):
    assert "Strict-Transport-Security" not in anonymous.get("/login").headers
    monkeypatch.setenv("GRIDMAP_HTTPS", "1")
    https_app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    try:
        response = https_app.test_client().get("/login")
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
        assert response.headers["X-Frame-Options"] == "DENY"
    finally:
        with https_app.app_context():
            db.engine.dispose()
