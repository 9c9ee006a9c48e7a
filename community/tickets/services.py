"""Filing and following requests; the one transition() every state change goes through."""
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from community.areas.models import Unit, UnitKind
from community.areas.services import choose_grid, community_area, unit_at_tier
from community.auth.models import Role, User
from community.core import signals
from community.core.errors import InvalidTransition, NotAllowed, NotFound, ValidationFailed
from community.core.extensions import db

from .access import can_file_for, can_resident_file_for, resident_refusal
from . import catalog
from .catalog import active_category
from .models import Category, Ticket, TicketEvent, TicketPhoto
from .notes import Note
from .photos import CleanPhoto, new_stored_name, photo_path, write_photo
from .plainwrite import write_new
from .states import ALLOWED_TRANSITIONS, Channel, Kind, State, Urgency

# Crockford's base32 without I, L, O, U: easy to read out on the phone.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16  # 80 random bits: too many to guess, short enough to read out
LEVEL_OF_TIER = {UnitKind.GRID: 1, UnitKind.COMMUNITY: 1, UnitKind.STREET: 2, UnitKind.COUNTY: 3}


@dataclass
class Filing:
    kind: str
    category_code: str
    text: str
    community_id: int | None = None
    address: str = ""
    grid_id: int | None = None
    text_public: bool = False
    urgency: str = Urgency.NORMAL
    contact_name: str = ""
    contact_phone: str = ""
    channel: str = Channel.WEB
    submit_token: str | None = None
    photos: list[CleanPhoto] = field(default_factory=list)
    latitude: float | None = None  # the point given, kept with the request (WGS 84)
    longitude: float | None = None
    area: tuple | None = None  # community_area(community_id), when the caller has it already
    # A resident filing for a neighbour (楼门长's 代办, community.buildings): the rules of
    # staff 代办 apply, and who may is asked of tickets.access.can_resident_file_for.
    on_behalf: bool = False


def new_tracking_code() -> str:
    # 80 random bits read out five at a time: the same uniform code as sixteen
    # secrets.choice() calls, for one call to the random source.
    bits = int.from_bytes(secrets.token_bytes(CODE_LENGTH * 5 // 8), "big")
    return "".join(CODE_ALPHABET[(bits >> shift) & 31] for shift in range(CODE_LENGTH * 5 - 5, -5, -5))


def normalize_tracking_code(code: str) -> str:
    code = (code or "").upper().replace("-", "").replace(" ", "")
    return code.translate(str.maketrans("ILO", "110"))


def active_categories() -> list[Category]:
    return list(db.session.scalars(
        select(Category).where(Category.active.is_(True)).order_by(Category.sort_order, Category.code)))


def category_choices() -> list:
    """The active categories as a list of choices shows them (code, label(), …; read-only
    values from the process's copy: community.tickets.catalog)."""
    return catalog.active_categories()


def transition(ticket: Ticket, to_state: State, actor: User | None, now: datetime, *,
               action: str, note: "str | Note" = "", public: bool = True) -> TicketEvent:
    """Move a ticket along ALLOWED_TRANSITIONS and write the event row."""
    from_state = State(ticket.state)
    if to_state not in ALLOWED_TRANSITIONS[from_state]:
        raise InvalidTransition()
    ticket.state = to_state
    ticket.updated_at = now
    return record_event(ticket, action, actor, now, note=note, public=public,
                        from_state=from_state, to_state=to_state)


def record_event(ticket: Ticket, action: str, actor: User | None, now: datetime, *,
                 note: "str | Note" = "", public: bool = True, from_state=None, to_state=None,
                 touch: bool = True) -> TicketEvent:
    """`touch=False` for a note about the request that is not a step of it: the
    request row (and its version, which an open handler's form checks) stays as it is.
    A system note is a `Note` (message id and parameters), shown in the reader's language."""
    key = params = None
    if isinstance(note, Note):
        key, params, note = note.key, note.params_json(), note.stored_text()
    event = TicketEvent(ticket=ticket, at=now, actor=actor, action=action, note=note,
                        note_key=key, note_params=params,
                        public=public, from_state=from_state, to_state=to_state,
                        unit_id=ticket.handling_unit_id)
    db.session.add(event)
    if touch:
        ticket.updated_at = now
    signals.event_recorded.send(event)
    return event


def find_by_submit_token(token: str | None) -> Ticket | None:
    if not token:
        return None
    return db.session.scalar(select(Ticket).where(Ticket.submit_token == token))


def submit_ticket(filing: Filing, actor: User | None, now: datetime) -> Ticket:
    """File a request: check everything, route it, then write it with its first event.

    `actor` is the resident filing for themselves, staff filing on a
    resident's behalf (代办), or None for an anonymous Open311 client.
    """
    category, (community, grids, above), text = check_filing(filing)
    grid, grid_sure = choose_grid(community, filing.address, filing.grid_id, grids=grids)
    resident = _resident_for(filing, actor, grid)
    tier = UnitKind(category.default_tier)
    handler = _first_handler(category, grid, tier)
    ticket = Ticket(
        tracking_code=new_tracking_code(), kind=filing.kind, category=category, text=text,
        text_public=bool(filing.text_public), urgency=filing.urgency, state=State.SUBMITTED,
        tier=tier, level=LEVEL_OF_TIER[tier], handling_unit_id=handler.id, handling_unit=handler,
        grid_id=grid.id, grid=grid, grid_unsure=not grid_sure, community_id=grid.community_id, street_id=grid.street_id,
        county_id=grid.county_id, address=(filing.address or "").strip()[:200],
        latitude=filing.latitude, longitude=filing.longitude,
        resident=resident, contact_name=(filing.contact_name or "").strip()[:64],
        contact_phone=clean_phone(filing.contact_phone) or (resident.phone if resident else "") or "",
        filed_by=actor if actor is not None and (actor.is_staff or filing.on_behalf) else None,
        channel=filing.channel, submit_token=filing.submit_token,
        submitted_at=now, arrived_at=now, updated_at=now, **_loaded_units(grid, [community, *above]),
    )
    db.session.add(ticket)
    note = ""
    if ticket.filed_by is not None:
        note = Note("filed_on_behalf", channel=filing.channel)
    event = record_event(ticket, "submit", actor, now, note=note, to_state=State.SUBMITTED)
    attach_photos(ticket, event, filing.photos, now)
    signals.ticket_submitted.send(ticket, now=now)
    # The caller gets a persistent ticket: ids set, relationships load. A plain
    # filing's two rows go in with two INSERTs; anything more, through the flush.
    if not write_new(db.session, [ticket, event]):
        db.session.flush()
    return ticket


def _loaded_units(grid: Unit, units: list[Unit]) -> dict:
    """community= and street= for the new ticket from rows already loaded (each
    only when it is the grid's own), so the answer needs no further look-ups."""
    by_id = {u.id: u for u in units}
    found = {"community": by_id.get(grid.community_id), "street": by_id.get(grid.street_id)}
    return {name: unit for name, unit in found.items() if unit is not None}


def check_filing(filing: Filing):
    """Every problem of the filing at once: the first is the error's message and field,
    the rest ride along (`ValidationFailed.others`) so the form shows them together."""
    problems = []
    if filing.kind not in Kind.__members__.values():
        problems.append(("kind", _("请选择诉求类型。")))
    if filing.urgency not in Urgency.__members__.values():
        problems.append(("urgency", _("请选择紧急程度。")))
    if filing.channel not in Channel.__members__.values():
        problems.append(("channel", _("未知的受理渠道。")))
    category = active_category(filing.category_code or "")  # the process's copy (catalog)
    if category is None:
        problems.append(("category", _("请选择有效的诉求类别。")))
    text = (filing.text or "").strip()
    limit = current_app.config["COMMUNITY_TEXT_MAX"]
    if not text:
        problems.append(("text", _("请填写诉求内容。")))
    elif len(text) > limit:
        problems.append(("text", _("诉求内容不能超过 %(n)d 字，现在是 %(m)d 字。", n=limit, m=len(text))))
    if len(clean_phone(filing.contact_phone)) > 20:
        problems.append(("contact_phone", _("联系电话不能超过 20 位。")))
    # The community with its grids and the units above it, in one statement.
    area = filing.area if filing.area and filing.area[0].id == filing.community_id else \
        community_area(filing.community_id) if filing.community_id else (None, [], [])
    community = area[0]
    if community is None or community.kind != UnitKind.COMMUNITY or not community.active:
        problems.append(("community", _("请选择有效的社区。")))
    if len(filing.photos) > current_app.config["COMMUNITY_PHOTO_MAX_COUNT"]:
        problems.append(("photos", _("最多上传 %(n)d 张照片。", n=current_app.config["COMMUNITY_PHOTO_MAX_COUNT"])))
    if problems:
        (field, message), others = problems[0], problems[1:]
        raise ValidationFailed(message, field=field, others=others)
    return category, area, text


def _resident_for(filing: Filing, actor: User | None, grid: Unit) -> User | None:
    if actor is None or (actor.is_resident and not filing.on_behalf):
        return actor
    if actor.is_resident:
        if not can_resident_file_for(actor, grid, filing.address):
            raise NotAllowed(_("楼门长只能为自己负责楼栋的居民代办。"))
    elif not actor.is_staff:
        raise NotAllowed()
    elif not can_file_for(actor, grid):
        raise NotAllowed(_("只能为本单位辖区内的居民代办。"))
    if filing.channel == Channel.WEB:
        raise ValidationFailed(_("代办请选择受理渠道。"), field="channel")
    phone = clean_phone(filing.contact_phone)
    if not phone:
        raise ValidationFailed(_("代办需要填写居民的联系电话。"), field="contact_phone")
    if actor.phone and phone == clean_phone(actor.phone):
        # The rating link goes to this phone: it must be the resident's, not the filer's.
        raise ValidationFailed(_("请填写居民本人的联系电话，不能填写代办人自己的。"), field="contact_phone")
    # A resident who has an account sees the request in "my requests" too.
    return db.session.scalar(select(User).where(User.phone == phone, User.role == Role.RESIDENT))


def clean_phone(phone: str | None) -> str:
    """A phone number as typed (138 0000 0001, +86-138…, 0871-6512 3456) in one spelling."""
    phone = re.sub(r"[\s-]", "", phone or "")
    return phone[3:] if phone.startswith("+86") else phone


def _first_handler(category: Category, grid: Unit, tier: UnitKind) -> Unit:
    # A county-tier category with a named department goes there, if it is this county's.
    # Other tiers do not look at the department (loading it would cost a query).
    if tier == UnitKind.COUNTY and category.department_id is not None:
        department = category.department
        if department.county_id == grid.county_id:
            return department
    return unit_at_tier(grid, tier)


def attach_photos(ticket: Ticket, event: TicketEvent, photos: list[CleanPhoto], now: datetime):
    """Write the files and their rows; if the transaction fails later, the caller
    removes the files (see discard_photo_files)."""
    for photo in photos:
        name = new_stored_name(photo)
        write_photo(name, photo)
        db.session.add(TicketPhoto(ticket=ticket, event=event, stored_name=name,
                                   content_type=photo.content_type, width=photo.width,
                                   height=photo.height, size=len(photo.data), created_at=now))


def discard_photo_files() -> None:
    """After a rollback: remove files written for photo rows that were never kept."""
    for obj in list(db.session.new):
        if isinstance(obj, TicketPhoto):
            photo_path(obj.stored_name).unlink(missing_ok=True)


def get_by_tracking_code(code: str) -> Ticket:
    ticket = db.session.scalar(select(Ticket).where(
        Ticket.tracking_code == normalize_tracking_code(code)))
    if ticket is None:
        raise NotFound(_("没有找到这个查询码对应的诉求。"))
    return ticket


def cancel(ticket: Ticket, actor: User | None, now: datetime, reason: str = "",
           link=None) -> TicketEvent:
    """The resident withdraws a request that no unit has accepted yet: signed in to the
    account it was filed from, or with the link texted for it (tickets.access)."""
    from . import links

    if refusal := resident_refusal(ticket, actor, "cancel", now, link):
        raise refusal
    event = transition(ticket, State.CANCELLED, actor, now, action="cancel",
                       note=(reason or "").strip()[:500])
    ticket.closed_at = now
    if link is not None:
        links.use(link, "cancel", now)
    return event


def add_info(ticket: Ticket, actor: User | None, now: datetime, text: str,
             photos: list[CleanPhoto]) -> TicketEvent:
    """The resident (or whoever holds the tracking code) adds details or photos while
    the request is open."""
    if refusal := resident_refusal(ticket, actor, "add_info", now):
        raise refusal
    text = (text or "").strip()
    if not text and not photos:
        raise ValidationFailed(_("请填写补充内容或上传照片。"), field="text")
    if len(text) > current_app.config["COMMUNITY_TEXT_MAX"]:
        raise ValidationFailed(_("补充内容不能超过 %(n)d 字。",
                                 n=current_app.config["COMMUNITY_TEXT_MAX"]), field="text")
    if len(photos) > current_app.config["COMMUNITY_PHOTO_MAX_COUNT"]:
        raise ValidationFailed(_("最多上传 %(n)d 张照片。",
                                 n=current_app.config["COMMUNITY_PHOTO_MAX_COUNT"]), field="photos")
    event = record_event(ticket, "add_info", actor, now, note=text)
    attach_photos(ticket, event, photos, now)
    return event


def surviving_ticket(ticket: Ticket) -> Ticket | None:
    """For a merged duplicate: the request that is handled in its place."""
    survivor, seen = ticket.merged_into, {ticket.id}
    while survivor is not None and survivor.merged_into is not None and survivor.id not in seen:
        seen.add(survivor.id)
        survivor = survivor.merged_into
    return survivor


# The resident's own list (/my) by where a request stands.
MY_FILTERS = {
    "open": ("submitted", "accepted", "in_progress", "escalated", "returned", "reopened"),
    "resolved": ("resolved",),
    "done": ("closed", "cancelled", "merged"),
}


def residents_tickets(user: User, page: int = 1, state: str = "", query: str = "") -> list[Ticket]:
    """A resident's requests, newest first; `state` one of MY_FILTERS, `query` words of the
    text, the address or the tracking code (their own few requests: no index needed)."""
    size = current_app.config["COMMUNITY_PAGE_SIZE"]
    statement = select(Ticket).where(Ticket.resident_id == user.id)
    if state in MY_FILTERS:
        statement = statement.where(Ticket.state.in_(MY_FILTERS[state]))
    for word in (query or "").split()[:5]:
        like = f"%{word[:50]}%"
        statement = statement.where(or_(Ticket.text.ilike(like), Ticket.address.ilike(like),
                                        Ticket.tracking_code == normalize_tracking_code(word)))
    # The list shows each one's handling unit: read for the page at once (its category
    # comes from the process's copy: views.ticket_category).
    return list(db.session.scalars(
        statement.order_by(Ticket.submitted_at.desc(), Ticket.id.desc())
        .limit(size).offset((max(page, 1) - 1) * size)
        .options(selectinload(Ticket.handling_unit))))
