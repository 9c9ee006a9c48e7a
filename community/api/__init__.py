"""The JSON API under /api/v1/: requests, workflow actions, queue, reference data.

OpenAPI 3 is generated from the code by flask-smorest at /api/v1/openapi.json
and rendered at /api/v1/docs. See docs/api.md.
"""
from flask import Flask

BEARER_SCHEME = {"type": "http", "scheme": "bearer",
                 "description": "An API token: Authorization: Bearer cst_…"}
SESSION_SCHEME = {"type": "apiKey", "in": "cookie", "name": "session",
                  "description": "The web sign-in; writes also need an X-CSRFToken header"}


def init_api(app: Flask) -> None:
    from community.extensions import csrf

    from . import actions, figures, reference, views  # noqa: F401  (routes register on import)
    from .blueprint import Api, bp
    from .cli import api_cli
    from .pages import pages

    api = Api(app, spec_kwargs={
        "info": {"description": (
            "接诉即办 JSON API. Authenticate with a bearer token or the web session. "
            "Errors: {\"error\": {\"code\", \"message\"}}. See /api/v1/docs.")},
        "security": [{"bearerAuth": []}, {"session": []}, {}]})
    api.spec.components.security_scheme("bearerAuth", BEARER_SCHEME)
    api.spec.components.security_scheme("session", SESSION_SCHEME)
    csrf.exempt(bp)  # token calls carry no CSRF token; session writes are checked in auth
    api.register_blueprint(bp)
    app.register_blueprint(pages)
    app.cli.add_command(api_cli)
    app.extensions["community_api"] = api
