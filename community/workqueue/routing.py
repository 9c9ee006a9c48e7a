"""Moving a request between units: 上报 (escalate), 退单 (return), re-route, merge."""
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import or_, select

from community.core.text import clean_text
from community.tickets.notes import Note
from community.areas.models import Unit, UnitKind
from community.core import signals
from community.areas.services import is_within, unit_id_at
from community.auth.models import User
from community.core.errors import NotAllowed, ValidationFailed
from community.core.extensions import db
from community.tally.facts import departure
from community.tally.models import Arrival
from community.clock.deadlines import start_accept_clock
from community.tickets.models import Ticket
from community.tickets.services import normalize_tracking_code, record_event, transition
from community.tickets.states import OPEN, State

from . import escalation, rules
from .actions import raise_level
from .permissions import require_handler, supervisor_of


def _move_to(ticket: Ticket, unit: Unit, now: datetime, action: str, handles: bool = True) -> None:
    """Arrival at a new unit: it must 签收 again, its acceptance clock starts. The stay
    it leaves is kept with its own acceptance clock (tally.facts.departure).

    `handles` False: the unit only dispatches (a 退单 goes back to re-route it), so the
    request's level does not rise to its tier unless it takes the request on itself."""
    db.session.add(Arrival(**departure(ticket, now, action)))
    tier = escalation.tier_of(unit.kind)
    ticket.handling_unit_id = unit.id
    ticket.handling_unit = unit
    signals.ticket_moved.send(ticket)  # its ratings are listed by the handling unit too
    ticket.tier = tier
    if handles:
        raise_level(ticket)
    ticket.arrived_at = now
    ticket.accepted_at = None
    ticket.assignee = None
    start_accept_clock(ticket, now)


escalation_tiers = rules.escalation_tiers


def escalate(ticket: Ticket, actor: User | None, now: datetime, reason: str,
             to_tier: str | None = None, action: str = "escalate"):
    """One tier up, or straight to a named higher tier; stops at the county.

    `actor` None is the system (an expired clock, see community.sla).
    """
    if actor is not None:
        require_handler(actor, ticket)
    reason = clean_text(reason, required=True, field="reason")
    rules.require(rules.escalate(actor, ticket, now))
    allowed = escalation_tiers(ticket)
    if to_tier and to_tier not in allowed:
        raise ValidationFailed(_("只能上报到更高一级。"), field="to_tier")
    target = UnitKind(to_tier or allowed[0])
    unit = db.session.get(Unit, unit_id_at(ticket.grid, target))
    event = transition(ticket, State.ESCALATED, actor, now, action=action,
                       note=Note("escalated", tier=str(target), reason=reason))
    _move_to(ticket, unit, now, action)
    event.unit_id = unit.id
    return event


def return_ticket(ticket: Ticket, actor: User, now: datetime, reason: str):
    """退单: not this unit's business; back to the dispatcher above, soon after arrival."""
    require_handler(actor, ticket)
    reason = clean_text(reason, required=True, field="reason")
    rules.require(rules.return_ticket(actor, ticket, now))
    dispatcher = supervisor_of(ticket.handling_unit)
    event = transition(ticket, State.RETURNED, actor, now, action="return", note=reason)
    _move_to(ticket, dispatcher, now, "return", handles=False)
    event.unit_id = dispatcher.id
    return event


def send_to_dispatcher(ticket: Ticket, now: datetime, note: str, action: str):
    """The system hands a new request to the dispatcher above its unit, as a 退单 would,
    without charging that unit with a return (an upstream's order whose category could
    not be mapped, community.exchange). None at the county, which has no one above."""
    dispatcher = supervisor_of(ticket.handling_unit)
    if dispatcher is None or dispatcher.id == ticket.handling_unit_id:
        return None
    event = transition(ticket, State.RETURNED, None, now, action=action, note=note, public=False)
    _move_to(ticket, dispatcher, now, "reroute", handles=False)
    event.unit_id = dispatcher.id
    return event


def reroute(ticket: Ticket, actor: User, now: datetime, unit_id: int, note: str = ""):
    """The dispatcher sends a returned request to the right unit below it."""
    require_handler(actor, ticket)
    rules.require(rules.reroute(actor, ticket, now))
    unit = db.session.get(Unit, unit_id) if unit_id else None
    dispatcher = ticket.handling_unit
    if (unit is None or not unit.active or unit.id == dispatcher.id
            or not (is_within(unit, dispatcher) or _is_department_of(unit, dispatcher))):
        raise ValidationFailed(_("只能派给本单位下属的单位。"), field="unit")
    if unit.kind == UnitKind.GRID:
        _relocate(ticket, unit)
    event = transition(ticket, State.SUBMITTED, actor, now, action="reroute",
                       note=clean_text(note) or unit.name)
    _move_to(ticket, unit, now, "reroute")
    event.unit_id = unit.id
    return event


def _is_department_of(unit: Unit, dispatcher: Unit) -> bool:
    return unit.kind == UnitKind.DEPARTMENT and dispatcher.kind == UnitKind.COUNTY \
        and unit.parent_id == dispatcher.id


def _relocate(ticket: Ticket, grid: Unit) -> None:
    """A request routed to another grid was located wrongly: it now lies there."""
    ticket.grid_id, ticket.grid = grid.id, grid
    ticket.community_id, ticket.street_id, ticket.county_id = (
        grid.community_id, grid.street_id, grid.county_id)
    signals.ticket_relocated.send(ticket)  # its ratings are listed by place too


def reroute_targets(ticket: Ticket) -> list[Unit]:
    dispatcher = ticket.handling_unit
    return list(db.session.scalars(select(Unit).where(
        Unit.active.is_(True), Unit.id != dispatcher.id,
        or_(Unit.county_id == dispatcher.id, Unit.street_id == dispatcher.id,
            Unit.community_id == dispatcher.id, Unit.parent_id == dispatcher.id),
    ).order_by(Unit.code)))


def reroute_groups(ticket: Ticket) -> list[tuple[str, list[Unit]]]:
    """`reroute_targets` grouped under the unit each lies in (grids under their community,
    communities under their street, departments under the county), in code order."""
    groups: dict[int | None, list[Unit]] = {}
    for unit in reroute_targets(ticket):
        groups.setdefault(unit.parent_id, []).append(unit)
    parents = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_([k for k in groups if k])))}
    return [(parents[key].name if key in parents else "", units) for key, units in groups.items()]


def merge(ticket: Ticket, actor: User, now: datetime, into_code: str):
    """A duplicate joins an open request; its resident follows the survivor."""
    require_handler(actor, ticket)
    rules.require(rules.merge(actor, ticket, now))
    target = db.session.scalar(select(Ticket).where(
        Ticket.tracking_code == normalize_tracking_code(into_code)))
    if target is None or target.id == ticket.id or target.state not in OPEN:
        raise ValidationFailed(_("请填写一个仍在办理中的诉求查询码。"), field="into")
    if not (is_within(target.grid, actor.unit) or target.handling_unit_id == actor.unit_id):
        raise NotAllowed(_("只能合并到本单位辖区内的诉求。"))
    event = transition(ticket, State.MERGED, actor, now, action="merge",
                       note=Note("merged_into"))
    ticket.merged_into = target
    ticket.closed_at = now
    record_event(target, "merge", actor, now, public=False,
                 note=Note("merged_duplicate", code=ticket.tracking_code))
    return event
