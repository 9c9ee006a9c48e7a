"""Language and time zone: Chinese first, English second."""
from flask import current_app, has_request_context, request, session
from flask_babel import format_datetime, get_locale, gettext
from markupsafe import Markup
from flask_login import current_user

from .extensions import babel
from .timeutil import to_local


def select_locale():
    languages = current_app.config["COMMUNITY_LANGUAGES"]
    if not has_request_context():  # CLI commands and jobs: the default language
        return languages[0]
    wanted = request.args.get("lang")
    if wanted in languages:
        session["lang"] = wanted
        return wanted
    if session.get("lang") in languages:
        return session["lang"]
    if current_user and getattr(current_user, "locale", None) in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages) or languages[0]


def select_timezone():
    return current_app.config["COMMUNITY_TIMEZONE"]


def local_time(value, fmt="yyyy-MM-dd HH:mm"):
    """A stored UTC time as the city's wall-clock time."""
    if value is None:
        return ""
    return format_datetime(to_local(value).replace(tzinfo=None), fmt, rebase=False)


def _span(seconds: int) -> str:
    minutes = max(seconds // 60, 1)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return gettext("%(d)d天%(h)d小时", d=days, h=hours)
    if hours:
        return gettext("%(h)d小时%(m)d分", h=hours, m=minutes)
    return gettext("%(m)d分钟", m=minutes)


def time_left(due, now):
    """"剩余 3小时20分" or "已超时 2天1小时": what a clock means to a person."""
    if due is None:
        return Markup("")
    seconds = int((due - now).total_seconds())
    if seconds >= 0:
        return Markup('<span class="left">%s</span>') % gettext("剩余 %(t)s", t=_span(seconds))
    return Markup('<span class="overdue">%s</span>') % gettext("已超时 %(t)s", t=_span(-seconds))


def init_i18n(app):
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone,
                   default_translation_directories="translations")
    app.jinja_env.filters["localtime"] = local_time
    app.jinja_env.globals["time_left"] = time_left
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
