"""Static files (issue 25): versioned URLs cached a year, bodies compressed once."""
import gzip
import re
from pathlib import Path

import brotli

STATIC = Path(__file__).resolve().parents[2] / "community" / "static"


def _echarts_url(client):
    page = client.get("/login").get_data(as_text=True)
    css = re.search(r'href="(/static/css/site\.css\?v=[0-9a-f]{12})"', page)
    assert css, "the page links the versioned stylesheet"
    with client.application.test_request_context():
        from flask import url_for

        return url_for("static", filename="vendor/echarts.min.js")


def test_echarts_comes_compressed_and_cached_for_a_year(client, areas):
    url = _echarts_url(client)
    assert re.fullmatch(r"/static/vendor/echarts\.min\.js\?v=[0-9a-f]{12}", url)
    original = (STATIC / "vendor" / "echarts.min.js").read_bytes()
    as_br = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert as_br.headers["Content-Encoding"] == "br" and "Accept-Encoding" in as_br.headers["Vary"]
    assert len(as_br.data) < len(original) / 3 and brotli.decompress(as_br.data) == original
    assert as_br.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    as_gzip = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert as_gzip.headers["Content-Encoding"] == "gzip" and gzip.decompress(as_gzip.data) == original
    plain = client.get(url, headers={"Accept-Encoding": ""})
    assert "Content-Encoding" not in plain.headers and plain.data == original
    again = client.get(url, headers={"Accept-Encoding": "br", "If-None-Match": as_br.headers["ETag"]})
    assert again.status_code == 304


def test_an_unversioned_or_stale_url_is_revalidated_not_kept(client):
    assert client.get("/static/css/site.css").headers["Cache-Control"] == "no-cache"
    stale = client.get("/static/css/site.css?v=000000000000")
    assert stale.status_code == 200 and stale.headers["Cache-Control"] == "no-cache"
    assert client.get("/static/no-such.js?v=1").status_code == 404
