"""/api/v1 workflow actions: one POST endpoint per action, mirroring the staff
pages (workqueue.views.ACTIONS) and the resident's own steps.

Each endpoint finds the request within the caller's scope (404 outside it),
then calls the same service the web calls, which checks role, unit and state.
"""
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from community.areas.services import unit_by_code
from community.auth.models import User
from community.errors import Conflict, NotAllowed, NotFound
from community.extensions import db
from community.tickets import services as ticket_services
from community.tickets.access import acting_resident
from community.timeutil import utcnow
from community.workqueue import actions, assist, contact, extensions, routing
from community.workqueue.models import AssistState, AssistTask

from . import auth, queries, schemas
from .blueprint import bp
from .serialize import ticket_dict, unit_ref
from .views import errors, ticket_detail


def _unit_id(code: str) -> int:
    unit = unit_by_code(code) if code else None
    return unit.id if unit is not None else 0  # the service refuses an unknown unit


def _user_id(username: str) -> int:
    return db.session.scalar(select(User.id).where(User.username == username)) or 0


def _own(ticket, user):
    """Steps only the resident who filed may take through the API (it has no code holders)."""
    if acting_resident(ticket, user) is None:
        raise NotAllowed(_("只有提交诉求的居民本人可以这样做。"))


def _cancel(t, u, now, a):
    # Who may cancel: the one rule (tickets.access.check_resident_step), in the service.
    return ticket_services.cancel(t, u, now, a["reason"])


def _add_info(t, u, now, a):
    _own(t, u)
    return ticket_services.add_info(t, u, now, a["text"], [])


def _reopen(t, u, now, a):
    return actions.reopen(t, u, now, a["reason"])  # the resident's side: tickets.access


# name: (body schema or None, service call, summary)
ACTIONS = {
    "accept": (None, lambda t, u, now, a: actions.accept(t, u, now),
               "签收: the handling unit takes the request on."),
    "respond": (schemas.TextIn, lambda t, u, now, a: actions.respond(t, u, now, a["text"]),
                "A public reply to the resident."),
    "ask-info": (schemas.TextIn, lambda t, u, now, a: actions.ask_info(t, u, now, a["text"]),
                 "Ask the resident for more details."),
    "resolve": (schemas.ResolveIn,
                lambda t, u, now, a: actions.resolve(t, u, now, a["result"], a["note"]),
                "办结 with a result; anything short of solved is explained."),
    "escalate": (schemas.EscalateIn,
                 lambda t, u, now, a: routing.escalate(t, u, now, a["reason"], a.get("to_tier")),
                 "上报: one tier up, or straight to a named higher tier."),
    "return": (schemas.ReasonIn, lambda t, u, now, a: routing.return_ticket(t, u, now, a["reason"]),
               "退单: not this unit's business; back to the dispatcher."),
    "reroute": (schemas.RerouteIn,
                lambda t, u, now, a: routing.reroute(t, u, now, _unit_id(a["unit"]), a["note"]),
                "The dispatcher sends a returned request to a unit below it."),
    "reassign": (schemas.ReassignIn,
                 lambda t, u, now, a: actions.reassign(t, u, now, _user_id(a["assignee"])),
                 "Hand the request to a colleague in the same unit."),
    "merge": (schemas.MergeIn, lambda t, u, now, a: routing.merge(t, u, now, a["into"]),
              "Merge a duplicate into an open request."),
    "extension": (schemas.ExtensionIn, lambda t, u, now, a: extensions.request_extension(
        t, u, now, a["days"], a["reason"]), "延期: ask the tier above for more working days."),
    "extension-decision": (schemas.DecisionIn, lambda t, u, now, a: extensions.decide_extension(
        t, u, now, a["approve"], a["note"]), "The supervising tier decides a pending extension."),
    "summon": (schemas.SummonIn, lambda t, u, now, a: assist.summon(
        t, u, now, [_unit_id(c) for c in a["departments"]], a["reason"]),
        "吹哨报到: the street or county summons county departments."),
    "reopen": (schemas.ReasonIn, _reopen,
               "重办: the resident within the window, or the street/county."),
    "cancel": (schemas.OptionalReasonIn, _cancel,
               "The resident withdraws a request no unit has accepted yet."),
    "info": (schemas.TextIn, _add_info, "The resident adds details while the request is open."),
}


def _make_action_view(name, schema, call, summary):
    def view(*parsed, code):
        user = auth.require_user()
        ticket = queries.visible_by_code(code, user)
        now = utcnow()
        try:
            call(ticket, user, now, parsed[0] if parsed else {})
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

    view.__name__ = "action_" + name.replace("-", "_")
    view.__doc__ = summary
    view = errors()(view)
    view = bp.response(200, schemas.TicketDetail)(view)
    if schema is not None:
        view = bp.arguments(schema)(view)
    bp.route(f"/requests/<code>/{name}", methods=["POST"])(view)


for _name, (_schema, _call, _summary) in ACTIONS.items():
    _make_action_view(_name, _schema, _call, _summary)


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
