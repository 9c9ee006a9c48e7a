"""What every page shares: sign-in, error pages, security headers, labels."""
from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from . import labels
from .errors import Conflict, DomainError
from .extensions import db, login_manager


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


def init_web(app):
    labels.register(app)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals["url_endpoints"] = app.view_functions
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None

    @login_manager.user_loader
    def load_user(user_id):
        from .auth.models import User

        return db.session.get(User, int(user_id)) if user_id.isdigit() else None

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

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        db.session.rollback()
        return error_response(400, "csrf", _("页面已过期或来源不明，请返回重新提交。"))

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc):
        return error_response(413, "too_large", _("上传的内容太大：每张照片不超过 5 MB，最多 3 张。"))

    @app.errorhandler(HTTPException)
    def http_error(exc):
        messages = {404: _("没有找到这个页面。"), 403: _("您无权查看此页面。"),
                    405: _("不支持这种请求方式。"), 429: _("操作太频繁，请稍后再试。")}
        return error_response(exc.code, exc.name.lower().replace(" ", "_"),
                              messages.get(exc.code, exc.description))

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; form-action 'self'")
        return response
