"""The page a single-use resident link opens (/r/<token>): the request's progress,
and the one step the link may take (cancel; or rate / reopen after 办结)."""
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from community.core.errors import DomainError
from community.core.extensions import limiter
from community.web.submit import submit
from community.core.timeutil import utcnow

from . import links, services
from .access import resident_may
from .forms import ReasonStepForm

bp = Blueprint("links", __name__)


@bp.after_request
def _keep_the_link_private(response):
    # The link is a key: no Referer carries it anywhere, no cache keeps the page.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(token, link, status=200):
    ticket = link.ticket
    now = utcnow()

    def photo_url(photo):
        return url_for("tickets.track_photo", code=ticket.tracking_code, photo_id=photo.id)

    response = render_template(
        "tickets/link.html", ticket=ticket, link=link, link_token=token, photo_url=photo_url, now=now,
        can_cancel=resident_may(ticket, _visitor(), "cancel", now, link),
        can_reopen=resident_may(ticket, _visitor(), "reopen", now, link), step_form=ReasonStepForm(formdata=None))
    return response, status


def _refused(exc):
    from community.web import error_response

    return error_response(exc.status, exc.code, exc.message)


def _usable(token):
    """The link, or the page saying why not (used, expired, replaced, unknown)."""
    try:
        return links.find(token, utcnow()), None
    except DomainError as exc:
        return None, _refused(exc)


def _visitor():
    """Whoever is signed in goes through the rule too: staff never act with a link."""
    return current_user if current_user.is_authenticated else None


@bp.get("/r/<token>")
@limiter.limit(lambda: current_app.config["COMMUNITY_TRACKING_RATE"])
def open_link(token):
    link, refusal = _usable(token)
    if refusal:
        return refusal
    return _page(token, link)


@bp.post("/r/<token>/rate")
@limiter.limit(lambda: current_app.config["COMMUNITY_TRACKING_RATE"])
def rate(token):
    from community.ratings import services as ratings
    from community.ratings.views import rate_or_ask_reasons

    link, refusal = _usable(token)
    if refusal:
        return refusal
    user = _visitor()
    refused = rate_or_ask_reasons(
        link.ticket, lambda answer: ratings.rate(link.ticket, user, utcnow(), answer, link=link),
        lambda: _page(token, link)[0])
    if refused is not None:
        return refused
    return redirect(url_for("tickets.track", code=link.ticket.tracking_code) + "#rate")


def _step(token, call, message):
    link, refusal = _usable(token)
    if refusal:
        return refusal
    actor, form = _visitor(), ReasonStepForm()
    done = submit(lambda: call(link, actor, form.reason.data or ""))
    if not done.ok:
        return _page(token, link, done.status)
    flash(message)
    return redirect(url_for("tickets.track", code=link.ticket.tracking_code))


@bp.post("/r/<token>/cancel")
@limiter.limit(lambda: current_app.config["COMMUNITY_TRACKING_RATE"])
def cancel(token):
    return _step(token, lambda link, actor, reason: services.cancel(
        link.ticket, actor, utcnow(), reason, link=link), _("诉求已撤回。"))


@bp.post("/r/<token>/reopen")
@limiter.limit(lambda: current_app.config["COMMUNITY_TRACKING_RATE"])
def reopen(token):
    from community.workqueue import actions

    return _step(token, lambda link, actor, reason: actions.reopen(
        link.ticket, actor, utcnow(), reason, link=link),
        _("已申请重办，我们会尽快处理。"))
