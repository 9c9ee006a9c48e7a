"""Staff pages: the queue (/work), a request (/work/tickets/<id>) and its actions."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from community.auth.decorators import staff_required
from community.areas.maps import ticket_map
from community.core.errors import NotFound
from community.core.extensions import db, limiter
from community.core.replica import reads_from_replica
from community.sms.services import reach as sms_reach
from community.tickets import linkviews
from community.tickets.access import acting_resident
from community.tickets.forms import ReasonStepForm
from community.tickets.services import category_choices, discard_photo_files, get_by_tracking_code
from community.core.timeutil import utcnow
from community.web.forms import Form, as_int
from community.web.submit import submit

from . import actions, assist, contact, extensions, gridfix, notifications, routing, steps
from .available import available_actions
from .forms import STEP_FORMS, AssistForm, posted
from .queue import QueueFilter, queue_figures, queue_for
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
    figures = queue_figures(current_user, filters.view, now)
    return render_template(
        "workqueue/queue.html", tickets=queue_for(current_user, filters, now), filters=filters,
        counts=figures.states, overdue=figures.overdue, view_counts=figures.views, figures=figures,
        now=now,
        categories=category_choices(),
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
    user = current_user._get_current_object()  # each rule reads the user: not through the proxy
    ticket = visible_ticket(user, ticket_id)
    now = utcnow()
    allowed = available_actions(user, ticket, now)
    return render_template(
        "workqueue/ticket.html", ticket=ticket, now=now, revealed=revealed, allowed=allowed,
        masked_phone=contact.masked_contact(ticket), tasks=assist.tasks_of(ticket),
        can_score=assist.can_score,
        pending=extensions.pending_extension(ticket),
        colleagues=actions.unit_colleagues(ticket), departments=assist.departments_of(ticket.county_id),
        reroute_groups=routing.reroute_groups(ticket) if ticket.state == "returned" else [],
        escalation_tiers=routing.escalation_tiers(ticket),
        photo_url=lambda p: url_for("tickets.staff_photo", ticket_id=ticket.id, photo_id=p.id),
        callback_offered=contact.callback_offered(ticket, user, now),
        grids_to_choose=gridfix.grids_to_choose(ticket) if "correct_grid" in allowed else [],
        reach=sms_reach(ticket, now), map_data=ticket_map(ticket),
        step_form=Form(formdata=None), assist_form=AssistForm(formdata=None),  # their CSRF token
    ), status


# The staff page's steps (workqueue.steps, shared with the API), each with its form.
ACTIONS = steps.WEB_STEPS


@bp.post("/work/tickets/<int:ticket_id>/<action>")
@staff_required
def act(ticket_id, action):
    ticket = visible_ticket(current_user, ticket_id)  # 404 before anything else
    if action == "reveal":
        return _reveal(ticket)
    if action not in ACTIONS:
        raise NotFound()
    step, form = ACTIONS[action], STEP_FORMS[action]()
    # The service checks every rule; a refused 办结's result photos are removed again.
    done = submit(lambda: step.run(ticket, current_user, utcnow(), posted(step, form)),
                  raced=((StaleDataError,), None), undo=discard_photo_files)
    if not done.ok:  # the request again with the reason; nothing was written
        return ticket_page(ticket_id, status=done.status)
    flash(str(step.done))
    if not visible_or_none(ticket_id):
        return redirect(url_for("workqueue.queue"))
    return redirect(url_for("workqueue.ticket_page", ticket_id=ticket_id))


def visible_or_none(ticket_id):
    try:
        return visible_ticket(current_user, ticket_id)
    except NotFound:
        return None


def _reveal(ticket):
    done = submit(lambda: contact.reveal_contact(ticket, current_user, utcnow()))
    if not done.ok:
        return ticket_page(ticket.id, status=done.status)
    return ticket_page(ticket.id, revealed=done.value)


ASSIST_STEPS = {
    "report_in": lambda now, task_id, form: assist.report_in(current_user, task_id, now),
    "finish": lambda now, task_id, form: assist.finish_assist(current_user, task_id, now,
                                                              form.report.data or ""),
    # 双向考核: the summoning unit scores the help
    "score": lambda now, task_id, form: assist.score_assist(current_user, task_id, now,
                                                            as_int(form.score.data), form.note.data or ""),
}


def _assist(step, task_id, form):
    if step not in ASSIST_STEPS:
        raise NotFound()  # refused like the steps' own refusals (a message, back to the page)
    return ASSIST_STEPS[step](utcnow(), task_id, form)


@bp.post("/work/assist/<int:task_id>/<step>")
@staff_required
def assist_step(task_id, step):
    form = AssistForm()
    done = submit(lambda: _assist(step, task_id, form), show=False)
    if not done.ok:
        if done.status == 403:
            raise NotFound() from None
        flash(str(done.refusal.message), "error")
        return redirect(request.referrer or url_for("workqueue.queue")), done.status
    flash(_("已记录。"))
    return redirect(url_for("workqueue.ticket_page", ticket_id=done.value.ticket_id))


@bp.post("/t/<code>/reopen")
def resident_reopen(code):
    """The resident disputes the result within the reopen window (重办)."""
    ticket = get_by_tracking_code(code)
    actor, form = acting_resident(ticket, current_user), ReasonStepForm()
    done = submit(lambda: actions.reopen(ticket, actor, utcnow(), form.reason.data or ""))
    if done.status == 403:  # the code alone does not reopen (tickets.access)
        from community.tickets.views import track_page

        return track_page(ticket), 403
    if done.ok:
        flash(_("已申请重办，我们会尽快处理。"))
    return redirect(url_for("tickets.track", code=ticket.tracking_code))


@linkviews.bp.post("/r/<token>/reopen", endpoint="reopen")
@limiter.limit(lambda: current_app.config["COMMUNITY_TRACKING_RATE"])
def resident_reopen_by_link(token):
    """The same 重办 from a texted link's page (on the links blueprint)."""
    return linkviews.step(token, lambda link, actor, reason: actions.reopen(
        link.ticket, actor, utcnow(), reason, link=link),
        _("已申请重办，我们会尽快处理。"))


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
