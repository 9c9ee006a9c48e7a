"""Open311 GeoReport v2 under /open311/v2/, in XML and JSON (see docs/open311.md).

Clients POST with an api_key issued by the admin (`flask open311 keys create`);
reading is public and shows what the public pages show.
"""
from flask import Flask, current_app, request
from flask_limiter.util import get_remote_address


def _client_key() -> str:
    from .keys import hash_key

    key = request.values.get("api_key") or ""
    return "o311-key:" + hash_key(key)[:32] if key else f"o311-addr:{get_remote_address()}"


def _render_error(status, code, message):
    from .render import error

    return error(400 if status == 422 else status, message)


def _install_limits(bp):
    from community.core.extensions import limiter

    limiter.shared_limit(lambda: current_app.config["COMMUNITY_OPEN311_READ_RATE"],
                         scope="open311-read", methods=["GET"],
                         key_func=lambda: f"o311-addr:{get_remote_address()}")(bp)
    limiter.shared_limit(lambda: current_app.config["COMMUNITY_OPEN311_POST_RATE"],
                         scope="open311-post", methods=["POST"], key_func=_client_key)(bp)


def init_open311(app: Flask) -> None:
    from community.core.extensions import csrf
    from community.web import ERROR_RENDERERS

    from .cli import open311_cli
    from .views import bp

    if not getattr(bp, "_limits_installed", False):
        _install_limits(bp)  # once: the limiter is shared by every app instance
        bp._limits_installed = True
    csrf.exempt(bp)  # clients authenticate with api_key, not a browser session
    ERROR_RENDERERS["/open311/"] = _render_error
    app.register_blueprint(bp)
    app.cli.add_command(open311_cli)
