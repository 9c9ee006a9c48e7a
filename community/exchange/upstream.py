"""Orders from upstream platforms (the city hotline, a command centre) and the steps
they must hear about (docs/exchange.md).

An order becomes a request filed anonymously on the upstream channel, routed like any
other; the order row keeps the upstream, its order id (one request per pair), its
category code and its deadline. The deadline is also the request's `external_due_at`,
a clock beside ours: the earlier of the two orders queues and warnings
(community.clock.deadlines.next_due)."""
import secrets
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from sqlalchemy import select

from community.api.schemas import PHONE, Text
from community.areas import geo
from community.areas.models import UnitKind
from community.areas.services import community_in_address, locate_grid, unit_by_code
from community.core.errors import NotFound, ValidationFailed
from community.core.extensions import db
from community.tickets.models import Category, Ticket
from community.tickets.services import Filing, record_event, submit_ticket
from community.tickets.states import Channel, Kind
from community.core.timeutil import as_utc

from community.workqueue.routing import send_to_dispatcher

from .delivery import queue_delivery
from .models import UpstreamOrder

# Our step → what the upstream hears (docs/exchange.md, "Status mapping").
STEPS = {"accept": "accepted", "return": "returned", "extension_requested": "extension_requested",
         "resolve": "resolved"}


def upstream_config(name: str) -> dict | None:
    config = (current_app.config.get("COMMUNITY_UPSTREAMS") or {}).get(name)
    return config if isinstance(config, dict) and config.get("secret") else None


class Caller(Schema):
    name = Text(load_default="", validate=validate.Length(max=64))
    phone = Text(load_default="", validate=[validate.Length(max=20), PHONE])


class Location(Schema):
    lat = fields.Float(validate=validate.Range(-90, 90), allow_nan=False)
    long = fields.Float(validate=validate.Range(-180, 180), allow_nan=False)
    unit = Text(validate=validate.Length(min=1, max=32))  # a grid or community code
    address = Text(load_default="", validate=validate.Length(max=200))


class OrderIn(Schema):
    class Meta:
        unknown = EXCLUDE

    order_id = Text(required=True, validate=validate.Length(min=1, max=64))
    due_at = fields.AwareDateTime(required=True)
    text = Text(required=True, validate=validate.Length(min=1, max=4000))
    category = Text(required=True, validate=validate.Length(min=1, max=32))
    kind = Text(load_default=Kind.HELP.value, validate=validate.OneOf([k.value for k in Kind]))
    caller = fields.Nested(Caller, load_default=dict)
    location = fields.Nested(Location, required=True)


def load_order(data) -> dict:
    try:
        return OrderIn().load(data if isinstance(data, dict) else {})
    except ValidationError as exc:
        field = next(iter(exc.messages), "body") if isinstance(exc.messages, dict) else "body"
        raise ValidationFailed(_("订单内容有误：%(detail)s", detail=str(exc.messages)[:300]),
                               field=field) from None


def _place(location: dict) -> dict:
    if "lat" in location and "long" in location:
        grid = geo.locate_point(location["lat"], location["long"])
        return {"grid_id": grid.id, "community_id": grid.community_id,
                "latitude": location["lat"], "longitude": location["long"]}
    address = location.get("address", "")
    if location.get("unit"):
        unit = unit_by_code(location["unit"])
        if unit is None or not unit.active or unit.kind not in (UnitKind.GRID, UnitKind.COMMUNITY):
            raise ValidationFailed(_("location.unit 应为网格或社区的编码。"), field="location")
        if unit.kind == UnitKind.GRID:
            return {"grid_id": unit.id, "community_id": unit.community_id}
        return {"grid_id": locate_grid(unit, address).id, "community_id": unit.id}
    community = community_in_address(address) if address else None
    if community is None:
        raise ValidationFailed(_("无法确定位置：请给出经纬度、网格或社区编码，或写明社区的地址。"),
                               field="location")
    return {"grid_id": locate_grid(community, address).id, "community_id": community.id}


def _category(config: dict, code: str) -> tuple[str, bool]:
    """Our category for the upstream's code, and whether the table knew it. An unknown
    code files under the upstream's fallback category, flagged for the dispatcher."""
    ours = (config.get("categories") or {}).get(code)
    if ours and db.session.scalar(select(Category.id).where(Category.code == ours, Category.active)):
        return ours, True
    return config.get("fallback_category") or "OTH", False


def receive_order(name: str, data: dict, now: datetime) -> tuple[UpstreamOrder, bool]:
    """File the order as a request, once: the same (upstream, order id) again returns
    the first (False as the second value) and changes nothing."""
    config = upstream_config(name)
    if config is None:
        raise NotFound()
    order = load_order(data)
    existing = db.session.scalar(select(UpstreamOrder).where(
        UpstreamOrder.upstream == name, UpstreamOrder.order_id == order["order_id"]))
    if existing is not None:
        return existing, False
    category, mapped = _category(config, order["category"])
    caller = order["caller"]
    filing = Filing(kind=order["kind"], category_code=category, text=order["text"],
                    address=order["location"].get("address", ""), contact_name=caller["name"],
                    contact_phone=caller["phone"].replace(" ", "").replace("-", ""),
                    channel=Channel.UPSTREAM, **_place(order["location"]))
    ticket = submit_ticket(filing, None, now)
    due = as_utc(order["due_at"])
    ticket.external_due_at = due
    row = UpstreamOrder(upstream=name, order_id=order["order_id"], ticket=ticket,
                        category_code=order["category"], mapped=mapped, due_at=due, received_at=now)
    db.session.add(row)
    if not mapped:  # to the dispatcher above the unit, who re-routes it (DOMAIN.md 退单)
        note = _("%(upstream)s 的分类代码 %(code)s 未对应，请调度员改派。",
                 upstream=config.get("label") or name, code=order["category"])
        db.session.flush()
        if send_to_dispatcher(ticket, now, note, "upstream_unmapped") is None:
            record_event(ticket, "upstream_unmapped", None, now, public=False, touch=False, note=note)
    return row, True


def order_for(ticket: Ticket) -> UpstreamOrder | None:
    if ticket.channel != Channel.UPSTREAM or ticket.id is None:
        return None
    return db.session.scalar(select(UpstreamOrder).where(UpstreamOrder.ticket_id == ticket.id))


def _tell(order: UpstreamOrder, step: str, data: dict, now: datetime) -> None:
    config = upstream_config(order.upstream)
    if config is None or not config.get("callback_url"):
        return
    queue_delivery(f"upstream:{order.upstream}", config["callback_url"], step,
                   {"order_id": order.order_id, "tracking_code": order.ticket.tracking_code,
                    "step": step, "at": now.isoformat(), **data}, now, ticket_id=order.ticket_id)


def _step_data(step: str, ticket, note: str) -> dict:
    data = {"state": ticket.state}
    if step in ("returned", "extension_requested"):
        data["reason"] = note
    if step == "resolved":
        data["result"] = ticket.result
        data["reply"] = ticket.result_note or note
    return data


def _step_recorded(event, **kwargs):
    step = STEPS.get(event.action)
    if step is None:
        return
    order = order_for(event.ticket)
    if order is not None:
        _tell(order, step, _step_data(step, event.ticket, event.note), event.at)


def _steps_recorded(events):
    """The bulk twin (the SLA sweep's fast path): its steps are none of STEPS today,
    but any that is still reaches the upstream."""
    for item in events:
        step = STEPS.get(item.action)
        if step is None or item.ticket.channel != Channel.UPSTREAM:
            continue
        order = db.session.scalar(select(UpstreamOrder).where(UpstreamOrder.ticket_id == item.ticket_id))
        if order is not None:
            _tell(order, step, _step_data(step, order.ticket, item.note), item.at)


def _new_rows(session, flush_context, instances):
    """A resident's rating reaches the order's upstream, and the webhook subscribers;
    an Open311 filing reaches its client's subscriptions."""
    from community.ratings.models import Rating

    from .webhooks import announce

    from community.open311.models import Open311Request

    for obj in list(session.new):
        if isinstance(obj, Open311Request) and obj.client is not None and obj.ticket is not None:
            # The filing's event came before this row: its client hears of it now.
            announce(obj.ticket, "filed", obj.created_at, open311_client_id=obj.client.id)
        if isinstance(obj, Rating) and obj.ticket is not None:
            # The resident's rating however it reached us: signed in, with the texted
            # link, or said on the phone to a 回访 officer (channel "callback").
            extra = {"solved": obj.solved, "level": obj.level, "channel": obj.channel}
            order = order_for(obj.ticket)
            if order is not None:
                _tell(order, "rated", dict(extra, comment=obj.comment), obj.rated_at)
            announce(obj.ticket, "rated", obj.rated_at, extra)


# Listened for on every Session: community.wiring.SESSION_LISTENERS.


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def channel_label(ticket: Ticket) -> str:
    """The channel as staff read it: an upstream's order names that upstream
    (its configured label, else its name)."""
    from community.web.labels import CHANNEL

    label = str(CHANNEL.get(ticket.channel, ticket.channel))
    order = order_for(ticket)
    if order is None:
        return label
    config = upstream_config(order.upstream) or {}
    return f"{label} · {config.get('label') or order.upstream}"
