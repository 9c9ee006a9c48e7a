"""The page a single-use resident link opens (/r/<token>): the request's progress,
and the one step the link may take (cancel; or rate / reopen after 办结).

Rating and reopening are not this package's steps: ratings.views and workqueue.views
add those two routes to this blueprint (as sla.calendar_views does to the admin's), so
the link's pages stay one blueprint (its headers, its endpoints) and tickets/ imports
neither ratings/ nor workqueue/; create_app imports them before registering it."""
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


def page(token, link, status=200):
    ticket = link.ticket
    now = utcnow()

    def photo_url(photo):
        return url_for("tickets.track_photo", code=ticket.tracking_code, photo_id=photo.id)

    response = render_template(
        "tickets/link.html", ticket=ticket, link=link, link_token=token, photo_url=photo_url, now=now,
        can_cancel=resident_may(ticket, visitor(), "cancel", now, link),
        can_reopen=resident_may(ticket, visitor(), "reopen", now, link), step_form=ReasonStepForm(formdata=None))
    return response, status


def _refused(exc):
    from community.web import error_response

    return error_response(exc.status, exc.code, exc.message)


def usable(token):
    """The link, or the page saying why not (used, expired, replaced, unknown)."""
    try:
        return links.find(token, utcnow()), None
    except DomainError as exc:
        return None, _refused(exc)


def visitor():
    """Whoever is signed in goes through the rule too: staff never act with a link."""
    return current_user if current_user.is_authenticated else None


@bp.get("/r/<token>")
@limiter.limit(lambda: current_app.config["COMMUNITY_TRACKING_RATE"])
def open_link(token):
    link, refusal = usable(token)
    if refusal:
        return refusal
    return page(token, link)


def step(token, call, message):
    """The link's one step, `call(link, actor, reason)`: done, the tracking page with
    `message`; refused, the link's page again (cancel here; reopen in workqueue.views)."""
    link, refusal = usable(token)
    if refusal:
        return refusal
    actor, form = visitor(), ReasonStepForm()
    done = submit(lambda: call(link, actor, form.reason.data or ""))
    if not done.ok:
        return page(token, link, done.status)
    flash(message)
    return redirect(url_for("tickets.track", code=link.ticket.tracking_code))


@bp.post("/r/<token>/cancel")
@limiter.limit(lambda: current_app.config["COMMUNITY_TRACKING_RATE"])
def cancel(token):
    return step(token, lambda link, actor, reason: services.cancel(
        link.ticket, actor, utcnow(), reason, link=link), _("诉求已撤回。"))
