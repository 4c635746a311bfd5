"""The county map page is served whole from our own static files."""

import json
import re


def test_map_page_uses_only_local_assets(client):
    html = client.get("/").get_data(as_text=True)
    external = re.findall(r"""(?:src|href)=["'](https?://[^"']+)""", html)
    assert external == []
    assert "/static/vendor/leaflet/dist/leaflet.js" in html
    for asset in re.findall(r"""(?:src|href)=["'](/static/[^"']+)""", html):
        response = client.get(asset)
        response.close()  # static files are streamed; close the file handle
        assert response.status_code == 200, asset


def test_map_page_fetches_grids_from_the_api_instead_of_inlining_them(client):
    html = client.get("/").get_data(as_text=True)
    assert "/api/grids?level=group" in html
    assert '"coordinates"' not in html


def test_chinese_by_default_and_english_on_request(client):
    chinese = client.get("/").get_data(as_text=True)
    # Layer titles sit in the map script, JSON-escaped.
    assert 'lang="zh-CN"' in chinese and json.dumps("乡镇网格（演示）") in chinese and "演示数据" in chinese
    english = client.get("/?lang=en")
    text = english.get_data(as_text=True)
    assert 'lang="en"' in text and "Township grids (demo)" in text and "Demonstration data" in text
    assert "lang=en" in english.headers["Set-Cookie"]
    assert 'lang="en"' in client.get("/").get_data(as_text=True)


def test_unknown_language_falls_back_to_chinese(client):
    assert 'lang="zh-CN"' in client.get("/?lang=fr").get_data(as_text=True)


def test_tianditu_basemap_only_with_a_key(app, client):
    app.config.update(BASEMAP="tianditu", TIANDITU_KEY="")
    try:
        assert "tianditu" not in client.get("/").get_data(as_text=True)
        app.config["TIANDITU_KEY"] = "test-key"
        assert "tianditu.gov.cn" in client.get("/").get_data(as_text=True)
    finally:
        app.config.update(BASEMAP="none", TIANDITU_KEY="")
