"""Which actions this user may take on this request now (what the page offers).

The services check the same rules again when the action is posted.
"""
from datetime import datetime, timedelta

from flask import current_app

from community.auth.models import Role, User
from community.tickets.access import NON_HANDLING_ROLES
from community.tickets.models import Ticket
from community.tickets.states import OPEN, WAITING, WORKING, Kind, State

from .extensions import pending_extension
from .gridfix import may_fix_grid
from .permissions import is_handler, is_supervisor, supervisor_of


def available_actions(user: User, ticket: Ticket, now: datetime) -> set[str]:
    actions = set()
    state = State(ticket.state)
    if is_handler(user, ticket):
        actions |= _handler_actions(ticket, state, now)
    if is_supervisor(user, ticket) and pending_extension(ticket) is not None:
        actions.add("decide_extension")
    if state in (State.RESOLVED, State.CLOSED) and (
            user.role == Role.ADMIN or (user.is_staff and user.role not in NON_HANDLING_ROLES
                                        and user.unit_id in (ticket.street_id, ticket.county_id))):
        actions.add("reopen")
    if may_fix_grid(user, ticket):
        actions |= {"confirm_grid", "correct_grid"}
    return actions


def _handler_actions(ticket: Ticket, state: State, now: datetime) -> set[str]:
    actions = {"reveal"}
    if state in WAITING:
        actions |= {"accept", "escalate"}
        if state == State.RETURNED:
            actions.add("reroute")
        window = timedelta(hours=current_app.config["COMMUNITY_RETURN_WINDOW_HOURS"])
        dispatcher = supervisor_of(ticket.handling_unit)
        if now <= ticket.arrived_at + window and dispatcher and dispatcher.id != ticket.handling_unit_id:
            actions.add("return")
        if ticket.kind == Kind.CONSULT:
            actions.add("resolve")
    if state in WORKING:
        actions |= {"resolve", "escalate"}
        if (ticket.extension_count < current_app.config["COMMUNITY_MAX_EXTENSIONS"]
                and pending_extension(ticket) is None):
            actions.add("extension")
    if state in WAITING | WORKING:
        actions |= {"respond", "ask_info", "reassign"}
    if state in OPEN:
        actions.add("merge")
        if ticket.tier in ("street", "county"):
            actions.add("summon")
    if ticket.tier == "county" and "escalate" in actions:
        actions.discard("escalate")
    return actions
