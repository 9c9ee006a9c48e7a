"""The handler's actions on a request: 签收, reply, ask, resolve, reassign, reopen, close.

Each takes the acting user and `now`, checks who may act and in which state,
and goes through tickets.services.transition() / record_event().
"""
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from community.auth.models import User
from community.core.errors import InvalidTransition, ValidationFailed
from community.core.extensions import db
from community.clock.deadlines import start_resolve_clock
from community.core.text import clean_text
from community.tickets import links
from community.tickets.access import check_resident_step, resident_refusal
from community.tickets.models import Ticket
from community.tickets.notes import Note
from community.tickets.services import attach_photos, record_event, transition
from community.tickets.states import Result, State

from . import rules
from .escalation import level_after
from .permissions import require_handler


def raise_level(ticket: Ticket) -> None:
    """一二三级: the highest tier that handled the request. A unit that only re-routes a
    returned request (退单) does not count; one that takes it on (签收, 办结) does."""
    ticket.level = level_after(ticket.level, ticket.tier)


def _responded(ticket: Ticket, now: datetime) -> None:
    if ticket.first_response_at is None:
        ticket.first_response_at = now


def accept(ticket: Ticket, actor: User, now: datetime):
    """签收: the unit takes the request on; the resolution clock starts."""
    require_handler(actor, ticket)
    rules.require(rules.accept(actor, ticket, now))
    event = transition(ticket, State.ACCEPTED, actor, now, action="accept")
    ticket.accepted_at = now
    ticket.assignee = actor
    raise_level(ticket)
    _responded(ticket, now)
    start_resolve_clock(ticket, now)
    return event


def respond(ticket: Ticket, actor: User, now: datetime, text: str):
    """A public reply to the resident; once accepted, work is then in progress."""
    require_handler(actor, ticket)
    text = clean_text(text, required=True, field="text")
    rules.require(rules.respond(actor, ticket, now))
    if ticket.state in (State.ACCEPTED, State.REOPENED):
        event = transition(ticket, State.IN_PROGRESS, actor, now, action="respond", note=text)
    else:
        event = record_event(ticket, "respond", actor, now, note=text)
    _responded(ticket, now)
    return event


def ask_info(ticket: Ticket, actor: User, now: datetime, question: str):
    require_handler(actor, ticket)
    rules.require(rules.ask_info(actor, ticket, now))
    event = record_event(ticket, "ask_info", actor, now,
                         note=clean_text(question, required=True, field="text"))
    _responded(ticket, now)
    return event


def resolve(ticket: Ticket, actor: User, now: datetime, result: str, note: str = "", photos=()):
    """办结 with a result the officer chose (none is preselected) and always a reply to
    the resident saying what was done; up to COMMUNITY_PHOTO_MAX_COUNT photos of the
    result, cleaned like a filing's (re-encoded, EXIF stripped), shown on the tracking page."""
    require_handler(actor, ticket)
    if result not in Result.__members__.values():
        raise ValidationFailed(_("请选择办理结果。"), field="result")
    if not (note or "").strip():
        raise ValidationFailed(_("请填写给居民的答复：做了什么、结果如何。"), field="note")
    note = clean_text(note, required=True)
    limit = current_app.config["COMMUNITY_PHOTO_MAX_COUNT"]
    if len(photos) > limit:
        raise ValidationFailed(_("最多上传 %(n)d 张照片。", n=limit), field="photos")
    rules.require(rules.resolve(actor, ticket, now))
    event = transition(ticket, State.RESOLVED, actor, now, action="resolve", note=note)
    attach_photos(ticket, event, list(photos), now)
    ticket.result = result
    ticket.result_note = note
    ticket.resolved_at = now
    if ticket.accepted_at is None:
        ticket.accepted_at = now
        ticket.assignee = actor
    raise_level(ticket)
    _responded(ticket, now)
    return event


def reassign(ticket: Ticket, actor: User, now: datetime, assignee_id: int):
    """Hand the request to a colleague in the same unit."""
    require_handler(actor, ticket)
    rules.require(rules.reassign(actor, ticket, now))
    assignee = db.session.get(User, assignee_id) if assignee_id else None
    if assignee is None or not assignee.active or assignee.unit_id != ticket.handling_unit_id:
        raise ValidationFailed(_("只能转派给本单位的工作人员。"), field="assignee")
    ticket.assignee = assignee
    return record_event(ticket, "reassign", actor, now, public=False,
                        note=Note("reassigned", name=assignee.display_name))


def unit_colleagues(ticket: Ticket) -> list[User]:
    return list(db.session.scalars(select(User).where(
        User.unit_id == ticket.handling_unit_id, User.active.is_(True)).order_by(User.username)))


def reopen(ticket: Ticket, actor: User | None, now: datetime, reason: str, link=None):
    """重办: the resident disputes the result within the window (signed in, or with the
    link texted at 办结: tickets.access), or the street orders it."""
    staff = actor is not None and actor.is_authenticated and actor.is_staff
    if not staff or link is not None:  # staff holding a resident's link are refused by the rule
        check_resident_step(ticket, actor, "reopen", link)
    reason = clean_text(reason, required=True, field="reason")
    rules.require(rules.reopen(actor, ticket, now) if staff
                  else resident_refusal(ticket, actor, "reopen", now, link))
    event = transition(ticket, State.REOPENED, actor, now, action="reopen", note=reason)
    ticket.reopen_count += 1
    ticket.result = None
    ticket.resolved_at = None
    ticket.closed_at = None
    start_resolve_clock(ticket, now)
    if link is not None:
        links.use(link, "reopen", now)
    return event


def close(ticket: Ticket, now: datetime, actor: User | None = None):
    """Closed when the rating and reopen windows are over (run by the SLA sweep)."""
    if ticket.state != State.RESOLVED:
        raise InvalidTransition()
    event = transition(ticket, State.CLOSED, actor, now, action="close")
    ticket.closed_at = now
    return event
