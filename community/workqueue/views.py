"""Staff pages: the queue (/work), a request (/work/tickets/<id>) and its actions."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from community.auth.decorators import staff_required
from community.areas.maps import ticket_map
from community.core.errors import Conflict, DomainError, NotFound
from community.core.extensions import db
from community.core.replica import reads_from_replica
from community.sms.services import reach as sms_reach
from community.tickets.access import acting_resident
from community.tickets.services import active_categories, discard_photo_files, get_by_tracking_code
from community.tickets.views import read_photos
from community.core.timeutil import utcnow

from . import actions, assist, contact, extensions, gridfix, notifications, routing, steps
from .available import available_actions
from .queue import QueueFilter, overdue_count, queue_for, state_counts, view_counts
from .permissions import visible_ticket

bp = Blueprint("workqueue", __name__)


@bp.app_context_processor
def _unread():
    def unread_notifications():
        if current_user.is_authenticated:
            return notifications.unread_count(current_user.id)
        return 0
    return {"unread_notifications": unread_notifications}


@bp.get("/work")
@staff_required
@reads_from_replica  # the list; a ticket's page and its actions read the primary
def queue():
    now = utcnow()
    filters = QueueFilter.from_args(request.args)
    return render_template(
        "workqueue/queue.html", tickets=queue_for(current_user, filters, now), filters=filters,
        counts=state_counts(current_user, filters.view), overdue=overdue_count(current_user, now, filters.view),
        view_counts=view_counts(current_user), now=now,
        categories=active_categories(),
        extension_requests=extensions.pending_for_supervisor(current_user.unit_id or -1))


@bp.get("/work/search")
@staff_required
def search():
    from .search import search_tickets

    query = request.args.get("q", "").strip()[:100]
    return render_template("workqueue/search.html", query=query, now=utcnow(),
                           tickets=search_tickets(current_user, query) if query else [])


@bp.get("/work/tickets/<int:ticket_id>")
@staff_required
def ticket_page(ticket_id, status=200, revealed=None):
    ticket = visible_ticket(current_user, ticket_id)
    now = utcnow()
    allowed = available_actions(current_user, ticket, now)
    return render_template(
        "workqueue/ticket.html", ticket=ticket, now=now, revealed=revealed, allowed=allowed,
        masked_phone=contact.masked_contact(ticket), tasks=assist.tasks_of(ticket),
        can_score=assist.can_score,
        pending=extensions.pending_extension(ticket),
        colleagues=actions.unit_colleagues(ticket), departments=assist.departments_of(ticket.county_id),
        reroute_groups=routing.reroute_groups(ticket) if ticket.state == "returned" else [],
        escalation_tiers=routing.escalation_tiers(ticket),
        photo_url=lambda p: url_for("tickets.staff_photo", ticket_id=ticket.id, photo_id=p.id),
        callback_offered=contact.callback_offered(ticket, current_user, now),
        grids_to_choose=gridfix.grids_to_choose(ticket) if "correct_grid" in allowed else [],
        reach=sms_reach(ticket, now), map_data=ticket_map(ticket),
    ), status


def _text(name):
    return request.form.get(name, "")


# The staff page's steps (workqueue.steps, shared with the API), each read from the form so.
ACTIONS = steps.WEB_STEPS
_READ = {
    steps.TEXT: _text,
    steps.OPTIONAL: lambda name: _text(name) or None,
    steps.NUMBER: lambda name: request.form.get(name, type=int),
    steps.NUMBERS: lambda name: request.form.getlist(name, type=int),
    steps.YES: lambda name: request.form.get(name) == "1",
    steps.PHOTOS: read_photos,
}


def _posted(step) -> dict:
    return {name: _READ[kind](name) for name, kind in step.form.items()}


@bp.post("/work/tickets/<int:ticket_id>/<action>")
@staff_required
def act(ticket_id, action):
    ticket = visible_ticket(current_user, ticket_id)  # 404 before anything else
    if action == "reveal":
        return _reveal(ticket)
    if action not in ACTIONS:
        raise NotFound()
    step = ACTIONS[action]
    try:
        step.run(ticket, current_user, utcnow(), _posted(step))  # the service checks every rule
        db.session.commit()
    except StaleDataError:
        discard_photo_files()
        db.session.rollback()
        return _refused(ticket_id, Conflict())
    except DomainError as exc:
        discard_photo_files()  # the result photos of a refused 办结
        db.session.rollback()
        return _refused(ticket_id, exc)
    except Exception:
        discard_photo_files()
        raise
    flash(str(step.done))
    if not visible_or_none(ticket_id):
        return redirect(url_for("workqueue.queue"))
    return redirect(url_for("workqueue.ticket_page", ticket_id=ticket_id))


def visible_or_none(ticket_id):
    try:
        return visible_ticket(current_user, ticket_id)
    except NotFound:
        return None


def _refused(ticket_id, exc):
    """Show the request again with the reason; nothing was written."""
    flash(str(exc.message), "error")
    return ticket_page(ticket_id, status=exc.status)


def _reveal(ticket):
    try:
        phone = contact.reveal_contact(ticket, current_user, utcnow())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _refused(ticket.id, exc)
    return ticket_page(ticket.id, revealed=phone)


@bp.post("/work/assist/<int:task_id>/<step>")
@staff_required
def assist_step(task_id, step):
    now = utcnow()
    try:
        if step == "report_in":
            task = assist.report_in(current_user, task_id, now)
        elif step == "finish":
            task = assist.finish_assist(current_user, task_id, now, _text("report"))
        elif step == "score":  # 双向考核: the summoning unit scores the help
            task = assist.score_assist(current_user, task_id, now, request.form.get("score", type=int),
                                       _text("note"))
        else:
            raise NotFound()
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 403:
            raise NotFound() from None
        flash(str(exc.message), "error")
        return redirect(request.referrer or url_for("workqueue.queue")), exc.status
    flash(_("已记录。"))
    return redirect(url_for("workqueue.ticket_page", ticket_id=task.ticket_id))


@bp.post("/t/<code>/reopen")
def resident_reopen(code):
    """The resident disputes the result within the reopen window (重办)."""
    ticket = get_by_tracking_code(code)
    actor = acting_resident(ticket, current_user)
    try:
        actions.reopen(ticket, actor, utcnow(), _text("reason"))
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 403:  # the code alone does not reopen (tickets.access)
            from community.tickets.views import track_page

            flash(str(exc.message), "error")
            return track_page(ticket), 403
        flash(str(exc.message), "error")
        return redirect(url_for("tickets.track", code=ticket.tracking_code))
    flash(_("已申请重办，我们会尽快处理。"))
    return redirect(url_for("tickets.track", code=ticket.tracking_code))


@bp.route("/notifications", methods=["GET", "POST"])
@login_required
def my_notifications():
    if request.method == "POST":
        notifications.mark_read(current_user.id, utcnow())
        db.session.commit()
        return redirect(url_for("workqueue.my_notifications"))
    return render_template("workqueue/notifications.html",
                           items=notifications.for_user(current_user.id),
                           staff=current_user.is_staff)  # staff open a request on 工作台
