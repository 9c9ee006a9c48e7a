"""Who may see a request: its resident, and staff whose unit contains it. What the
holder of a tracking code may do, and who may take the resident's own steps."""
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import false, or_, true

from community.auth.models import Role, User
from community.auth.scope import scope_column
from community.core.bulkdb import any_of
from community.core.errors import DomainError, InvalidTransition, NotAllowed

from .models import Ticket
from .states import OPEN, WAITING, State

# Staff who read and judge but never work on a request (no 签收, 办结, 代办, 重办 order).
NON_HANDLING_ROLES = frozenset({Role.SUPERVISOR})


def can_view(user: User | None, ticket: Ticket) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if user.role == Role.ADMIN:
        return True
    if user.role == Role.RESIDENT:
        return ticket.resident_id == user.id
    column = scope_column(user, Ticket)
    if column and getattr(ticket, column) == user.unit_id:
        return True
    return _extra_access(user, ticket)


def scope_is_city(user: User) -> bool:
    """Whether `user` sees (and acts on) every request of the city: scope_filter and
    acting_filter are then no filter at all, and figures over that scope are the city's."""
    return user.role == Role.ADMIN


def scope_filter(user: User):
    """A WHERE clause limiting a ticket query to what `user` may see."""
    if scope_is_city(user):
        return true()
    if user.role == Role.RESIDENT:
        return Ticket.resident_id == user.id
    column = scope_column(user, Ticket)
    if column is None:
        return false()
    clause = getattr(Ticket, column) == user.unit_id
    extra = _extra_scope(user)
    return or_(clause, extra) if extra is not None else clause


def acting_filter(user: User):
    """The part of `scope_filter` the user can act on (工作台's 待我处理): requests their
    own unit holds now, and (departments) those it was summoned to. The rest of their
    scope (a request escalated above a grid, held by a department) they only oversee."""
    if scope_is_city(user):
        return true()
    if user.role == Role.RESIDENT or user.role in NON_HANDLING_ROLES or user.unit_id is None:
        return false()
    clause = Ticket.handling_unit_id == user.unit_id
    extra = _extra_scope(user)
    return or_(clause, extra) if extra is not None else clause


# Other domains (吹哨报到 assist tasks) widen a department's view; they register here:
# `check(user, ticket)` for one request, `ticket_ids(user)` the ids of all it opens.
_EXTRA_CHECKS = []
_EXTRA_IDS = []


def register_extra_access(check, ticket_ids):
    _EXTRA_CHECKS.append(check)
    _EXTRA_IDS.append(ticket_ids)


def _extra_access(user, ticket) -> bool:
    return any(check(user, ticket) for check in _EXTRA_CHECKS)


def extra_ticket_ids(user: User) -> list[int]:
    """The requests other domains open to `user` beyond their own scope, by id. They are
    looked up first and written into the query: an OR with a subquery (EXISTS or IN)
    hides how few they are, and the server then read the whole table for a department's
    queue (1.7–2.2 s at 5 M requests); with the ids both sides of the OR are index scans.
    Rows kept beside a request (ratings.scope) match them on their own ticket_id."""
    ids = set()
    for ticket_ids in _EXTRA_IDS:
        ids.update(ticket_ids(user) or ())
    return sorted(ids)


def _extra_scope(user):
    ids = extra_ticket_ids(user)
    return any_of(Ticket.id, ids) if ids else None


def can_file_for(user: User, grid) -> bool:
    """Staff file on a resident's behalf (代办) only inside their own unit."""
    if user.role == Role.ADMIN:
        return True
    column = scope_column(user, Ticket)
    if user.role == Role.DEPARTMENT or user.role in NON_HANDLING_ROLES or column is None:
        return False
    unit_of_grid = {"grid_id": grid.id, "community_id": grid.community_id,
                    "street_id": grid.street_id, "county_id": grid.county_id}[column]
    return unit_of_grid == user.unit_id


# Residents who file for neighbours (楼门长, community.buildings) register their rule here.
_RESIDENT_FILERS = []


def register_resident_filer(check):
    if check not in _RESIDENT_FILERS:
        _RESIDENT_FILERS.append(check)


def can_resident_file_for(user: User, grid, address: str) -> bool:
    """A resident files 代办 only where a registered rule says so (a 楼门长's buildings)."""
    return user.is_resident and any(check(user, grid, address) for check in _RESIDENT_FILERS)


# The resident's own steps: they change the request or its figures in the resident's name.
RESIDENT_STEPS = ("cancel", "reopen", "rate")
# What the tracking code alone allows (DOMAIN.md "好差评"): reading and adding information.
CODE_STEPS = ("read", "add_info")


def check_resident_step(ticket, user: User | None, step: str, link=None) -> None:
    """The one rule for the resident's steps, called by the tracking page, the link
    page, the API and the buttons they show. Reading and adding information need only
    the tracking code. Cancel, reopen and rate a request filed from an account need
    that account, signed in; one filed without an account needs the single-use link
    texted to its contact phone (`link`, already checked usable by tickets.links).
    Staff never take these steps, whatever they hold: a handler must not rate,
    withdraw or dispute in the resident's name."""
    if step in CODE_STEPS:
        return
    if step not in RESIDENT_STEPS:
        raise NotAllowed()
    signed_in = user is not None and user.is_authenticated
    if signed_in and user.is_staff:
        raise NotAllowed(_("工作人员不能代替居民评价、撤回或申请重办。"))
    if ticket.resident_id is not None:
        if signed_in and user.id == ticket.resident_id:
            return
        raise NotAllowed(_("请登录提交这件诉求的账号后再操作。"))
    if link is None or link.ticket_id != ticket.id:
        raise NotAllowed(_("请使用短信中发给您的链接操作（查询码只能查看和补充信息）。"))
    if (step == "cancel") != (link.resolution_id is None):
        # The link sent at filing cancels; the one sent at 办结 rates or reopens.
        raise NotAllowed(_("这个链接不能用于这一步。"))


def resident_step_allowed(ticket, user: User | None, step: str, link=None) -> bool:
    try:
        check_resident_step(ticket, user, step, link)
    except NotAllowed:
        return False
    return True


def acting_resident(ticket, user: User | None) -> User | None:
    """The signed-in resident who filed `ticket`, or None (anyone else, signed in or not)."""
    if user is not None and user.is_authenticated and ticket.resident_id is not None \
            and user.id == ticket.resident_id:
        return user
    return None


def not_resolved(ticket) -> DomainError | None:
    """重办 follows a 办结, whoever asks for it (the resident, or the street or county)."""
    if ticket.state not in (State.RESOLVED, State.CLOSED):
        return InvalidTransition(_("只有已办结的诉求可以重办。"))
    return None


def resident_refusal(ticket, user: User | None, step: str, now: datetime, link=None) -> DomainError | None:
    """Why `user` (with `link`, if they came with one) may not take the resident's own
    `step` on `ticket` now, or None: who (check_resident_step), then when. The services
    (cancel, the resident's 重办, adding information) raise it; the tracking page, the
    link page and the API's `actions` show a step only when it is None."""
    try:
        check_resident_step(ticket, user, step, link)
    except NotAllowed as refusal:
        return refusal
    if step == "cancel" and ticket.state not in WAITING:
        return InvalidTransition(_("诉求已被受理，不能撤回。如需帮助请补充说明。"))
    if step == "add_info" and ticket.state not in OPEN:
        return InvalidTransition(_("诉求已办结或已关闭，不能再补充。"))
    if step == "reopen":
        days = current_app.config["COMMUNITY_REOPEN_WINDOW_DAYS"]
        if refusal := not_resolved(ticket):
            return refusal
        if ticket.resolved_at is None or now > ticket.resolved_at + timedelta(days=days):
            return NotAllowed(_("已超过办结后 %(d)d 天的重办期限。", d=days))
    return None


def resident_may(ticket, user: User | None, step: str, now: datetime, link=None) -> bool:
    return resident_refusal(ticket, user, step, now, link) is None
