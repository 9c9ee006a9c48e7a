"""Signed deliveries to other systems, through the outbox: a Delivery row (the log)
and an outbox row are written in the step's own transaction; a worker POSTs it.
A failed POST raises, so RQ retries it with backoff (community.outbox); after the
last try it waits at /admin/jobs, where the admin replays it. Each try is logged.

Per target and request, deliveries go out in order: one waits while an earlier one
to the same target about the same request is not through (an upstream must hear
签收 before 办结)."""
import json
import logging
import secrets
import urllib.error
import urllib.request
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from community.core.extensions import db
from community.outbox import emit, register_handler
from community.core.timeutil import utcnow

from . import signing
from .models import Delivery, WebhookSubscription

log = logging.getLogger(__name__)
KIND = "exchange.deliver"


class NotDelivered(RuntimeError):
    pass


def queue_delivery(target: str, url: str, event: str, data: dict, now: datetime, *,
                   ticket_id: int | None = None, subscription_id: int | None = None,
                   ticket=None) -> Delivery:
    """Promise a delivery, in the caller's transaction. No flush: a flush hook calls it.
    `ticket`: the request itself, when it may not be written yet (its filing)."""
    key = secrets.token_hex(16)
    delivery = Delivery(key=key, target=target, url=url, event=event, payload=data, created_at=now,
                        ticket_id=ticket_id, subscription_id=subscription_id, attempts=0,
                        last_error="")
    if ticket is not None and ticket_id is None:
        delivery.ticket = ticket
    db.session.add(delivery)
    emit(KIND, f"exchange:{key}", {"delivery": key}, now=now)
    return delivery


def body_of(delivery: Delivery) -> bytes:
    return json.dumps({"delivery_id": delivery.id, "event": delivery.event,
                       "created_at": delivery.created_at.isoformat(), "data": delivery.payload},
                      ensure_ascii=False, separators=(",", ":")).encode()


def _secret(delivery: Delivery) -> str | None:
    if delivery.target.startswith("upstream:"):
        from .upstream import upstream_config

        config = upstream_config(delivery.target.split(":", 1)[1])
        return config["secret"] if config else None
    subscription = db.session.get(WebhookSubscription, delivery.subscription_id)
    return subscription.secret if subscription is not None and subscription.revoked_at is None else None


def _log_try(delivery: Delivery, now: datetime, status: int | None, error: str) -> None:
    # Committed before the handler raises: the outbox rolls the failed run back, and
    # the log of the try must stay (the outbox row keeps its own count and error).
    delivery.attempts += 1
    delivery.last_status, delivery.last_error, delivery.last_tried_at = status, error[-2000:], now
    db.session.commit()


def deliver(payload: dict) -> None:
    """The outbox handler: POST one delivery, signed; raise so that RQ tries again."""
    now = utcnow()
    delivery = db.session.scalar(select(Delivery).where(Delivery.key == payload["delivery"]))
    if delivery is None or delivery.delivered_at is not None:
        return
    earlier = db.session.scalar(select(Delivery.id).where(
        Delivery.target == delivery.target, Delivery.ticket_id == delivery.ticket_id,
        Delivery.id < delivery.id, Delivery.delivered_at.is_(None)).limit(1)) \
        if delivery.ticket_id is not None else None
    if earlier is not None:
        _log_try(delivery, now, None, f"waiting for delivery {earlier}")
        raise NotDelivered(f"delivery {delivery.id} waits for {earlier} (same target and request)")
    secret = _secret(delivery)
    if secret is None:  # the upstream left the configuration, or the subscription was revoked
        delivery.last_error = "no such target any more; not sent"
        delivery.delivered_at = None
        return
    if delivery.event == "resolved" and delivery.target.startswith("upstream:") and \
            delivery.ticket_id is not None and delivery.payload.get("result") is None:
        # The 办结's result is set on the request after its event: read it now, once.
        from community.tickets.models import Ticket

        ticket = db.session.get(Ticket, delivery.ticket_id)
        delivery.payload = dict(delivery.payload, result=ticket.result,
                                reply=ticket.result_note or delivery.payload.get("reply", ""))
    body = body_of(delivery)
    request = urllib.request.Request(delivery.url, data=body, method="POST",
                                     headers=signing.headers(secret, body, now))
    timeout = current_app.config.get("COMMUNITY_EXCHANGE_TIMEOUT", 10)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 (configured URLs)
            status = answer.status
    except urllib.error.HTTPError as exc:
        _log_try(delivery, now, exc.code, f"HTTP {exc.code}")
        raise NotDelivered(f"{delivery.target} answered {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        _log_try(delivery, now, None, str(exc))
        raise NotDelivered(f"{delivery.target} unreachable: {exc}") from None
    delivery.attempts += 1
    delivery.last_status = status
    delivery.last_error = ""
    delivery.last_tried_at = now
    delivery.delivered_at = now
    _wake_followers(delivery)


def _wake_followers(delivery: Delivery) -> None:
    """The target answers again: the later steps of the same request that gave up
    waiting (their tries spent while this one was not through) get their tries back,
    so one replay at /admin/jobs sends the whole backlog of a request, in order."""
    if delivery.ticket_id is None:
        return
    from community.outbox.models import OutboxRow
    from community.outbox.services import MAX_ATTEMPTS, retry_row

    keys = [f"exchange:{key}" for key in db.session.scalars(select(Delivery.key).where(
        Delivery.target == delivery.target, Delivery.ticket_id == delivery.ticket_id,
        Delivery.id > delivery.id, Delivery.delivered_at.is_(None)))]
    if keys:
        for row_id in db.session.scalars(select(OutboxRow.id).where(
                OutboxRow.kind == KIND, OutboxRow.key.in_(keys), OutboxRow.done_at.is_(None),
                OutboxRow.attempts >= MAX_ATTEMPTS)):
            retry_row(row_id)


def recent(target_prefix: str = "", limit: int = 100) -> list[Delivery]:
    query = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if target_prefix:
        query = query.where(Delivery.target.startswith(target_prefix))
    return list(db.session.scalars(query))


register_handler(KIND, deliver)
