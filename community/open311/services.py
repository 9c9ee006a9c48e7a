"""GeoReport v2 over the request services: services from the categories,
POST from a client with an api_key, and the public search.

service_request_id is the request's public number, not its tracking code:
GET requests lists requests to anyone, and the tracking code is what lets its
holder add information or cancel, so it goes only to the client that filed
(in the POST answer's service_notice). Public answers follow the privacy
rules of the public pages: the description, address, point and media only
where the resident allowed the text to be shown; never a name or a phone, and
even then through the one masking function (community.core.masking): phone,
ID-card, plate and flat numbers masked, the address down to its 小区/building,
the point rounded to about a hundred metres.
"""
import re
import secrets
from datetime import datetime, timedelta

from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from community.areas import geo
from community.areas.models import Unit, UnitKind
from community.areas.services import community_in_address, unit_by_code
from community.core.errors import NotFound, ValidationFailed
from community.core.extensions import db
from community.web.labels import KIND, RESULT, STATE, TIER, URGENCY
from community.core.masking import coarse_address, coarse_point, mask_personal
from community.tickets.models import Category, Ticket, TicketPhoto
from community.tickets.photos import CleanPhoto
from community.tickets.services import Filing, normalize_tracking_code, submit_ticket
from community.tickets.states import OPEN
from community.workqueue.inputs import FORBIDDEN
from community.core.timeutil import as_utc, to_local

from . import schemas
from .models import Open311Client, Open311Request

CJK_RE = re.compile(r"[\u3400-\u9fff]")
# NUL, other control characters and lone surrogates: no database stores them.
STATUSES = ("open", "closed")
# The photos with their events, which decide whether the public may see them. The
# units an answer names are read apart, by the columns it shows (_unit_names).
EAGER = (selectinload(Ticket.category), selectinload(Ticket.photos).selectinload(TicketPhoto.event),
         selectinload(Ticket.merged_into).load_only(Ticket.id))


def _locale() -> str:
    return str(get_locale() or "zh")


def w3c(value: datetime | None) -> str | None:
    """A stored UTC time as W3C date-time in the city's zone (2026-11-23T10:00:00+08:00)."""
    return to_local(value).isoformat(timespec="seconds") if value is not None else None


# -- services -----------------------------------------------------------------

def service_list() -> list[dict]:
    categories = db.session.scalars(select(Category).where(Category.active.is_(True))
                                    .order_by(Category.sort_order, Category.code))
    return [{"service_code": c.code, "service_name": c.label(_locale()),
             "description": _("%(name)s类诉求，默认由%(tier)s受理。", name=c.label(_locale()),
                              tier=TIER[c.default_tier]),
             "metadata": True, "type": "realtime",
             "keywords": ", ".join(dict.fromkeys([c.name_zh, c.name_en])),
             "group": str(TIER[c.default_tier])} for c in categories]


def active_category(code: str) -> Category | None:
    if not code or len(code) > 8:
        return None
    return db.session.scalar(select(Category).where(Category.code == code,
                                                    Category.active.is_(True)))


def _values(labels: dict) -> list[dict]:
    return [{"key": key, "name": str(name)} for key, name in labels.items()]


def service_definition(code: str) -> dict:
    if active_category(code) is None:
        raise NotFound(_("没有这个服务代码：%(code)s", code=code))
    return {"service_code": code, "attributes": [
        {"variable": True, "code": "kind", "datatype": "singlevaluelist", "required": False,
         "datatype_description": _("默认：求助"), "order": 1, "description": _("诉求类型"),
         "values": _values(KIND)},
        {"variable": True, "code": "urgency", "datatype": "singlevaluelist", "required": False,
         "datatype_description": _("默认：一般。紧急情况请直接拨打 110、119、120。"), "order": 2,
         "description": _("紧急程度"), "values": _values(URGENCY)},
        {"variable": True, "code": "text_public", "datatype": "singlevaluelist", "required": False,
         "datatype_description": _("默认：不公开"), "order": 3,
         "description": _("居民是否同意公开诉求内容（不含姓名电话）"),
         "values": [{"key": "true", "name": _("同意公开")}, {"key": "false", "name": _("不公开")}]},
    ]}


# -- POST requests ------------------------------------------------------------

def _place(params, address: str) -> dict:
    lat, long = params.get("lat"), params.get("long")
    if lat is not None and long is not None:
        lat, long = geo.check_point(lat, long)
        grid = geo.locate_point(lat, long)
        return {"grid_id": grid.id, "community_id": grid.community_id, "latitude": lat,
                "longitude": long}
    address_id = params.get("address_id")
    if address_id:
        unit = unit_by_code(address_id)
        if unit is None or not unit.active or unit.kind not in (UnitKind.GRID, UnitKind.COMMUNITY):
            raise ValidationFailed(_("address_id 应为网格或社区的编码：%(code)s", code=address_id),
                                   field="address_id")
        if unit.kind == UnitKind.GRID:
            return {"grid_id": unit.id, "community_id": unit.community_id}
        return {"grid_id": None, "community_id": unit.id}  # filing finds the grid, or says it could not
    if address:
        community = community_in_address(address)
        if community is None:
            raise ValidationFailed(_("无法从 address_string 确定所在社区，请在地址中写明社区名称，"
                                     "或提供 lat/long 或 address_id。"), field="address_string")
        return {"grid_id": None, "community_id": community.id}
    raise ValidationFailed(_("需要位置：lat 和 long、address_string 或 address_id。"), field="lat")


def _contact_name(first: str, last: str) -> str:
    if CJK_RE.search(first + last):
        return f"{last}{first}"
    return " ".join(p for p in (first, last) if p)


def check_text(pairs) -> None:
    """Refuse control characters in any (name, value) before they reach SQL."""
    for name, value in pairs:
        if isinstance(value, str) and FORBIDDEN.search(value):
            raise ValidationFailed(_("%(name)s 含有不允许的控制字符。", name=FORBIDDEN.sub("?", name)[:40]),
                                   field=name)


def check_jurisdiction(params) -> None:
    wanted = current_app.config.get("COMMUNITY_OPEN311_JURISDICTION") or ""
    given = (params.get("jurisdiction_id") or "").strip()
    if wanted and given and given != wanted:
        raise ValidationFailed(_("未知的 jurisdiction_id：%(id)s", id=given[:64]),
                               field="jurisdiction_id")


def file_request(client: Open311Client, params, photos: list[CleanPhoto],
                 now: datetime) -> Open311Request:
    """A request from an Open311 client, filed anonymously (channel open311). Every
    field is checked before any is used, and all problems are answered together."""
    check_jurisdiction(params)
    data, problems = schemas.load(params)
    if data.get("service_code") and active_category(data["service_code"]) is None:
        problems.append(("service_code", _("没有这个服务代码：%(code)s", code=data["service_code"])))
    if not any(field in ("lat", "long", "address_id", "address_string") for field, _m in problems):
        try:
            place = _place(data, data.get("address_string", ""))
        except ValidationFailed as exc:
            problems.append((exc.field or "lat", str(exc.message)))
    if problems:
        raise schemas.Invalid(problems)
    phone = data["phone"]
    filing = Filing(
        kind=data["kind"], category_code=data["service_code"], text=data["description"],
        address=data["address_string"], urgency=data["urgency"],
        text_public=data["text_public"] == "true",
        contact_name=_contact_name(data["first_name"], data["last_name"]),
        contact_phone=phone.replace(" ", "").replace("-", ""), channel="open311", photos=photos,
        **place)
    ticket = submit_ticket(filing, None, now)
    record = Open311Request(
        ticket=ticket, client=client, token=secrets.token_hex(16), email=data["email"],
        device_id=data["device_id"], account_id=data["account_id"], address_id=data["address_id"],
        media_url=data["media_url"], created_at=now)
    db.session.add(record)
    db.session.flush()
    return record


def public_id(ticket: Ticket) -> str:
    return str(ticket.id)


def _ids_and_codes(values: list[str]) -> tuple[list[int], list[str]]:
    """Public numbers, and tracking codes (a client that filed may use its own)."""
    ids = [int(v) for v in values if v.isdigit() and len(v) <= 10]
    codes = [normalize_tracking_code(v) for v in values if not v.isdigit() and len(v) <= 32]
    return ids, codes


def post_answer(record: Open311Request) -> list[dict]:
    code = record.ticket.tracking_code
    return [{"service_request_id": public_id(record.ticket), "token": record.token,
             "service_notice": _("请记下查询码 %(code)s，可随时查询办理进度。", code=code),
             "account_id": record.account_id or None}]


# -- GET requests -------------------------------------------------------------

def _parse_date(value: str, name: str) -> datetime:
    # A "+08:00" sent unencoded in a query string arrives as " 08:00".
    value = re.sub(r"(T\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d:?\d\d)$", r"\1+\2", value.strip())
    try:
        parsed = datetime.fromisoformat(value)
        if not 1900 <= parsed.year <= 9000:
            raise ValueError("out of range")
    except ValueError:
        raise ValidationFailed(_("%(name)s 应为 W3C 日期时间，如 2026-01-01T00:00:00Z。", name=name),
                               field=name) from None
    return as_utc(parsed)


def _codes(value: str) -> list[str]:
    return [c.strip() for c in (value or "").split(",") if c.strip()]


def search(params, now: datetime) -> list[Ticket]:
    """GET requests: by ids (which overrides the rest), else by service, dates and status,
    a page at a time (page, page_size: the extension most GeoReport servers share)."""
    check_jurisdiction(params)
    limit = current_app.config["COMMUNITY_OPEN311_MAX_ROWS"]
    ids = _codes(params.get("service_request_id", ""))
    offset = 0
    if ids:
        if len(ids) > limit:
            raise ValidationFailed(_("一次最多查询 %(n)d 条。", n=limit), field="service_request_id")
        numbers, codes = _ids_and_codes(ids)
        query = select(Ticket).where(Ticket.id.in_(numbers) | Ticket.tracking_code.in_(codes))
    else:
        limit, offset = _page(params)
        query = select(Ticket)
        services = _codes(params.get("service_code", ""))
        if services:
            query = query.join(Category, Ticket.category_id == Category.id).where(
                Category.code.in_([s[:8] for s in services]))
        start, end = _date_range(params, now)
        query = query.where(Ticket.submitted_at >= start, Ticket.submitted_at <= end)
        statuses = set(_codes(params.get("status", "")))
        if statuses - set(STATUSES):
            raise ValidationFailed(_("status 只能是 open 或 closed。"), field="status")
        if statuses == {"open"}:
            query = query.where(Ticket.state.in_([s.value for s in OPEN]))
        elif statuses == {"closed"}:
            query = query.where(Ticket.state.not_in([s.value for s in OPEN]))
    query = query.options(*EAGER).order_by(Ticket.submitted_at.desc(), Ticket.id.desc())
    return list(db.session.scalars(query.limit(limit).offset(offset)))


def _whole_number(params, name: str, default: int, top: int) -> int:
    text = (params.get(name) or "").strip()
    if not text:
        return default
    if not text.isdigit() or not 1 <= int(text) <= top:
        raise ValidationFailed(_("%(name)s 应为 1 到 %(n)d 之间的整数。", name=name, n=top), field=name)
    return int(text)


def _page(params) -> tuple[int, int]:
    """(rows, offset) of the page asked for. Pages end at MAX_DEPTH rows: past that an
    offset reads and drops most of the window, and a narrower date range is the way on."""
    config = current_app.config
    size = _whole_number(params, "page_size", min(config["COMMUNITY_OPEN311_PAGE_SIZE"],
                                                  config["COMMUNITY_OPEN311_MAX_ROWS"]),
                         config["COMMUNITY_OPEN311_MAX_ROWS"])
    page = _whole_number(params, "page", 1, max(1, config["COMMUNITY_OPEN311_MAX_DEPTH"] // size))
    return size, (page - 1) * size


def _date_range(params, now: datetime) -> tuple[datetime, datetime]:
    span = timedelta(days=current_app.config["COMMUNITY_OPEN311_DEFAULT_DAYS"])
    start_text, end_text = (params.get("start_date") or "").strip(), (params.get("end_date") or "").strip()
    start = _parse_date(start_text, "start_date") if start_text else None
    end = _parse_date(end_text, "end_date") if end_text else None
    if start is None and end is None:
        end = now
    if start is None:
        start = end - span
    if end is None:
        end = start + span
    if start > end:
        raise ValidationFailed(_("start_date 不能晚于 end_date。"), field="start_date")
    if end - start > span:
        raise ValidationFailed(_("查询范围不能超过 %(d)d 天。", d=span.days), field="end_date")
    return start, end


def get_request(code: str) -> Ticket:
    numbers, codes = _ids_and_codes([code or ""])
    ticket = None
    if numbers or codes:
        ticket = db.session.scalar(select(Ticket).where(
            Ticket.id.in_(numbers) | Ticket.tracking_code.in_(codes)))
    if ticket is None:
        raise NotFound(_("没有找到这个 service_request_id：%(id)s", id=(code or "")[:32]))
    return ticket


def by_token(token: str) -> Open311Request:
    record = None
    if token and len(token) <= 32:
        record = db.session.scalar(select(Open311Request).where(Open311Request.token == token))
    if record is None:
        raise NotFound(_("没有找到这个 token。"))
    return record


def _extras(tickets: list[Ticket]) -> dict[int, Open311Request]:
    ids = [t.id for t in tickets]
    if not ids:
        return {}
    return {r.ticket_id: r for r in db.session.scalars(
        select(Open311Request).where(Open311Request.ticket_id.in_(ids)))}


def _status_notes(ticket: Ticket) -> str:
    note = str(STATE.get(ticket.state, ticket.state))
    if ticket.result:
        note += "：" + str(RESULT.get(ticket.result, ticket.result))
    if ticket.merged_into is not None:
        note += "：" + _("与 %(code)s 合并办理", code=public_id(ticket.merged_into))
    return note


def request_dicts(tickets: list[Ticket]) -> list[dict]:
    extras, units = _extras(tickets), _unit_names(tickets)
    return [_request_dict(t, extras.get(t.id), units) for t in tickets]


def _unit_names(tickets: list[Ticket]) -> dict[int, tuple[str, str]]:
    """id -> (code, name) of the streets, communities and handling units of `tickets`,
    in one statement (a unit's row carries its boundary, kilobytes each)."""
    ids = {i for t in tickets for i in (t.street_id, t.community_id, t.handling_unit_id) if i}
    if not ids:
        return {}
    return {id_: (code, name) for id_, code, name in db.session.execute(
        select(Unit.id, Unit.code, Unit.name).where(Unit.id.in_(ids)))}


def _request_dict(ticket: Ticket, extra: Open311Request | None, units: dict) -> dict:
    shown = ticket.text_public  # the resident's consent covers text, place and media
    community = units.get(ticket.community_id)
    area = " ".join(units[i][1] for i in (ticket.street_id, ticket.community_id) if i in units)
    return {
        "service_request_id": public_id(ticket),
        "status": "open" if ticket.state in OPEN else "closed",
        "status_notes": _status_notes(ticket),
        "service_name": ticket.category.label(_locale()),
        "service_code": ticket.category.code,
        "description": mask_personal(ticket.text) if shown else "",
        "agency_responsible": units[ticket.handling_unit_id][1],
        "service_notice": "",
        "requested_datetime": w3c(ticket.submitted_at),
        "updated_datetime": w3c(ticket.updated_at),
        "expected_datetime": w3c(ticket.resolve_due_at),
        "address": (coarse_address(ticket.address) or area) if shown else area,
        "address_id": community[0] if community is not None else "",
        "zipcode": "",
        "lat": coarse_point(ticket.latitude) if shown else None,
        "long": coarse_point(ticket.longitude) if shown else None,
        "media_url": _media_url(ticket, extra) if shown else None,
    }


# -- media: a photo posted as `media` is shown at a signed address --------------
# Not the tracking page's photo address: that one carries the tracking code, which
# is the resident's key to the request and never public.

def _media_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="open311-media")


def public_photo(ticket: Ticket):
    """The filing's first photo, if the public may see it (the resident's consent)."""
    if not ticket.text_public:
        return None
    return next((p for p in sorted(ticket.photos, key=lambda p: p.id)
                 if p.event is None or p.event.public), None)


def _media_url(ticket: Ticket, extra: Open311Request | None) -> str | None:
    if extra is not None and extra.media_url:
        return extra.media_url
    photo = public_photo(ticket)
    if photo is None:
        return None
    extension = "png" if photo.content_type == "image/png" else "jpg"
    return url_for("open311.media", token=_media_signer().dumps(photo.id), ext=extension,
                   _external=True)


def media_photo(token: str):
    """The photo a media_url names, while it is still public; NotFound otherwise."""
    try:
        photo_id = _media_signer().loads(token)
    except BadSignature:
        raise NotFound() from None
    photo = db.session.get(TicketPhoto, photo_id) if isinstance(photo_id, int) else None
    if photo is None or not photo.ticket.text_public or \
            (photo.event is not None and not photo.event.public):
        raise NotFound()
    return photo
