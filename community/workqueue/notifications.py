"""Telling the resident about each public step: an in-app list and an outbound text.

Rows are written in the same transaction as the step, with an outbox row that
promises their delivery (community.outbox); a worker sends them, so a failed
send or a Redis outage only delays it.
"""
import logging
from datetime import datetime

from flask_babel import force_locale
from sqlalchemy import select

from community.core.bulkdb import any_of, insert_rows
from community.core.extensions import db
from community.web.i18n import lazy_gettext as _l
from community.web.labels import ACTION
from community.sms import services as sms
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
TEXTED_STEP = {"return": _l("交回上级重新派单")}  # the same in a text's ≤12-character variable
NOTE_NOT_SENT = {"return"}
MAX_SEND_ATTEMPTS = 8


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
        note = "" if event.action in NOTE_NOT_SENT else event_note(event)  # a system note in their language
    db.session.add(Notification(**sms.notice_row(
        phone=ticket.contact_phone or "", code="TICKET_STEP", now=event.at, locale=locale,
        params={"code": ticket.tracking_code, "step": _step(event.action, "zh", texted=True)},
        shown={"step": _step(event.action, locale)}, note=note),
        user_id=resident.id if resident else None, ticket=ticket, event=event))


def _notify_residents(events):
    """_notify_resident for many events (plain rows, see core.signals), one INSERT."""
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
    rows = []
    steps = {}  # (action, locale) -> the step's name: force_locale once per pair, not per row
    for event in wanted:
        ticket = event.ticket
        locale = locales.get(ticket.resident_id) or "zh"
        for lang, texted in (("zh", True), (locale, False)):
            if (event.action, lang, texted) not in steps:
                steps[event.action, lang, texted] = _step(event.action, lang, texted)
        rows.append(sms.notice_row(
            phone=ticket.contact_phone or "", code="TICKET_STEP", now=event.at, locale=locale,
            params={"code": ticket.tracking_code, "step": steps[event.action, "zh", True]},
            shown={"step": steps[event.action, locale, False]},
            note="" if event.action in NOTE_NOT_SENT else event.note,
            user_id=ticket.resident_id, ticket_id=ticket.id, event_id=event.id, event_at=event.at,
            send_attempts=0))
    insert_rows(Notification.__table__, rows)
    promise_delivery(db.session, rows[0]["created_at"])


def _step(action: str, locale: str, texted: bool = False) -> str:
    """The step's name for the resident: in the app, in their words (RESIDENT_STEP);
    in a text message, the short name the template's ≤12-character variable takes."""
    with force_locale(locale):
        if not texted and action in RESIDENT_STEP:
            return str(RESIDENT_STEP[action])
        return str(TEXTED_STEP.get(action) or ACTION[action])


def tell_appeal_outcome(ticket, at: datetime, upheld: bool) -> None:
    """How the appeal against the resident's rating ended (not a step on the timeline):
    in their list and texted to the request's contact phone."""
    resident = ticket.resident
    sms.queue_notice(phone=ticket.contact_phone or "", code="APPEAL_UPHELD" if upheld else "APPEAL_REJECTED",
                     params={"code": ticket.tracking_code}, now=at,
                     locale=(resident.locale if resident else None) or "zh",
                     user_id=resident.id if resident else None, ticket=ticket)


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


def _tell_admins_budget_spent(budget: int, now: datetime) -> None:
    """Receives signals.sms_budget_spent: every active admin gets an in-app message."""
    from flask_babel import gettext as _

    from community.auth.models import User

    admins = list(db.session.scalars(select(User).where(User.role == "admin", User.active.is_(True))))

    def text():
        return _("今天的短信预算（%(n)d 条）已用完：通知类短信顺延到明天，验证码照常发送。", n=budget)

    with force_locale("zh"):
        tell_staff(admins, None, now, text)


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
                                        Notification.status == sms.PENDING,
                                        Notification.send_attempts < MAX_SEND_ATTEMPTS)
             .order_by(Notification.created_at).limit(limit))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    sent = 0
    for note in db.session.scalars(query):
        note.send_attempts += 1
        outcome = sms.deliver(note, now)
        if outcome == sms.RETRY:
            # Each message that must wait gets its own outbox row: RQ's backoff and the
            # outbox's attempt limit apply to it, and /admin/jobs shows it when it gives up.
            from community.outbox import emit

            emit(RETRY_KIND, f"{RETRY_KIND}:{note.id}:{note.send_attempts}", {"id": note.id}, now=now)
        elif note.sent_at is not None:
            sent += 1
    return sent


class StillWaiting(Exception):
    """The gateway (or a cap) said later: the outbox row fails, and RQ retries it."""


def _retry(payload: dict) -> None:
    from community.core.timeutil import utcnow

    note = db.session.get(Notification, payload["id"])
    if note is None or note.sent_at is not None or note.status != sms.RETRYING:
        return
    note.send_attempts += 1
    if sms.deliver(note, utcnow()) == sms.RETRY:
        raise StillWaiting(f"notification {note.id}: {note.status_detail}")


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
    from community.core.timeutil import utcnow

    deliver_pending(utcnow())


DELIVER_KIND = "notifications.deliver"
RETRY_KIND = "notifications.retry"


def install():
    from community.outbox import register_handler

    sms.keep_texts_in(Notification)  # texts about a request are rows of our table
    register_handler(DELIVER_KIND, _deliver)
    register_handler(RETRY_KIND, _retry)
