"""Static files: compressed (brotli or gzip, Flask-Compress) and cache-busting URLs.

`url_for('static', filename=...)` adds `?v=<first 12 hex of the file's SHA-256>`; an
answer for the current version is cached a year (`immutable`), so ECharts (1.1 MB, some
330 KB as brotli) is fetched once per release. Each file is compressed once per process
and algorithm, then served from memory. Behind nginx (deploy/nginx-site.conf) the same
URLs are served by nginx itself, with the same headers.
"""
import hashlib
from pathlib import Path

from flask import Flask, request
from flask_compress import Compress

YEAR = 365 * 24 * 3600
_compress = Compress()


class _MemoryCache:
    """What Flask-Compress's cache backend needs: get and set, here a dict per process."""

    def __init__(self):
        self.store = {}

    def get(self, key):
        return self.store.get(key)

    def set(self, key, value):
        self.store[key] = value


def init_static(app: Flask) -> None:
    app.config.setdefault("COMPRESS_REGISTER", False)  # static files only: pages stay as they are
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 9)  # once per file and process: worth the time
    app.config.setdefault("COMPRESS_CACHE_BACKEND", _MemoryCache)
    # The version is part of the key: a new file under the same name is compressed anew.
    app.config.setdefault("COMPRESS_CACHE_KEY", lambda req: f"{req.path}?{req.args.get('v', '')}")
    _compress.init_app(app)
    versions = {}

    def version_of(filename: str) -> str | None:
        if filename not in versions:
            path = Path(app.static_folder) / filename
            versions[filename] = (hashlib.sha256(path.read_bytes()).hexdigest()[:12]
                                  if path.is_file() else None)
        return versions[filename]

    @app.url_defaults
    def add_version(endpoint, values):
        if endpoint == "static" and "v" not in values and values.get("filename"):
            version = version_of(values["filename"])
            if version:
                values["v"] = version

    @app.after_request
    def compress_static(response):
        if request.endpoint != "static" or response.status_code != 200:
            return response
        filename = (request.view_args or {}).get("filename", "")
        if request.args.get("v") and request.args.get("v") == version_of(filename):
            response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
        # Read whole (Flask streams the file) so the compressed body can be kept and reused.
        response.direct_passthrough = False
        response.set_data(response.get_data())
        return _compress.after_request(response)
