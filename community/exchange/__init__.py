"""Exchange with the city's other systems (docs/exchange.md): orders in from upstream
platforms with their steps sent back, and webhooks for API and Open311 clients."""
from flask import Flask


def init_exchange(app: Flask) -> None:
    from .cli import exchange_cli
    from .views import admin_bp, bp

    from community.web import ERROR_RENDERERS

    from . import upstream

    app.add_template_global(upstream.channel_label, "channel_label")
    ERROR_RENDERERS["/exchange/"] = _json_error  # machines read these answers
    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    app.cli.add_command(exchange_cli)


def _json_error(status, code, message):
    from flask import jsonify

    return jsonify({"error": {"code": code, "message": str(message)}}), status
