"""/api/v1 workflow actions: one POST endpoint per step of the table the staff pages
use too (community.workqueue.steps), the resident's own steps included.

Each endpoint finds the request within the caller's scope (404 outside it),
then calls the same service the web calls, which checks role, unit and state.
"""
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from community.core.errors import Conflict, NotAllowed, NotFound
from community.core.extensions import db
from community.core.timeutil import utcnow
from community.workqueue import assist, contact
from community.workqueue.models import AssistState, AssistTask
from community.workqueue.steps import API_STEPS

from . import auth, queries, schemas
from .blueprint import bp
from .serialize import ticket_dict, unit_ref
from .views import errors, ticket_detail


def _inputs(step, parsed: dict) -> dict:
    """The body as the service takes it (a unit's code as its id, …)."""
    return {name: step.from_api.get(name, lambda value: value)(value) for name, value in parsed.items()}


def _make_action_view(step):
    def view(*parsed, code):
        user = auth.require_user()
        ticket = queries.visible_by_code(code, user)
        now = utcnow()
        try:
            step.run(ticket, user, now, _inputs(step, parsed[0] if parsed else {}))
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
            raise Conflict() from None
        try:
            return ticket_detail(queries.visible_by_code(code, user), user, now)
        except NotFound:  # merged away or moved out of the caller's scope
            data = ticket_dict(ticket, user, now)
            data["actions"] = []
            return data

    view.__name__ = "action_" + step.api.replace("-", "_")
    view.__doc__ = step.summary
    view = errors()(view)
    view = bp.response(200, schemas.TicketDetail)(view)
    if step.schema is not None:
        view = bp.arguments(step.schema)(view)
    bp.route(f"/requests/<code>/{step.api}", methods=["POST"])(view)


# One operation per step of the table the staff pages share (community.workqueue.steps).
for _step in API_STEPS.values():
    _make_action_view(_step)


@bp.route("/requests/<code>/reveal-contact", methods=["POST"])
@bp.response(200, schemas.ContactOut)
@errors()
def reveal_contact(code):
    """The resident's full phone number, for the handling unit only; every reveal is logged."""
    user = auth.require_staff()
    ticket = queries.visible_by_code(code, user)
    phone = contact.reveal_contact(ticket, user, utcnow())
    db.session.commit()
    return {"phone": phone}


# -- 吹哨报到: a summoned department's side -------------------------------------

def _assist_dict(task):
    return {"id": task.id, "tracking_code": task.ticket.tracking_code,
            "department": unit_ref(task.department), "state": task.state, "reason": task.reason,
            "report": task.report, "due_at": task.due_at, "accepted_at": task.accepted_at,
            "done_at": task.done_at}


@bp.route("/assist", methods=["GET"])
@bp.response(200, schemas.AssistOut(many=True))
@errors()
def list_assist():
    """A department's open assist tasks (吹哨报到), nearest deadline first."""
    user = auth.require_staff()
    tasks = db.session.scalars(select(AssistTask).where(
        AssistTask.department_id == (user.unit_id or 0),
        AssistTask.state.in_([AssistState.OPEN, AssistState.ACCEPTED])).order_by(AssistTask.due_at))
    return [_assist_dict(t) for t in tasks]


def _assist_step(task_id, step):
    user = auth.require_staff()
    if not 0 < task_id < 2**31:
        raise NotFound()
    try:
        task = step(user, task_id, utcnow())
    except NotAllowed:
        raise NotFound() from None  # another department's task: as if it did not exist
    db.session.commit()
    return _assist_dict(task)


@bp.route("/assist/<int:task_id>/report-in", methods=["POST"])
@bp.response(200, schemas.AssistOut)
@errors()
def assist_report_in(task_id):
    """报到: the department acknowledges the summons."""
    return _assist_step(task_id, assist.report_in)


@bp.route("/assist/<int:task_id>/finish", methods=["POST"])
@bp.arguments(schemas.AssistReportIn)
@bp.response(200, schemas.AssistOut)
@errors()
def assist_finish(args, task_id):
    """The department's part is done, with its report."""
    return _assist_step(task_id, lambda u, i, now: assist.finish_assist(u, i, now, args["report"]))
