"""网格待核实: a request whose address named no grid says so, and the people who know
the ground settle it — the grid worker holding it or the community office confirms
the grid, or moves it to the right grid of the same community.

One rule (workqueue.rules.fix_grid) for the services below and for the buttons the page shows.
"""
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from community.areas.models import Unit, UnitKind
from community.auth.models import User
from community.core.errors import InvalidTransition, ValidationFailed
from community.core.extensions import db
from community.tickets.models import Ticket
from community.tickets.services import record_event
from community.tickets.states import State

from . import rules
from .routing import _move_to, _relocate


def grids_to_choose(ticket: Ticket) -> list[Unit]:
    return list(db.session.scalars(select(Unit).where(
        Unit.kind == UnitKind.GRID, Unit.parent_id == ticket.community_id, Unit.active.is_(True))
        .order_by(Unit.code)))


def confirm_grid(ticket: Ticket, actor: User, now: datetime):
    """The request does lie in the grid holding it."""
    rules.require(rules.fix_grid(actor, ticket, now))
    ticket.grid_unsure = False
    return record_event(ticket, "grid_confirmed", actor, now, public=False, touch=False,
                        note=_("已核实所在网格：%(grid)s", grid=ticket.grid.name))


def correct_grid(ticket: Ticket, actor: User, now: datetime, grid_id: int | None):
    """The request lies in another grid of its community: it moves there, and if the
    stand-in grid was to handle it, the right grid's worker handles it instead (before
    anyone 签收; after, the grid worker 退单 it as for any misrouted request)."""
    rules.require(rules.fix_grid(actor, ticket, now))
    grid = db.session.get(Unit, grid_id) if grid_id else None
    if grid is None or grid.kind != UnitKind.GRID or not grid.active or grid.parent_id != ticket.community_id:
        raise ValidationFailed(_("请选择本社区的一个网格。"), field="grid")
    if grid.id == ticket.grid_id:
        return confirm_grid(ticket, actor, now)
    handled_by_stand_in = ticket.handling_unit_id == ticket.grid_id
    if handled_by_stand_in and ticket.state != State.SUBMITTED:
        raise InvalidTransition(_("已签收的诉求请由网格员退单，再由社区重新派单。"))
    old = ticket.grid.name
    _relocate(ticket, grid)
    ticket.grid_unsure = False
    if handled_by_stand_in:
        _move_to(ticket, grid, now, "regrid")
    event = record_event(ticket, "grid_corrected", actor, now, public=False,
                         note=_("所在网格由 %(old)s 改为 %(new)s", old=old, new=grid.name))
    event.unit_id = grid.id
    return event
