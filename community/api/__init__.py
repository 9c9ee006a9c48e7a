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
    from community.core.extensions import csrf

    from . import actions, figures, reference, views  # noqa: F401  (routes register on import)
    from . import contract
    from .blueprint import PUBLIC_ENDPOINTS, Api, bp
    from .cli import api_cli
    from .pages import pages

    api = Api(app, spec_kwargs={
        "info": {"description": (
            "接诉即办 JSON API. Authenticate with a bearer token or the web session. "
            "Errors: {\"error\": {\"code\", \"message\"}}. See /api/v1/docs.")},
        # Relative: the document is right behind any host or proxy that serves it.
        "servers": [{"url": "/", "description": "This server"}],
        "security": contract.SIGNED_IN})
    api.spec.components.security_scheme("bearerAuth", BEARER_SCHEME)
    api.spec.components.security_scheme("session", SESSION_SCHEME)
    contract.install(api, PUBLIC_ENDPOINTS)  # before the blueprint: its paths pass through it
    csrf.exempt(bp)  # token calls carry no CSRF token; session writes are checked in auth
    api.register_blueprint(bp)
    # flask-smorest tags the blueprint as a whole; every operation has its own tag instead.
    api.spec._tags[:] = [t for t in api.spec._tags if t["name"] != bp.name]
    app.register_blueprint(pages)
    app.cli.add_command(api_cli)
    app.extensions["community_api"] = api
