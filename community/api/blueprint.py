"""The /api/v1 blueprint, its authentication, limits and error shapes."""
from flask import current_app, jsonify, request
from flask_babel import gettext as _
from flask_smorest import Api as SmorestApi
from flask_smorest import Blueprint
from flask_smorest.exceptions import NotModified
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, UnprocessableEntity

from community.core.errors import ValidationFailed
from community.core.extensions import db, limiter
from community.core.replica import reads_from_replica
from community.web import error_response

from . import auth
from .schemas import ErrorSchema

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1",
               description="Requests, workflow, queue and reference data.")
bp.before_request(auth.authenticate)  # on the primary: it may touch the token
reads_from_replica(bp)  # then its GETs read the replica

# Documented on every operation; the status codes any of them may answer with.
COMMON_ERRORS = (400, 401, 403, 404, 409, 422, 429)


class Api(SmorestApi):
    """flask-smorest, minus its app-wide error handler: the app answers errors
    in one place (community.web), as {"error": {"code", "message"}}."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        pass


LOCATIONS = {"json", "query", "form", "headers", "files", "path", "view_args"}


def _flatten(messages) -> dict:
    """webargs nests messages by location ("json", "query"); callers want fields."""
    if isinstance(messages, dict) and set(messages) <= LOCATIONS:
        merged = {}
        for value in messages.values():
            merged.update(value if isinstance(value, dict) else {"body": value})
        return merged
    return messages if isinstance(messages, dict) else {"body": messages}


@bp.errorhandler(BadRequest)
def _bad_request(exc):
    db.session.rollback()
    if isinstance(exc, CSRFError):
        return error_response(400, "csrf", _("写操作需要 X-CSRFToken 头（见 GET /api/v1/me），"
                                             "或改用 API 令牌。"))
    data = getattr(exc, "data", None) or {}
    if "messages" in data:
        return _with_fields(400, "bad_request", _("请求体不是有效的 JSON。"), data)
    return error_response(400, "bad_request", exc.description or _("请求无法处理。"))


@bp.errorhandler(UnprocessableEntity)
def _unprocessable(exc):
    db.session.rollback()
    data = getattr(exc, "data", None) or {}
    return _with_fields(422, "validation_failed", _("输入有误，请检查。"), data)


def _with_fields(status, code, message, data):
    body = {"error": {"code": code, "message": str(message),
                      "fields": _flatten(data.get("messages", {}))}}
    return jsonify(body), status, data.get("headers") or {}


@bp.errorhandler(ValidationFailed)
def _validation_failed(exc):
    """A service's refusal names its field: the API says which, as webargs does."""
    db.session.rollback()
    body = {"error": {"code": exc.code, "message": str(exc.message)}}
    if exc.field:
        body["error"]["fields"] = {exc.field: [str(exc.message)]}
    return jsonify(body), exc.status


@bp.errorhandler(NotModified)
def _not_modified(exc):
    """If-None-Match named the list's ETag (flask-smorest's @etag): no body, the tag again."""
    response = current_app.response_class(status=304)
    tags = request.if_none_match.as_set()
    if len(tags) == 1:
        response.set_etag(tags.pop())
    return response


@bp.errorhandler(auth.Unauthenticated)
def _unauthenticated(exc):
    db.session.rollback()
    response, status = error_response(exc.status, exc.code, exc.message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response, status


def no_store(response):
    """Answers carry personal data or secrets: no shared or disk caches."""
    if request.method == "GET" and request.endpoint in PUBLIC_ENDPOINTS:
        return response
    response.headers["Cache-Control"] = "no-store"
    return response


PUBLIC_ENDPOINTS = set()
bp.after_request(no_store)


def public(view):
    PUBLIC_ENDPOINTS.add(f"{bp.name}.{view.__name__}")
    return view


def _install_limits():
    limiter.shared_limit(lambda: current_app.config["COMMUNITY_API_RATE"], scope="api-caller",
                         key_func=auth.rate_key)(bp)
    limiter.shared_limit(lambda: current_app.config["COMMUNITY_API_IP_RATE"], scope="api-address",
                         key_func=auth.address_key)(bp)


_install_limits()  # once, at import: the limiter is shared by every app instance
