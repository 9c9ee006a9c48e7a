"""Sending, receipts and reach: the verbs of text messaging.

Two paths: a code the person is waiting for (send_code_text, at once, in the
request) and a notice about a request (queue_notice writes a Notification row in the
caller's transaction; the outbox delivers it, see workqueue.notifications).

A notice is a row of the in-app messages' table (workqueue.models.Notification: it
points at requests and their steps, so it sits above them and above sms); the
workflow hands that class in at start (keep_texts_in, from
workqueue.notifications.install, as clock/ is handed its calendar).
"""
import logging
import re
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from community.core.errors import ValidationFailed
from community.core.extensions import db
from community.core.messaging import get_sender

from . import limits, templates
from .gateways import CONFIG, REFUSE, RETRY, Outgoing, SendError

log = logging.getLogger("community.messaging")

# Notification.status: "" for in-app only (no phone)
PENDING, RETRYING, SENT, DELIVERED = "pending", "retrying", "sent", "delivered"
UNDELIVERED, REFUSED, OPTED_OUT = "undelivered", "refused", "opted_out"
NOT_REACHED = (UNDELIVERED, REFUSED, OPTED_OUT)


PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


def normalize_phone(phone: str) -> str:
    """A mainland mobile number as typed (spaces, dashes, +86 allowed), as stored; the
    one rule for sign-up, sign-in, surveys and the opt-out commands."""
    phone = re.sub(r"[\s-]", "", phone or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if not PHONE_RE.match(phone):
        raise ValidationFailed(_("请输入11位手机号码。"), field="phone")
    return phone


_texts_table = None


def keep_texts_in(model) -> None:
    """The mapped class whose rows are the notices (phone, template, params, status,
    gateway_ref, ticket_id, created_at): workqueue.models.Notification."""
    global _texts_table
    _texts_table = model


def _notification():
    if _texts_table is None:
        raise RuntimeError("sms: no table for notices (community.wiring.install)")
    return _texts_table


def _site() -> str:
    """The site's address for a link template (filed with it); the request's when unset."""
    from flask import has_request_context, request

    return current_app.config.get("COMMUNITY_PUBLIC_URL") or (request.url_root if has_request_context() else "")


def send_code_text(phone: str, code: str, params: dict, now: datetime) -> None:
    """Text a code the person asked for, now. Raises limits.Capped past the phone's
    caps and SendError when the gateway does not take it. Opt-outs do not apply:
    the person asked for it. Counts toward the budget."""
    template = templates.get(code)
    assert template.kind == "code", f"{code} is a notice: queue it with queue_notice"
    params = templates.check(code, params)
    limits.check_phone(phone, now)
    text = templates.render(code, params, "zh", _site())
    try:
        get_sender().send(Outgoing(phone=phone, template=code, params=params, text=text))
    except SendError as exc:
        (log.error if exc.kind == CONFIG else log.warning)("sms %s to %s not sent: %s", code, phone, exc)
        raise
    limits.count_phone(phone, now)
    limits.spend(now)


def queue_notice(*, phone: str, code: str, params: dict, now: datetime, locale: str = "zh",
                 shown: dict | None = None, note: str = "", **fields):
    """A notice as a Notification row (texted by the outbox when there is a phone),
    in the caller's transaction; returns the row. `fields`: user_id, ticket, event…"""
    row = _notification()(**notice_row(phone=phone, code=code, params=params, now=now, locale=locale,
                                         shown=shown, note=note), **fields)
    db.session.add(row)
    return row


def notice_row(*, phone: str, code: str, params: dict, now: datetime, locale: str = "zh",
               shown: dict | None = None, note: str = "", **fields) -> dict:
    """A notice's columns as a plain dict (bulk inserts write it as is). `params` go to
    the gateway (checked against its limits); the in-app copy is rendered in the
    reader's `locale`, with `shown` replacing parameters for that copy only (a step's
    name in English) and the staff's `note` after it: the app may show free words,
    a text message never carries them."""
    params = templates.check(code, params)
    text = templates.render(code, {**params, **(shown or {})}, locale, _site())
    note = (note or "").strip()
    if note:
        text += "\n" + (note if len(note) <= 60 else note[:60] + "…")
    return {"phone": phone or "", "template": code, "params": params,
            "status": PENDING if phone else "", "text": text, "created_at": now, **fields}


def deliver(note, now: datetime) -> str:
    """Text one queued notice; returns what became of it: SENT/DELIVERED, a final
    REFUSED/OPTED_OUT, or RETRY (left pending: the outbox runs it again later).
    CONFIG errors are retried like RETRY and logged as errors."""
    if not note.template:  # a row written before templates (0021): it cannot go to a gateway
        _mark(note, REFUSED, now, "no template")
        return REFUSED
    template = templates.get(note.template)
    if template.kind == "notice" and limits.opted_out(note.phone):
        _mark(note, OPTED_OUT, now, "退订")
        return OPTED_OUT
    try:
        limits.check_phone(note.phone, now)
    except limits.Capped as exc:
        return _later(note, now, f"cap {exc.what}")
    if limits.over_budget(now):
        return _later(note, now, "daily budget spent")
    params = dict(note.params or {})
    message = Outgoing(phone=note.phone, template=note.template, params=params, ref=f"n{note.id}",
                       text=templates.render(note.template, params, "zh", _site()))
    try:
        sent = get_sender().send(message)
    except SendError as exc:
        if exc.kind == REFUSE:
            log.warning("sms %s for notification %s refused: %s", note.template, note.id, exc)
            _mark(note, REFUSED, now, f"{exc.code} {exc.message}")
            return REFUSED
        (log.error if exc.kind == CONFIG else log.warning)(
            "sms %s for notification %s not sent, will retry: %s", note.template, note.id, exc)
        return _later(note, now, f"{exc.kind}: {exc.code} {exc.message}")
    limits.count_phone(note.phone, now)
    limits.spend(now)
    note.sent_at = now
    note.gateway_ref = sent.gateway_ref or ""
    _mark(note, DELIVERED if sent.delivered else SENT, now, "")
    return note.status


def _later(note, now, why: str) -> str:
    _mark(note, RETRYING, now, why)
    return RETRY


def _mark(note, status: str, now: datetime, detail: str) -> None:
    note.status = status
    note.status_at = now
    note.status_detail = (detail or "")[:200]


def apply_receipt(gateway_ref: str, delivered: bool, at: datetime, detail: str = "") -> bool:
    """A gateway's delivery receipt for one message; False when no message has that id.
    A receipt never turns a delivered message back (gateways may resend receipts)."""
    Notification = _notification()
    if not gateway_ref:
        return False
    note = db.session.scalar(select(Notification).where(Notification.gateway_ref == gateway_ref))
    if note is None:
        return False
    if note.status != DELIVERED:
        _mark(note, DELIVERED if delivered else UNDELIVERED, at, detail)
    return True


def opt_out(phone: str, now: datetime, source: str = "admin") -> None:
    from .models import SmsOptOut

    if db.session.get(SmsOptOut, phone) is None:
        db.session.add(SmsOptOut(phone=phone, at=now, source=source))


def opt_in(phone: str) -> None:
    from .models import SmsOptOut

    row = db.session.get(SmsOptOut, phone)
    if row is not None:
        db.session.delete(row)
        db.session.flush()


def reach(ticket, now: datetime) -> dict:
    """Whether the request's resident was reached by text, for the staff page:
    {"state": reached | waiting | not_reached | no_phone, "last": the latest text,
    "call": True when a phone call (回访) should replace the texts}.

    Not reached: texts were sent to the contact phone and none arrived — each was
    refused, undelivered, opted out, or still retrying after COMMUNITY_SMS_UNREACHED_HOURS."""
    Notification = _notification()
    if not ticket.contact_phone:
        return {"state": "no_phone", "last": None, "call": False}
    texts = list(db.session.scalars(select(Notification).where(
        Notification.ticket_id == ticket.id, Notification.phone != "")
        .order_by(Notification.created_at.desc(), Notification.id.desc())))
    if not texts:
        return {"state": "waiting", "last": None, "call": False}
    if any(t.status == DELIVERED for t in texts):
        return {"state": "reached", "last": texts[0], "call": False}
    give_up = timedelta(hours=current_app.config.get("COMMUNITY_SMS_UNREACHED_HOURS", 24))
    failed = [t for t in texts if t.status in NOT_REACHED
              or (t.status in (RETRYING, PENDING) and t.created_at < now - give_up)]
    if len(failed) == len(texts):
        return {"state": "not_reached", "last": texts[0], "call": True}
    return {"state": "waiting", "last": texts[0], "call": False}
