"""Language, time zone and elder mode (适老化): what each person chose to read.

Chinese is the default, English is offered; elder mode gives large type, high
contrast and fewer choices. Both are remembered in a year-long cookie and, for
a signed-in person, on their account, and both switch without JavaScript
(a `?lang=` link, a small POST form for elder mode).
"""
import functools
from datetime import timezone
from urllib.parse import parse_qsl, urlencode, urlsplit

from babel import dates, support
from flask import (Blueprint, current_app, flash, g, has_app_context, has_request_context,
                   redirect, request, session, url_for)
from flask_babel import format_datetime, get_locale, get_translations
from flask_babel.speaklater import LazyString
from flask_login import current_user
from markupsafe import Markup

from community.core.extensions import babel, db
from community.core.timeutil import as_utc, local_zone, to_local

LANG_COOKIE = "lang"
ELDER_COOKIE = "elder"
COOKIE_AGE = 365 * 24 * 3600

# Named date formats per language; a raw CLDR pattern may be passed instead.
DATE_FORMATS = {
    "zh": {"datetime": "yyyy年M月d日 HH:mm", "date": "yyyy年M月d日", "time": "HH:mm",
           "short": "M月d日 HH:mm"},
    "en": {"datetime": "d MMM yyyy, HH:mm", "date": "d MMM yyyy", "time": "HH:mm",
           "short": "d MMM, HH:mm"},
}

bp = Blueprint("prefs", __name__)


def _user_pref(name):
    user = current_user if has_request_context() else None
    if user is not None and getattr(user, "is_authenticated", False):
        return getattr(user, name, None)
    return None


def select_locale():
    languages = current_app.config["COMMUNITY_LANGUAGES"]
    if not has_request_context():  # CLI commands and jobs: the default language
        return languages[0]
    wanted = request.args.get("lang")
    if wanted in languages:
        session["lang"] = wanted
        g.lang_chosen = wanted
        return wanted
    for choice in (session.get("lang"), request.cookies.get(LANG_COOKIE), _user_pref("locale")):
        if choice in languages:
            return choice
    return request.accept_languages.best_match(languages) or languages[0]


def select_timezone():
    return current_app.config["COMMUNITY_TIMEZONE"]


def elder_mode() -> bool:
    """Large type and fewer choices: the cookie of this device first, then the account."""
    if not has_request_context():
        return False
    cookie = request.cookies.get(ELDER_COOKIE)
    if cookie in ("0", "1"):
        return cookie == "1"
    return bool(_user_pref("elder_mode"))


def _date_format(fmt: str) -> str:
    lang = "en" if str(get_locale()) == "en" else "zh"
    return DATE_FORMATS[lang].get(fmt, fmt)


def local_time(value, fmt="datetime"):
    """A stored UTC time as the city's wall-clock time, in the reader's language."""
    if value is None:
        return ""
    pattern = _date_format(fmt)
    if pattern in NAMED_FORMATS:  # Flask-Babel's configurable named formats: no memo
        return format_datetime(to_local(value).replace(tzinfo=None), pattern, rebase=False)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return _formatted(value, pattern, get_locale(), local_zone())


NAMED_FORMATS = ("short", "medium", "long", "full")


@functools.lru_cache(maxsize=8192)
def _formatted(value, pattern, locale, zone):
    """Babel's formatting of one instant, remembered: a queue page formats 60 times, mostly
    the same requests' times as the page before. A pure function of its arguments."""
    return dates.format_datetime(value.astimezone(zone).replace(tzinfo=None), pattern, locale=locale)


def time_tag(value, fmt="datetime"):
    """<time datetime="…UTC…">local text</time>: readable and machine-readable."""
    if value is None:
        return Markup("")
    return Markup('<time datetime="%s">%s</time>') % (
        as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ"), local_time(value, fmt))


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
    """"剩余 3小时20分" or "已超时 2天1小时": what a clock means to a person.

    `data-due` lets static/js/site.js keep the figure live; without JS it is
    right as of the page load."""
    if due is None:
        return Markup("")
    seconds = int((due - now).total_seconds())
    stamp = as_utc(due).strftime("%Y-%m-%dT%H:%M:%SZ")
    if seconds >= 0:
        return Markup('<span class="left" data-due="%s">%s</span>') % (
            stamp, gettext("剩余 %(t)s", t=_span(seconds)))
    return Markup('<span class="overdue" data-due="%s">%s</span>') % (
        stamp, gettext("已超时 %(t)s", t=_span(-seconds)))


def countdown_texts() -> dict:
    """The phrases site.js needs to redraw a countdown, in the page's language."""
    return {"left": gettext("剩余 %(t)s", t="{t}"), "overdue": gettext("已超时 %(t)s", t="{t}"),
            # %d wants numbers: draw odd ones and swap them for the placeholders.
            "dh": gettext("%(d)d天%(h)d小时", d=9001, h=9002).replace("9001", "{d}").replace("9002", "{h}"),
            "hm": gettext("%(h)d小时%(m)d分", h=9002, m=9003).replace("9002", "{h}").replace("9003", "{m}"),
            "m": gettext("%(m)d分钟", m=9003).replace("9003", "{m}")}


def photo_limits():
    return {"n": current_app.config["COMMUNITY_PHOTO_MAX_COUNT"],
            "mb": max(current_app.config["COMMUNITY_PHOTO_MAX_BYTES"] // (1024 * 1024), 1)}


def _photos_label():
    return gettext("照片（最多%(n)d张，每张不超过%(mb)d MB）", **photo_limits())


def _more_photos_label():
    return gettext("照片（最多%(n)d张）", **photo_limits())


def _text_hint():
    return gettext("请写清楚时间、地点和需要的帮助，1至%(n)d字。", n=current_app.config["COMMUNITY_TEXT_MAX"])


# Form labels that quote the configured limits, read when the form is drawn.
PHOTOS_LABEL = LazyString(_photos_label)
MORE_PHOTOS_LABEL = LazyString(_more_photos_label)
TEXT_HINT = LazyString(_text_hint)


def current_page() -> str:
    """Where the switches in the header come back to: this page, or for a form
    that was just posted, the page it was posted from."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path:
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return url_for("tickets.home")


def language_url(lang: str) -> str:
    """This page again, in another language (other query arguments kept)."""
    parts = urlsplit(current_page())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"]
    return parts.path + "?" + urlencode(query + [("lang", lang)])


def _safe_next(target):
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("tickets.home")


@bp.post("/prefs/elder")
def toggle_elder():
    """Switch elder mode on or off, remember it, and go back to the same page."""
    from community.web.forms import ElderForm

    form = ElderForm()
    on = form.on.data == "1"
    if current_user.is_authenticated and hasattr(current_user, "elder_mode"):
        current_user.elder_mode = on
        db.session.commit()
    flash(gettext("已开启长辈模式：字更大，按钮更大，选项更少。") if on else gettext("已关闭长辈模式。"))
    response = redirect(_safe_next(form.next.data))
    response.set_cookie(ELDER_COOKIE, "1" if on else "0", max_age=COOKIE_AGE, samesite="Lax",
                        httponly=True)
    return response


def _remember_language(response):
    chosen = g.get("lang_chosen")
    if chosen and request.cookies.get(LANG_COOKIE) != chosen:
        response.set_cookie(LANG_COOKIE, chosen, max_age=COOKIE_AGE, samesite="Lax", httponly=True)
    return response


def _save_language_on_account():
    chosen = request.args.get("lang")
    if (chosen in current_app.config["COMMUNITY_LANGUAGES"] and current_user.is_authenticated
            and getattr(current_user, "locale", chosen) != chosen):
        current_user.locale = chosen
        db.session.commit()


def _translations():
    """Flask-Babel's get_translations(), remembered for the rest of the request.

    Flask-Babel looks the catalogue up anew for every string (a dozen context-local reads
    each); a queue page has some 400 strings. The memo is kept with the locale object it
    was made for, so a `force_locale` block (which swaps that object) gets its own."""
    if not has_app_context():
        return get_translations()
    ns = g.get("_flask_babel")
    if ns is not None:
        memo = getattr(ns, "community_translations", None)
        if memo is not None and memo[0] is getattr(ns, "babel_locale", None):
            return memo[1]
    translations = get_translations()
    ns = g.get("_flask_babel")
    if ns is not None and getattr(ns, "babel_locale", None) is not None:
        ns.community_translations = (ns.babel_locale, translations)
    return translations


def gettext(string, **variables):
    """flask_babel.gettext, through the per-request memo of the catalogue."""
    text = _translations().ugettext(string)
    return text % variables if variables else text


class LazyMessage(LazyString):
    """A lazy_gettext string that also keeps its message id: the Chinese itself, the
    source language (there is no zh catalogue), for texts stored in Chinese whatever
    the reader's language (tickets.notes) without a force_locale per text."""

    def __init__(self, string):
        super().__init__(gettext, string)
        self.msgid = string


def lazy_gettext(string):
    """flask_babel.lazy_gettext, translated through the memo when used."""
    return LazyMessage(string)


def source_text(message) -> str:
    """The Chinese of a lazy message (its id), or the value itself as text."""
    return message.msgid if isinstance(message, LazyMessage) else str(message)


_WTFORMS_CATALOGUES = {}


def wtforms_translations():
    """WTForms' own messages ("This field is required.") in the request's language, read
    from disk once per language (community.web.forms.Form's Meta.get_translations); None
    outside a request: WTForms' English."""
    if not has_request_context() or "babel" not in current_app.extensions:
        return None
    locale = get_locale()
    catalogue = _WTFORMS_CATALOGUES.get(str(locale))
    if catalogue is None:
        from wtforms.i18n import messages_path

        catalogue = _WTFORMS_CATALOGUES[str(locale)] = support.Translations.load(
            messages_path(), [locale], domain="wtforms")
    return catalogue


def init_i18n(app):
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone,
                   default_translation_directories="translations")
    # The same callables Flask-Babel installs, with the catalogue looked up once a request.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True)
    app.register_blueprint(bp)
    app.before_request(_save_language_on_account)
    app.after_request(_remember_language)
    app.jinja_env.filters["localtime"] = local_time
    app.jinja_env.filters["timetag"] = time_tag
    app.jinja_env.globals["time_left"] = time_left
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
    app.jinja_env.globals["elder_mode"] = elder_mode
    app.jinja_env.globals["countdown_texts"] = countdown_texts
    app.jinja_env.globals["photo_limits"] = photo_limits
    app.jinja_env.globals["current_page"] = current_page
    app.jinja_env.globals["language_url"] = language_url
