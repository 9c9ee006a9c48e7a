"""What the admin's exchange page does (issue 27): subscriptions made, paused, resumed
and deleted from a form (the CLI does the same), each audited; the delivery log
filtered by client, event, status and dates."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select

from community.admin import audit
from community.areas.services import unit_by_code
from community.auth.models import User
from community.core.errors import ValidationFailed
from community.core.extensions import db
from community.open311.models import Open311Client
from community.core.timeutil import as_utc, local_zone

from . import webhooks
from .models import Delivery, WebhookSubscription

STATUSES = ("delivered", "waiting", "failed")


def clients() -> list[tuple[str, str]]:
    """Every party deliveries go to, as (key, label): upstreams, API users and Open311
    clients that have a subscription."""
    rows = [(f"upstream:{name}", f"{(config or {}).get('label') or name} ({_('上级平台')})")
            for name, config in sorted((current_app.config.get("COMMUNITY_UPSTREAMS") or {}).items())]
    subs = list(db.session.scalars(select(WebhookSubscription)))
    for user_id in sorted({s.user_id for s in subs if s.user_id}):
        user = db.session.get(User, user_id)
        rows.append((f"user:{user_id}", f"{user.username or user.display_name} (API)"))
    for client_id in sorted({s.open311_client_id for s in subs if s.open311_client_id}):
        rows.append((f"open311:{client_id}", f"{db.session.get(Open311Client, client_id).name} (Open311)"))
    return rows


def client_label(sub: WebhookSubscription) -> str:
    if sub.user_id:
        user = db.session.get(User, sub.user_id)
        return f"{user.username or user.display_name} (API)"
    return f"{db.session.get(Open311Client, sub.open311_client_id).name} (Open311)"


def subscribe_from_form(actor, now: datetime, form) -> tuple[WebhookSubscription, str]:
    kind, name = form.get("client_kind", ""), (form.get("client") or "").strip()
    user = client = None
    if kind == "api":
        user = db.session.scalar(select(User).where(or_(User.username == name, User.phone == name)))
        if user is None or not name:
            raise ValidationFailed(_("没有这个 API 用户（用户名或手机号）。"), field="client")
    elif kind == "open311":
        client = db.session.scalar(select(Open311Client).where(Open311Client.name == name))
        if client is None or not name:
            raise ValidationFailed(_("没有这个 Open311 客户端。"), field="client")
    else:
        raise ValidationFailed(_("请指定一个客户端：API 用户或 Open311 客户端。"), field="client")
    unit = None
    if (form.get("unit") or "").strip():
        unit = unit_by_code(form.get("unit").strip())
        if unit is None:
            raise ValidationFailed(_("没有这个单位编码。"), field="unit")
    events = [e for e in form.getlist("events")] if hasattr(form, "getlist") else list(form.get("events") or [])
    row, secret = webhooks.subscribe(url=(form.get("url") or "").strip(), events=events, now=now,
                                     user=user, open311_client=client, unit=unit)
    audit.record(actor, now, "webhook.create", f"webhook:{row.id}", client=f"{kind}:{name}",
                 unit=unit.code if unit else None, events=events, url=row.url)
    return row, secret


def pause(actor, now: datetime, subscription_id: int, paused: bool) -> WebhookSubscription:
    row = webhooks.pause(subscription_id, now, paused)
    audit.record(actor, now, "webhook.pause" if paused else "webhook.resume", f"webhook:{row.id}")
    return row


def delete(actor, now: datetime, subscription_id: int) -> WebhookSubscription:
    row = webhooks.revoke(subscription_id, now)
    audit.record(actor, now, "webhook.delete", f"webhook:{row.id}")
    return row


@dataclass
class LogFilter:
    client: str = ""
    event: str = ""
    status: str = ""
    since: date | None = None
    until: date | None = None

    @classmethod
    def from_args(cls, args) -> "LogFilter":
        """Unknown values are refused (ValidationFailed), never silently widened."""
        found = cls(client=args.get("client", ""), event=args.get("event", ""), status=args.get("status", ""))
        if found.event and found.event not in webhooks.ALL_EVENTS + list(_UPSTREAM_STEPS):
            raise ValidationFailed(_("没有这种事件。"), field="event")
        if found.status and found.status not in STATUSES:
            raise ValidationFailed(_("没有这种状态。"), field="status")
        if found.client and found.client.split(":", 1)[0] not in ("upstream", "user", "open311"):
            raise ValidationFailed(_("没有这个客户端。"), field="client")
        for name in ("since", "until"):
            if args.get(name):
                try:
                    setattr(found, name, date.fromisoformat(args[name]))
                except ValueError:
                    raise ValidationFailed(_("请按 年-月-日 填写日期。"), field=name) from None
        if found.since and found.until and found.since > found.until:
            raise ValidationFailed(_("开始日期不能晚于结束日期。"), field="since")
        return found


_UPSTREAM_STEPS = ("accepted", "returned", "extension_requested", "resolved", "rated")


def _local_midnight(day: date) -> datetime:
    return as_utc(datetime.combine(day, time(), tzinfo=local_zone()))


def deliveries(found: LogFilter, limit: int = 200) -> list[Delivery]:
    """The log, newest first, narrowed by the filter (dates are local calendar days)."""
    query = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if found.client:
        kind, _sep, value = found.client.partition(":")
        if kind == "upstream":
            query = query.where(Delivery.target == found.client)
        else:
            column = WebhookSubscription.user_id if kind == "user" else WebhookSubscription.open311_client_id
            ids = select(WebhookSubscription.id).where(column == (int(value) if value.isdigit() else -1))
            query = query.where(Delivery.subscription_id.in_(ids))
    if found.event:
        query = query.where(Delivery.event == found.event)
    if found.status == "delivered":
        query = query.where(Delivery.delivered_at.is_not(None))
    elif found.status == "waiting":
        query = query.where(Delivery.delivered_at.is_(None), Delivery.attempts == 0)
    elif found.status == "failed":
        query = query.where(Delivery.delivered_at.is_(None), Delivery.attempts > 0)
    if found.since:
        query = query.where(Delivery.created_at >= _local_midnight(found.since))
    if found.until:
        query = query.where(Delivery.created_at < _local_midnight(found.until + timedelta(days=1)))
    return list(db.session.scalars(query))


def event_names() -> list[str]:
    return sorted(set(webhooks.ALL_EVENTS) | set(_UPSTREAM_STEPS))
