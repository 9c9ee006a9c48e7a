"""Requests, events and units as the API returns them (dumped by schemas.py)."""
from datetime import datetime

from flask import current_app
from flask_babel import get_locale
from itsdangerous import BadSignature, URLSafeSerializer
from flask_babel import lazy_gettext as _l

from community.auth.models import mask_phone
from community.core.errors import DomainError
from community.web.labels import ACTION, STATE
from community.tickets.models import Ticket, TicketEvent


class BadCursor(DomainError):
    status = 400
    code = "bad_cursor"

    def default_message(self):
        return _l("分页游标无效，请使用接口返回的 next_cursor。")


def unit_ref(unit):
    if unit is None:
        return None
    return {"code": unit.code, "name": unit.name, "kind": unit.kind}


def _locale() -> str:
    return str(get_locale() or "zh")


def ticket_dict(ticket: Ticket, viewer, now: datetime) -> dict:
    return {
        "tracking_code": ticket.tracking_code, "kind": ticket.kind,
        "category": ticket.category.code, "category_name": ticket.category.label(_locale()),
        "text": ticket.text, "text_public": ticket.text_public, "urgency": ticket.urgency,
        "state": ticket.state, "state_label": str(STATE.get(ticket.state, ticket.state)),
        "tier": ticket.tier, "level": ticket.level,
        "handling_unit": unit_ref(ticket.handling_unit), "grid": unit_ref(ticket.grid),
        "community": unit_ref(ticket.community), "street": unit_ref(ticket.street),
        "address": ticket.address, "lat": ticket.latitude, "long": ticket.longitude,
        "channel": ticket.channel, "contact_name": ticket.contact_name,
        "contact_phone": mask_phone(ticket.contact_phone),
        "assignee": (ticket.assignee.username if ticket.assignee and viewer is not None
                     and viewer.is_staff else None),
        "submitted_at": ticket.submitted_at, "arrived_at": ticket.arrived_at,
        "accepted_at": ticket.accepted_at, "first_response_at": ticket.first_response_at,
        "resolved_at": ticket.resolved_at, "closed_at": ticket.closed_at,
        "updated_at": ticket.updated_at, "response_due_at": ticket.response_due_at,
        "accept_due_at": ticket.accept_due_at, "resolve_due_at": ticket.resolve_due_at,
        "resolve_due_provisional": bool(ticket.resolve_due_provisional),
        "next_due_at": ticket.next_due_at,
        "overdue": ticket.is_overdue(now),
        "result": ticket.result, "result_note": ticket.result_note or "",
        "merged_into": ticket.merged_into.tracking_code if ticket.merged_into else None,
        "extension_count": ticket.extension_count, "reopen_count": ticket.reopen_count,
    }


def event_dict(event: TicketEvent, viewer) -> dict:
    staff = viewer is not None and viewer.is_staff
    return {
        "at": event.at, "action": event.action,
        "action_label": str(ACTION.get(event.action, event.action)),
        "from_state": event.from_state, "to_state": event.to_state,
        "note": event.note or "", "public": event.public, "unit": unit_ref(event.unit),
        "actor": event.actor.display_name if staff and event.actor is not None else None,
    }


def events_for(ticket: Ticket, viewer) -> list[dict]:
    """Staff see every event; the resident sees the public timeline."""
    staff = viewer is not None and viewer.is_staff
    return [event_dict(e, viewer) for e in ticket.events if staff or e.public]


def area_dict(unit) -> dict:
    centre = None
    if unit.centre_lat is not None and unit.centre_long is not None:
        centre = {"lat": unit.centre_lat, "long": unit.centre_long}
    return {"code": unit.code, "name": unit.name, "kind": unit.kind,
            "parent": unit.parent.code if unit.parent is not None else None,
            "has_boundary": unit.boundary is not None, "centre": centre}


def area_row(row) -> dict:
    """area_dict of a row of the columns the list reads (code … centre_long)."""
    centre = None
    if row.centre_lat is not None and row.centre_long is not None:
        centre = {"lat": row.centre_lat, "long": row.centre_long}
    return {"code": row.code, "name": row.name, "kind": row.kind, "parent": row.parent,
            "has_boundary": bool(row.has_boundary), "centre": centre}


def token_dict(token, secret: str | None = None) -> dict:
    data = {"id": token.id, "name": token.name, "prefix": token.prefix,
            "user": token.user.username or mask_phone(token.user.phone), "can_write": token.can_write,
            "created_at": token.created_at, "expires_at": token.expires_at,
            "last_used_at": token.last_used_at, "revoked_at": token.revoked_at}
    if secret is not None:
        data["secret"] = secret
    return data


# -- cursors: the position after the last row of a page -------------------------

# Signed with SECRET_KEY: a client cannot forge a position (docs/api.md promises
# 400 bad_cursor for anything the server did not hand out).

def _cursors() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="api-cursor")


def encode_cursor(ticket: Ticket) -> str:
    return _cursors().dumps([ticket.submitted_at.isoformat(), ticket.id])


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        stamp, number = _cursors().loads(cursor)
        at = datetime.fromisoformat(stamp)
    except (BadSignature, ValueError, TypeError):
        raise BadCursor() from None
    if at.tzinfo is None or not isinstance(number, int) or not 0 < number < 2**31:
        raise BadCursor()
    return at, number
