"""Telling the resident about each public step: an in-app list and an outbound text.

Rows are written in the same transaction as the step, with an outbox row that
promises their delivery (community.outbox); a worker sends them, so a failed
send or a Redis outage only delays it.
"""
import logging
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from community.bulkdb import any_of, insert_rows
from community.extensions import db
from community.i18n import lazy_gettext as _l
from community.labels import ACTION
from community.messaging import send_text
from community.tickets import hooks
from community.tickets.notes import event_note

from .models import Notification

log = logging.getLogger(__name__)

# Public steps the resident hears about (their own submissions and additions excluded).
RESIDENT_ACTIONS = {
    "submit", "accept", "respond", "ask_info", "resolve", "escalate", "auto_escalate",
    "reroute", "merge", "extension_approved", "reopen", "summon", "return",
}
# Steps told in the resident's words instead of the staff's label, and whose note (an
# internal reason between units) is not sent.
RESIDENT_STEP = {"return": _l("承办单位已交回上级，将重新派给合适的单位办理")}
NOTE_NOT_SENT = {"return"}


def _step_and_note(event, note: str) -> tuple[str, str]:
    step = RESIDENT_STEP.get(event.action) or ACTION[event.action]
    return str(step), "" if event.action in NOTE_NOT_SENT else _short(note)
MAX_SEND_ATTEMPTS = 8


@hooks.on("event_recorded")
def _notify_resident(event, **kwargs):
    ticket = event.ticket
    if not event.public or event.action not in RESIDENT_ACTIONS:
        return
    if event.action == "submit" and ticket.filed_by is None:
        return  # the resident filed it themselves and saw the code on screen
    resident = ticket.resident
    if event.actor is not None and resident is not None and event.actor.id == resident.id:
        return
    locale = (resident.locale if resident else None) or "zh"
    with force_locale(locale):
        step, note = _step_and_note(event, event_note(event))  # a system note in their language
        text = _("【社区接诉即办】您的诉求（查询码 %(code)s）：%(step)s。%(note)s",
                 code=ticket.tracking_code, step=step, note=note)
    db.session.add(Notification(user_id=resident.id if resident else None,
                                phone=ticket.contact_phone or "", ticket=ticket, event=event,
                                text=text, created_at=event.at))


@hooks.on_many(_notify_resident)
def _notify_residents(events):
    """_notify_resident for many events (plain rows, see hooks.on_many), one INSERT."""
    wanted = [e for e in events if e.public and e.action in RESIDENT_ACTIONS
              and not (e.action == "submit" and e.ticket.filed_by_id is None)
              and not (e.actor_id is not None and e.actor_id == e.ticket.resident_id)]
    if not wanted:
        return
    from community.auth.models import User

    resident_ids = {e.ticket.resident_id for e in wanted if e.ticket.resident_id is not None}
    locales = dict(db.session.execute(select(User.__table__.c.id, User.__table__.c.locale)
                                      .where(any_of(User.__table__.c.id, resident_ids))).all()) \
        if resident_ids else {}
    templates = {}
    rows = []
    for event in wanted:
        ticket = event.ticket
        locale = locales.get(ticket.resident_id) or "zh"
        key = (locale, event.action)
        if key not in templates:
            with force_locale(locale):
                templates[key] = (_("【社区接诉即办】您的诉求（查询码 %(code)s）：%(step)s。%(note)s"),
                                  _step_and_note(event, "")[0])
        template, step = templates[key]
        note = "" if event.action in NOTE_NOT_SENT else _short(event.note)
        rows.append({"user_id": ticket.resident_id, "phone": ticket.contact_phone or "",
                     "ticket_id": ticket.id, "event_id": event.id, "send_attempts": 0,
                     "text": template % {"code": ticket.tracking_code, "step": step,
                                         "note": note},
                     "created_at": event.at})
    insert_rows(Notification.__table__, rows)
    promise_delivery(db.session, rows[0]["created_at"])


def _short(note: str) -> str:
    note = (note or "").strip()
    return note if len(note) <= 60 else note[:60] + "…"


def tell_resident(ticket, at: datetime, text) -> None:
    """A notice about a request that is not a step on its timeline (an appeal's outcome):
    in the resident's list and texted to the request's contact phone, in their language
    (`text()` is called inside force_locale)."""
    resident = ticket.resident
    with force_locale((resident.locale if resident else None) or "zh"):
        body = text()
    db.session.add(Notification(user_id=resident.id if resident else None,
                                phone=ticket.contact_phone or "", ticket=ticket,
                                text=body, created_at=at))


def tell_staff(users, ticket_id: int | None, at: datetime, text, project_id: int | None = None) -> None:
    """In-app messages for staff (no phone: not texted), each in its reader's
    language: `text()` is called once per language, inside force_locale. About a
    request (ticket_id) or a 民生小实事 project (project_id)."""
    texts = {}
    for user in users:
        locale = user.locale or "zh"
        if locale not in texts:
            with force_locale(locale):
                texts[locale] = text()
        db.session.add(Notification(user_id=user.id, phone="", ticket_id=ticket_id,
                                    project_id=project_id, text=texts[locale], created_at=at))


def for_user(user_id: int, limit: int = 50) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user_id)
                                   .order_by(Notification.created_at.desc(), Notification.id.desc())
                                   .limit(limit)))


def unread_count(user_id: int) -> int:
    from sqlalchemy import func

    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def mark_read(user_id: int, now: datetime) -> None:
    for note in db.session.scalars(select(Notification).where(
            Notification.user_id == user_id, Notification.read_at.is_(None))):
        note.read_at = now


def deliver_pending(now: datetime, limit: int = 200) -> int:
    """Send unsent messages; several workers may run this at once (SKIP LOCKED).
    The caller commits."""
    query = (select(Notification).where(Notification.sent_at.is_(None), Notification.phone != "",
                                        Notification.send_attempts < MAX_SEND_ATTEMPTS)
             .order_by(Notification.created_at).limit(limit))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    sent = 0
    for note in db.session.scalars(query):
        note.send_attempts += 1
        try:
            send_text(note.phone, note.text)
        except Exception:  # the gateway failed: leave it unsent, try again next round
            log.exception("sending notification %s failed", note.id)
            continue
        note.sent_at = now
        sent += 1
    return sent


def _mark_if_new(session, flush_context, instances):
    """New messages in this transaction: promise their delivery through the outbox,
    once per transaction (the job sends every unsent message anyway)."""
    if session.info.get("deliver_promised"):
        return
    fresh = [obj for obj in session.new if isinstance(obj, Notification)]
    if fresh:
        promise_delivery(session, fresh[0].created_at)


def promise_delivery(session, created_at: datetime) -> None:
    """One outbox row per transaction that wrote messages (also for rows written
    with Core, which the flush hook above does not see)."""
    if session.info.get("deliver_promised"):
        return
    from uuid import uuid4

    from community.outbox.models import OutboxRow

    session.add(OutboxRow(kind=DELIVER_KIND, key=f"{DELIVER_KIND}:{uuid4().hex}", payload={},
                          created_at=created_at, attempts=0, last_error=""))
    session.info["deliver_promised"] = True


def _forget_promise(session, *args):
    session.info.pop("deliver_promised", None)


def _deliver(payload: dict) -> None:
    from community.timeutil import utcnow

    deliver_pending(utcnow())


DELIVER_KIND = "notifications.deliver"


def install():
    from community.outbox import register_handler

    register_handler(DELIVER_KIND, _deliver)
    for name, fn in (("before_flush", _mark_if_new), ("after_commit", _forget_promise),
                     ("after_rollback", _forget_promise)):
        if not sa_event.contains(Session, name, fn):
            sa_event.listen(Session, name, fn)
