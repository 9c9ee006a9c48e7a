"""One check per staff action: why this user may not take it on this request now, or None.

The services raise the refusal before they write (`require`), and "which actions to
show" (available.py, the page's buttons and the API's `actions`) asks the same
function, so a button is shown exactly when the service would accept the step
(tests/unit/test_action_rules.py walks a matrix of states and roles to prove it).

A check reads only who acts, the request as it stands and the time; what the form
says (a reason, a target unit, a number of days) is checked by the service after it.
A refusal is the domain error the service raises: its status tells "not yours"
(403, NotAllowed) from "not now" (409, InvalidTransition).
"""
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from community.auth.models import Role, User
from community.core.errors import DomainError, InvalidTransition, NotAllowed
from community.core.extensions import db
from community.tickets.access import NON_HANDLING_ROLES, not_resolved
from community.tickets.models import Ticket
from community.tickets.states import ALLOWED_TRANSITIONS, OPEN, WAITING, WORKING, Kind, State

from . import escalation
from .models import ExtensionRequest, ExtensionState
from .permissions import is_handler, is_supervisor, supervisor_of

Refusal = DomainError | None

# 003 l.50: a department's duty is not pushed down onto the community.
FINAL_TIERS_FOR_DEPARTMENT_DUTY = ("street", "county")
SUMMONING_TIERS = ("street", "county")  # 吹哨报到 is the street's or the county's


def require(refusal: Refusal) -> None:
    if refusal is not None:
        raise refusal


def pending_extension(ticket: Ticket) -> ExtensionRequest | None:
    return db.session.scalar(select(ExtensionRequest).where(
        ExtensionRequest.ticket_id == ticket.id, ExtensionRequest.state == ExtensionState.PENDING))


def escalation_tiers(ticket: Ticket) -> list[str]:
    """The tiers a request can be escalated to (上报): every tier above the one holding it.
    The form offers these and `escalate` accepts only these."""
    return escalation.escalation_tiers(ticket.tier)


def _moves(ticket: Ticket, to_state: State) -> Refusal:
    """The one transition table (tickets.states) allows the step's move from here."""
    return None if to_state in ALLOWED_TRANSITIONS[State(ticket.state)] else InvalidTransition()


def handle(user: User | None, ticket: Ticket) -> Refusal:
    """Every handling step: staff of the unit holding the request (not the 考核办)."""
    return None if user is not None and is_handler(user, ticket) else NotAllowed()


def accept(user: User, ticket: Ticket, now: datetime) -> Refusal:
    """签收 of a request waiting at the unit."""
    if refusal := handle(user, ticket):
        return refusal
    if ticket.state not in WAITING:
        return InvalidTransition(_("该诉求已被签收或已结束，无需再签收。"))
    return _moves(ticket, State.ACCEPTED)


def _while(states, to_state: State | None = None):
    """A step the handler may take in these states (moving the request to `to_state`)."""
    def check(user: User, ticket: Ticket, now: datetime) -> Refusal:
        if refusal := handle(user, ticket):
            return refusal
        if ticket.state not in states:
            return InvalidTransition()
        return _moves(ticket, to_state) if to_state else None
    return check


respond = _while(WAITING | WORKING)
ask_info = _while(WAITING | WORKING)
reassign = _while(WAITING | WORKING)  # 转派 to a colleague of the same unit
reroute = _while({State.RETURNED}, State.SUBMITTED)  # the dispatcher's, after a 退单
merge = _while(OPEN, State.MERGED)


def resolve(user: User, ticket: Ticket, now: datetime) -> Refusal:
    """办结 once accepted; a consult may be answered and resolved on the spot."""
    if refusal := handle(user, ticket):
        return refusal
    on_the_spot = ticket.state in WAITING and ticket.kind == Kind.CONSULT
    if ticket.state not in WORKING and not on_the_spot:
        return InvalidTransition(_("请先签收再办结（咨询类可当场答复办结）。"))
    if ticket.category.department_duty and ticket.tier not in FINAL_TIERS_FOR_DEPARTMENT_DUTY:
        return NotAllowed(_("该类别属于部门职责，不能由社区或网格办结，请上报街道或部门。"))
    return _moves(ticket, State.RESOLVED)


def escalate(user: User | None, ticket: Ticket, now: datetime) -> Refusal:
    """上报 one tier up or to a named higher tier; `user` None is the system (an expired
    clock). Nothing is above the county: it summons departments instead."""
    if user is not None and (refusal := handle(user, ticket)):
        return refusal
    if ticket.state not in WAITING | WORKING:
        return InvalidTransition()
    if not escalation_tiers(ticket):
        return InvalidTransition(_("已在区县一级，不能再上报；可以吹哨召集部门。"))
    return _moves(ticket, State.ESCALATED)


def return_ticket(user: User, ticket: Ticket, now: datetime) -> Refusal:
    """退单: not this unit's business, soon after arrival, back to a dispatcher above."""
    if refusal := handle(user, ticket):
        return refusal
    if ticket.state not in WAITING:
        return InvalidTransition(_("已签收的诉求不能退单，可以上报。"))
    hours = current_app.config["COMMUNITY_RETURN_WINDOW_HOURS"]
    if now > ticket.arrived_at + timedelta(hours=hours):
        return NotAllowed(_("已超过 %(h)d 小时的退单期限，请签收后办理或上报。", h=hours))
    dispatcher = supervisor_of(ticket.handling_unit)
    if dispatcher is None or dispatcher.id == ticket.handling_unit_id:
        return InvalidTransition(_("区县一级不能退单。"))
    return _moves(ticket, State.RETURNED)  # a dispatcher re-routes a 退单, never returns it


def extension(user: User, ticket: Ticket, now: datetime) -> Refusal:
    """延期: asked once accepted, at most COMMUNITY_MAX_EXTENSIONS times, one at a time."""
    if refusal := handle(user, ticket):
        return refusal
    if ticket.state not in WORKING or ticket.resolve_due_at is None:
        return InvalidTransition(_("签收后才能申请延期。"))
    if ticket.extension_count >= current_app.config["COMMUNITY_MAX_EXTENSIONS"]:
        return NotAllowed(_("该诉求已延期过，不能再次延期。"))
    if pending_extension(ticket) is not None:
        return InvalidTransition(_("已有延期申请在等待审批。"))
    return None


def decide_extension(user: User, ticket: Ticket, now: datetime) -> Refusal:
    """The tier above the handling unit (permissions.supervisor_of) decides."""
    if not is_supervisor(user, ticket):
        return NotAllowed()
    if pending_extension(ticket) is None:
        return InvalidTransition(_("没有待审批的延期申请。"))
    return None


def summon(user: User, ticket: Ticket, now: datetime) -> Refusal:
    if refusal := handle(user, ticket):
        return refusal
    if ticket.tier not in SUMMONING_TIERS:
        return NotAllowed(_("吹哨报到由街道或区县发起，请先上报。"))
    if ticket.state not in OPEN:
        return InvalidTransition()
    return None


def reopen(user: User, ticket: Ticket, now: datetime) -> Refusal:
    """重办 ordered by staff: the street or county the request lies in (or the admin), at
    any time after 办结. The resident's own 重办 is tickets.access's rule."""
    if refusal := not_resolved(ticket):
        return refusal
    if user.role != Role.ADMIN and (user.unit_id not in (ticket.street_id, ticket.county_id)
                                    or user.role in NON_HANDLING_ROLES or not user.is_staff):
        return NotAllowed(_("重办由街道或区县决定。"))
    return _moves(ticket, State.REOPENED)


def fix_grid(user: User, ticket: Ticket, now: datetime | None = None) -> Refusal:
    """网格待核实: the grid worker holding the ground or the community office confirms or
    corrects the grid of an open request whose address named none."""
    ours = user.unit_id in (ticket.grid_id, ticket.community_id)
    refused = InvalidTransition if ours else NotAllowed
    if not ticket.grid_unsure:
        return refused(_("这件诉求的网格已经确定。"))
    if ticket.state not in OPEN:
        return refused(_("诉求已结束，网格不再调整。"))
    if not (user.is_staff and user.role not in NON_HANDLING_ROLES and ours):
        return refused(_("网格由所在网格的网格员或社区核实。"))
    return None


# Every staff action on a request and its check, by the name the page and the API's
# `actions` list use (workqueue.steps declares how each is posted).
RULES = {
    "accept": accept, "respond": respond, "ask_info": ask_info, "resolve": resolve,
    "escalate": escalate, "return": return_ticket, "reroute": reroute, "reassign": reassign,
    "merge": merge, "extension": extension, "decide_extension": decide_extension,
    "summon": summon, "reopen": reopen, "confirm_grid": fix_grid, "correct_grid": fix_grid,
}
