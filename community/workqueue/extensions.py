"""延期: the handler asks, the supervising tier decides, the resident sees it."""
import functools
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import aliased

from community.core.text import clean_text
from community.tickets.notes import Note
from community.areas.models import Unit, UnitKind
from community.auth.models import User
from community.core.errors import ValidationFailed
from community.core.extensions import db
from community.clock.deadlines import extend_resolve_clock
from community.tickets.models import Ticket
from community.tickets.services import record_event

from . import rules
from .models import ExtensionRequest, ExtensionState
from .permissions import require_handler, require_supervisor
from .rules import pending_extension


def request_extension(ticket: Ticket, actor: User, now: datetime, days: int, reason: str):
    require_handler(actor, ticket)
    rules.require(rules.extension(actor, ticket, now))
    limit = current_app.config["COMMUNITY_MAX_EXTENSION_DAYS"]
    if not isinstance(days, int) or not 1 <= days <= limit:
        raise ValidationFailed(_("延期天数应为 1 到 %(n)d 个工作日。", n=limit), field="days")
    request = ExtensionRequest(ticket=ticket, requested_by=actor, requested_at=now, days=days,
                               reason=clean_text(reason, required=True, field="reason"))
    db.session.add(request)
    record_event(ticket, "extension_requested", actor, now, public=False,
                 note=Note("extension_requested", d=days, r=request.reason))
    return request


def decide_extension(ticket: Ticket, actor: User, now: datetime, approve: bool, note: str = ""):
    """The tier above decides; an approval moves the deadline and tells the resident why."""
    require_supervisor(actor, ticket)
    rules.require(rules.decide_extension(actor, ticket, now))
    request = pending_extension(ticket)
    note = clean_text(note, required=not approve)
    request.decided_by = actor
    request.decided_at = now
    request.decision_note = note
    if not approve:
        request.state = ExtensionState.REJECTED
        return record_event(ticket, "extension_rejected", actor, now, public=False, note=note)
    request.state = ExtensionState.APPROVED
    request.old_due_at = ticket.resolve_due_at
    extend_resolve_clock(ticket, request.days, now)
    request.new_due_at = ticket.resolve_due_at
    ticket.extension_count += 1
    return record_event(ticket, "extension_approved", actor, now,
                        note=Note("extension_approved", d=request.days, r=request.reason))


def pending_for_supervisor(unit_id: int) -> list[ExtensionRequest]:
    """Extension requests waiting for this unit's decision (see permissions.supervisor_of)."""
    return list(db.session.scalars(_pending_for_supervisor(), {"unit": unit_id}))


@functools.cache
def _pending_for_supervisor():
    """Built once, the unit as a parameter: every queue page asks (building the statement
    with its alias cost more than running it)."""
    handler, unit = aliased(Unit), bindparam("unit")
    return (select(ExtensionRequest).join(Ticket, ExtensionRequest.ticket_id == Ticket.id)
            .join(handler, Ticket.handling_unit_id == handler.id)
            .where(ExtensionRequest.state == ExtensionState.PENDING,
                   or_(handler.parent_id == unit, and_(handler.id == unit, handler.kind == UnitKind.COUNTY)))
            .order_by(ExtensionRequest.requested_at))
