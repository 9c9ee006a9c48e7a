"""What every page shares: sign-in, error pages, security headers, labels."""
import functools
import logging
from urllib.parse import unquote_to_bytes

from flask import abort, jsonify, make_response, render_template, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import (IntegrityError, InterfaceError, OperationalError, PendingRollbackError,
                            SQLAlchemyError)
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from community.web import labels
from community.core.errors import Conflict, DomainError
from community.core.extensions import db, login_manager

log = logging.getLogger(__name__)
MAX_JSON_DEPTH = 32  # no request of ours nests more than a few levels


def json_depth(value) -> int:
    """How deeply a decoded JSON value nests (without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def lost_race(exc: IntegrityError) -> bool:
    """True when the refusal is a unique constraint: another request wrote the row first."""
    state = getattr(exc.orig, "sqlstate", None)  # psycopg: 23505 unique_violation
    if state is not None:
        return state == "23505"
    return "UNIQUE constraint failed" in str(exc.orig)  # sqlite3


def percent_decodes(raw: bytes) -> bool:
    """True if a query string or form body, percent-decoded, is valid UTF-8."""
    try:
        unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True

# Only the app's own files: no CDN, no inline script or style, no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


@functools.lru_cache(maxsize=16)
def _policy_for(tile_url: str) -> str:
    from urllib.parse import urlsplit

    tiles = urlsplit(tile_url)
    if not (tiles.scheme in ("http", "https") and tiles.netloc):
        return CONTENT_SECURITY_POLICY
    # Tile URLs carry {s} subdomain and other placeholders: allow the host's subdomains.
    host = tiles.netloc.replace("{s}.", "*.").split("{")[0]
    return CONTENT_SECURITY_POLICY.replace("img-src 'self' data:",
                                           f"img-src 'self' data: {tiles.scheme}://{host}")


def content_security_policy(app) -> str:
    """The policy, with the map tile server's origin allowed for images when one is set
    (worked out once per tile URL: every answer carries it)."""
    return _policy_for(app.config.get("COMMUNITY_MAP_TILE_URL") or "")


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


# Interfaces with their own error shape, by path prefix (Open311: a list of {code, description}).
ERROR_RENDERERS = {}


def error_response(status: int, code: str, message: str):
    for prefix, render in ERROR_RENDERERS.items():
        if request.path.startswith(prefix):
            return render(status, code, message)
    if wants_json():
        return jsonify({"error": {"code": code, "message": str(message)}}), status
    return render_template("error.html", status=status, message=message), status


def _plain_page(message) -> str:
    from markupsafe import escape

    return (f'<!doctype html><html lang="zh"><meta charset="utf-8"><title>503</title>'
            f'<link rel="stylesheet" href="/static/css/site.css">'
            f'<main><p>{escape(message)}</p></main></html>')


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie session. A request without the cookie (every API call with a
    token) gets its empty session without a signer being built for it first."""

    def open_session(self, app, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def init_web(app):
    app.session_interface = CookieSessions()
    labels.register(app)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals["url_endpoints"] = app.view_functions
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    # Who the cookie signs in is auth's rule (auth.sessions.load_user, given by create_app).

    @app.errorhandler(DomainError)
    def domain_error(exc):
        db.session.rollback()
        return error_response(exc.status, exc.code, exc.message)

    @app.errorhandler(StaleDataError)
    def stale_data(exc):
        # Someone else changed the request between our read and our write.
        db.session.rollback()
        conflict = Conflict()
        return error_response(conflict.status, conflict.code, conflict.message)

    @app.errorhandler(IntegrityError)
    def integrity_error(exc):
        db.session.rollback()
        if not lost_race(exc):  # a NOT NULL or foreign key refusal is our bug, not a race
            log.error("write refused by a constraint: %s", exc.__class__.__name__, exc_info=exc)
            return http_error(InternalServerError())
        # Two writes raced for the same unique row (a rating, an appeal, a link): the
        # later one lost. Logged in full, since a missing check would look the same.
        log.warning("write lost a race for a unique row, answered 409", exc_info=exc)
        conflict = Conflict()
        return error_response(conflict.status, conflict.code, conflict.message)

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        db.session.rollback()
        return error_response(400, "csrf", _("页面已过期或来源不明，请返回重新提交。"))

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc):
        from community.web.i18n import photo_limits

        return error_response(413, "too_large",
                              _("上传的内容太大：每张照片不超过 %(mb)d MB，最多 %(n)d 张。", **photo_limits()))

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PendingRollbackError)  # the same lost connection, met a second time
    def database_unavailable(exc):
        # The database went away mid-request (restart, failover, a killed backend):
        # a plain 503, never a trace. The checkout's BEGIN (dbpool) replaces dead
        # connections on the next checkout, so the app recovers by itself.
        log.error("database unavailable: %s", exc.__class__.__name__, exc_info=exc)
        try:
            db.session.rollback()
        except Exception:  # the connection is gone; drop it and its session
            db.session.remove()
        message = _("服务暂时不可用，请稍后再试。")
        if wants_json() or any(request.path.startswith(p) for p in ERROR_RENDERERS):
            response, status = error_response(503, "unavailable", message)
        else:  # the page layout reads the database (the signed-in user); this one does not
            response, status = app.response_class(_plain_page(message), mimetype="text/html"), 503
        response.headers["Retry-After"] = "5"
        return response, status

    @app.errorhandler(HTTPException)
    def http_error(exc):
        messages = {400: _("请求的内容不完整或格式不对。"), 404: _("没有找到这个页面。"),
                    403: _("您无权查看此页面。"), 405: _("不支持这种请求方式。"),
                    409: _("情况已经变化，请刷新后再试。"), 413: _("上传的内容太大。"),
                    422: _("提交的内容有误，请检查后再试。"), 429: _("操作太频繁，请稍后再试。"),
                    500: _("系统暂时出错，请稍后再试。"), 503: _("系统正忙，请稍后再试。")}
        response = make_response(error_response(exc.code, exc.name.lower().replace(" ", "_"),
                                                 messages.get(exc.code, exc.description)))
        # The exception's own headers (Allow on a 405, WWW-Authenticate, Retry-After)
        # belong to the answer; its Content-Type does not, the body is ours.
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.teardown_appcontext
    def close_session_quietly(exc):
        # Runs before Flask-SQLAlchemy's own teardown. If the database went away after
        # the answer was made, closing would raise and turn that answer into a 500.
        try:
            db.session.remove()
        except SQLAlchemyError as error:
            log.warning("closing the session failed: %s", error.__class__.__name__)
            try:
                db.session.invalidate()  # drop the dead connection without talking to it
            except Exception:  # noqa: BLE001 - nothing more to do for it
                pass
            db.session.registry.clear()

    def refuse_bad_input():
        # A JSON body: only the JSON API and the SMS receipts read one (the forms would
        # choke on a list), and only so deep (1,000 levels made the decoder's recursion a 500).
        if request.is_json and request.method not in ("GET", "HEAD", "OPTIONS"):
            if not request.path.startswith(("/api/", "/sms/receipts/", "/exchange/")):  # the JSON APIs
                return error_response(415, "unsupported_media_type", _("这里只接受表单提交。"))
            try:
                body = request.get_json(silent=True)  # malformed: left to the API's own answer
            except RecursionError:
                return error_response(400, "too_deep", _("JSON 嵌套层数过多。"))
            if json_depth(body) > MAX_JSON_DEPTH:
                return error_response(400, "too_deep", _("JSON 嵌套层数过多。"))
        # Text that is not UTF-8: percent-encoded bytes that decode to nothing (Werkzeug
        # would keep them as "%FF" text), or raw bytes in a multipart field (kept as U+FFFD).
        urlencoded = request.mimetype == "application/x-www-form-urlencoded"
        if not percent_decodes(request.query_string) or (
                urlencoded and not percent_decodes(request.get_data(cache=True))):
            return error_response(400, "bad_encoding", _("输入中含有无效字符，请检查后重新提交。"))
        # NUL is never text a person typed, and PostgreSQL cannot store it in a text column.
        # (JSON bodies are checked field by field by the API's schemas, with the field named.)
        if "\x00" in request.path:
            abort(404)  # a path with NUL in it names nothing here
        texts = [t for pair in request.args.items(multi=True) for t in pair]
        if request.method not in ("GET", "HEAD", "OPTIONS") and not request.is_json:
            texts += [t for pair in request.form.items(multi=True) for t in pair]
        if any("\x00" in t or "\ufffd" in t for t in texts):
            return error_response(400, "bad_characters", _("输入中含有无效字符，请检查后重新提交。"))
        return None

    # First of all: CSRFProtect's check reads (and so consumes) the form body before any
    # other before_request function, and the body's raw bytes are what is checked here.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_bad_input)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", content_security_policy(app))
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if request.endpoint != "static" and (request.path.startswith("/t/") or "_user_id" in session):
            # A signed-in page (a revealed phone number, a queue) or a request seen by its
            # code: kept by no cache, not even the browser's. A photo, and the API (public
            # reference data cacheable, the rest no-store), set their own.
            # (The session, not current_user: a 503 for a lost database must not query it.)
            response.headers.setdefault("Cache-Control", "no-store")
        return response
