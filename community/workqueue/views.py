"""Staff pages: the queue (/work), a request (/work/tickets/<id>) and its actions."""
from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from community.areas.maps import ticket_map
from community.errors import Conflict, DomainError, NotFound
from community.extensions import db
from community.ratings.services import callback_offered
from community.sms.services import reach as sms_reach
from community.tickets.services import active_categories, discard_photo_files, get_by_tracking_code
from community.tickets.views import read_photos
from community.timeutil import utcnow

from . import actions, assist, contact, extensions, gridfix, notifications, routing
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


def staff_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_staff:
            abort(404)
        return view(*args, **kwargs)
    return wrapper


@bp.get("/work")
@staff_required
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
        callback_offered=callback_offered(ticket, current_user, now),
        grids_to_choose=gridfix.grids_to_choose(ticket) if "correct_grid" in allowed else [],
        reach=sms_reach(ticket, now), map_data=ticket_map(ticket),
    ), status


def _text(name):
    return request.form.get(name, "")


# Each action: (service call, success message). The service checks every rule.
ACTIONS = {
    "accept": (lambda t, u, now: actions.accept(t, u, now), _l("已签收。")),
    "respond": (lambda t, u, now: actions.respond(t, u, now, _text("text")), _l("答复已发送。")),
    "ask_info": (lambda t, u, now: actions.ask_info(t, u, now, _text("text")), _l("已请居民补充信息。")),
    "resolve": (lambda t, u, now: actions.resolve(t, u, now, _text("result"), _text("note"), read_photos()),
                _l("已办结。")),
    "escalate": (lambda t, u, now: routing.escalate(t, u, now, _text("reason"), _text("to_tier") or None),
                 _l("已上报。")),
    "return": (lambda t, u, now: routing.return_ticket(t, u, now, _text("reason")), _l("已退单。")),
    "reroute": (lambda t, u, now: routing.reroute(t, u, now, request.form.get("unit", type=int),
                                                  _text("note")), _l("已重新派单。")),
    "reassign": (lambda t, u, now: actions.reassign(t, u, now, request.form.get("assignee", type=int)),
                 _l("已转派。")),
    "merge": (lambda t, u, now: routing.merge(t, u, now, _text("into")), _l("已合并。")),
    "extension": (lambda t, u, now: extensions.request_extension(
        t, u, now, request.form.get("days", type=int), _text("reason")), _l("延期申请已提交。")),
    "decide_extension": (lambda t, u, now: extensions.decide_extension(
        t, u, now, request.form.get("approve") == "1", _text("note")), _l("已审批。")),
    "summon": (lambda t, u, now: assist.summon(
        t, u, now, request.form.getlist("departments", type=int), _text("reason")), _l("已吹哨召集部门。")),
    "reopen": (lambda t, u, now: actions.reopen(t, u, now, _text("reason")), _l("已重办。")),
    "confirm_grid": (lambda t, u, now: gridfix.confirm_grid(t, u, now), _l("已核实网格。")),
    "correct_grid": (lambda t, u, now: gridfix.correct_grid(t, u, now, request.form.get("grid", type=int)),
                     _l("已更正网格。")),
}


@bp.post("/work/tickets/<int:ticket_id>/<action>")
@staff_required
def act(ticket_id, action):
    ticket = visible_ticket(current_user, ticket_id)  # 404 before anything else
    if action == "reveal":
        return _reveal(ticket)
    if action not in ACTIONS:
        raise NotFound()
    call, message = ACTIONS[action]
    try:
        call(ticket, current_user, utcnow())
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
    flash(str(message))
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
    actor = current_user if current_user.is_authenticated and current_user.id == ticket.resident_id \
        else None
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
