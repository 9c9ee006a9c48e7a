"""Webhooks for API and Open311 clients (docs/api.md, docs/open311.md): an admin
subscribes a client to the events of a unit, or of the client's own requests; each
matching event is delivered signed through the outbox (community.exchange.delivery)."""
import secrets
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from redis.exceptions import RedisError
from sqlalchemy import select

from community.core import versions
from community.core.errors import NotFound, ValidationFailed
from community.core.extensions import db
from community.tickets.states import Channel

from .delivery import queue_delivery
from .models import WebhookSubscription

# Our step → the event a subscriber hears (docs/api.md, "Webhooks").
EVENTS = {"submit": "filed", "accept": "accepted", "escalate": "escalated",
          "auto_escalate": "escalated", "return": "returned", "resolve": "resolved",
          "reopen": "reopened", "close": "closed", "auto_close": "closed", "cancel": "cancelled"}
ALL_EVENTS = sorted(set(EVENTS.values()) | {"rated"})

# Active subscriptions, kept per process: most steps have none to tell, and should not
# pay a query for it. A change writes a new version token to Redis; a process whose
# copy has another token reads the table again (without Redis: read each time).
VERSION_KEY = versions.register("community:webhooks:version")


def _version():
    try:
        return versions.current(VERSION_KEY)
    except (RedisError, OSError):
        return False  # unknown: never trust the copy


def _active() -> list[tuple]:
    if versions.changing(db.session, VERSION_KEY):
        return _read()  # rows this transaction may still roll back: not kept
    version = _version()
    cached = current_app.extensions.get("webhook_cache")
    if version is not False and cached is not None and cached[0] == version:
        return cached[1]
    rows = _read()
    current_app.extensions["webhook_cache"] = (version, rows)
    return rows


def _read() -> list[tuple]:
    # Read while a filing's rows wait unflushed: flushing them here would cost the
    # filing its plain INSERTs (tickets.plainwrite), as a cold copy did in a new process.
    with db.session.no_autoflush:
        return _rows()


def _rows() -> list[tuple]:
    return [tuple(r) for r in db.session.execute(select(
        WebhookSubscription.id, WebhookSubscription.user_id, WebhookSubscription.open311_client_id,
        WebhookSubscription.unit_id, WebhookSubscription.url, WebhookSubscription.events)
        .where(WebhookSubscription.revoked_at.is_(None), WebhookSubscription.paused_at.is_(None)))]


def forget_cache() -> None:
    """The subscriptions change in this transaction (call before its commit): it reads
    them itself until then, and every process reads them again after it."""
    current_app.extensions.pop("webhook_cache", None)
    versions.change(db.session, VERSION_KEY)


def subscribe(*, url: str, events: list[str], now: datetime, user=None, open311_client=None,
              unit=None) -> tuple[WebhookSubscription, str]:
    """An admin's subscription; returns it with its signing secret (shown once)."""
    if (user is None) == (open311_client is None):
        raise ValidationFailed(_("请指定一个客户端：API 用户或 Open311 客户端。"), field="client")
    if not url.startswith(("http://", "https://")) or len(url) > 500:
        raise ValidationFailed(_("回调地址应为 http 或 https 地址。"), field="url")
    unknown = [e for e in events if e not in ALL_EVENTS]
    if not events or unknown:
        raise ValidationFailed(_("事件只能是：%(events)s", events=", ".join(ALL_EVENTS)), field="events")
    if unit is not None and user is not None:
        from community.stats.queries import visible_unit

        try:
            visible_unit(user, unit.id)  # a unit's events only for a client that may see it
        except NotFound:
            raise ValidationFailed(_("这个客户端无权查看该单位。"), field="unit") from None
    elif unit is not None:
        raise ValidationFailed(_("Open311 客户端只能订阅自己提交的诉求。"), field="unit")
    secret = secrets.token_hex(32)
    row = WebhookSubscription(user_id=user.id if user else None,
                              open311_client_id=open311_client.id if open311_client else None,
                              unit_id=unit.id if unit else None, url=url, secret=secret,
                              events=list(events), created_at=now)
    db.session.add(row)
    db.session.flush()
    forget_cache()
    return row, secret


def revoke(subscription_id: int, now: datetime) -> WebhookSubscription:
    """Delete: nothing more is sent, deliveries not yet through are dropped (their
    secret is gone); the row stays, so the delivery log still names it."""
    row = db.session.get(WebhookSubscription, subscription_id)
    if row is None:
        raise NotFound()
    row.revoked_at = row.revoked_at or now
    forget_cache()
    return row


def pause(subscription_id: int, now: datetime, paused: bool = True) -> WebhookSubscription:
    """Pause (no new deliveries; those already queued still go) or resume."""
    row = db.session.get(WebhookSubscription, subscription_id)
    if row is None or row.revoked_at is not None:
        raise NotFound()
    row.paused_at = (row.paused_at or now) if paused else None
    forget_cache()
    return row


def _person_id(ticket, name: str):
    # A request being filed is not written yet: its resident and filer are set as
    # objects, their ids only at the flush (and a written request's id needs no load).
    person_id = getattr(ticket, f"{name}_id")
    if person_id is not None or ticket.id is not None:
        return person_id
    return getattr(getattr(ticket, name), "id", None)


def _matches(sub, ticket, open311_client_id) -> bool:
    _id, user_id, client_id, unit_id, _url, _events = sub
    if unit_id is not None:
        return unit_id in (ticket.grid_id, ticket.community_id, ticket.street_id, ticket.county_id,
                           ticket.handling_unit_id)
    if user_id is not None:
        return user_id in (_person_id(ticket, "resident"), _person_id(ticket, "filed_by"))
    return client_id is not None and client_id == open311_client_id


def _open311_client(ticket) -> int | None:
    if ticket.channel != Channel.OPEN311:
        return None
    from community.open311.models import Open311Request

    return db.session.scalar(select(Open311Request.client_id).where(Open311Request.ticket_id == ticket.id))


def announce(ticket, event: str, now: datetime, extra: dict | None = None,
             open311_client_id: int | None = None) -> int:
    """Queue a delivery to every subscription that wants `event` of this request.
    `open311_client_id`: the filing's client, known before its row is written (then
    only that client's subscriptions are told: the others heard of the event already)."""
    subs = [s for s in _active() if event in (s[5] or [])]
    if open311_client_id is not None:
        subs = [s for s in subs if s[2] == open311_client_id]
    if not subs:
        return 0
    client_id = open311_client_id or (_open311_client(ticket) if any(s[2] for s in subs) else None)
    sent = 0
    for sub in subs:
        if not _matches(sub, ticket, client_id):
            continue
        if sub[2] is not None:  # an Open311 client knows the request by its public id
            from community.open311.services import public_id

            ref = {"service_request_id": public_id(ticket)}
        else:
            ref = {"tracking_code": ticket.tracking_code}
        queue_delivery(f"webhook:{sub[0]}", sub[4], event,
                       {**ref, "event": event, "state": ticket.state, "at": now.isoformat(),
                        **(extra or {})}, now, ticket_id=ticket.id, subscription_id=sub[0],
                       ticket=ticket)
        sent += 1
    return sent


def _event_recorded(event, **kwargs):
    name = EVENTS.get(event.action)
    if name is not None and event.public:
        announce(event.ticket, name, event.at)


def _events_recorded(events):
    """The bulk twin (the SLA sweep's steps): told one by one, when anyone listens."""
    wanted = [e for e in events if EVENTS.get(e.action) and e.public]
    if not wanted or not _active():
        return
    from community.tickets.models import Ticket

    for item in wanted:
        ticket = db.session.get(Ticket, item.ticket_id)
        if ticket is not None:
            announce(ticket, EVENTS[item.action], item.at)
