"""Who may see a request: its resident, and staff whose unit contains it. What the
holder of a tracking code may do, and who may take the resident's own steps."""
from flask_babel import gettext as _
from sqlalchemy import false, or_, true

from community.auth.models import Role, User
from community.errors import NotAllowed

from .models import Ticket

# For each staff role, the ticket column that must equal the user's unit.
SCOPE_COLUMN = {
    Role.GRID: "grid_id",
    Role.COMMUNITY: "community_id",
    Role.STREET: "street_id",
    Role.COUNTY: "county_id",
    Role.DEPARTMENT: "handling_unit_id",
    Role.SUPERVISOR: "county_id",  # 考核办 reads the whole county and handles nothing
}

# Staff who read and judge but never work on a request (no 签收, 办结, 代办, 重办 order).
NON_HANDLING_ROLES = frozenset({Role.SUPERVISOR})


def can_view(user: User | None, ticket: Ticket) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if user.role == Role.ADMIN:
        return True
    if user.role == Role.RESIDENT:
        return ticket.resident_id == user.id
    column = SCOPE_COLUMN.get(Role(user.role))
    if column and getattr(ticket, column) == user.unit_id:
        return True
    return _extra_access(user, ticket)


def scope_filter(user: User):
    """A WHERE clause limiting a ticket query to what `user` may see."""
    if user.role == Role.ADMIN:
        return true()
    if user.role == Role.RESIDENT:
        return Ticket.resident_id == user.id
    column = SCOPE_COLUMN.get(Role(user.role))
    if column is None:
        return false()
    clause = getattr(Ticket, column) == user.unit_id
    extra = _extra_scope(user)
    return or_(clause, extra) if extra is not None else clause


def acting_filter(user: User):
    """The part of `scope_filter` the user can act on (工作台's 待我处理): requests their
    own unit holds now, and (departments) those it was summoned to. The rest of their
    scope (a request escalated above a grid, held by a department) they only oversee."""
    if user.role == Role.ADMIN:
        return true()
    if user.role == Role.RESIDENT or user.role in NON_HANDLING_ROLES or user.unit_id is None:
        return false()
    clause = Ticket.handling_unit_id == user.unit_id
    extra = _extra_scope(user)
    return or_(clause, extra) if extra is not None else clause


# Other domains (吹哨报到 assist tasks) widen a department's view; they register here.
_EXTRA_CHECKS = []
_EXTRA_SCOPES = []


def register_extra_access(check, scope):
    _EXTRA_CHECKS.append(check)
    _EXTRA_SCOPES.append(scope)


def _extra_access(user, ticket) -> bool:
    return any(check(user, ticket) for check in _EXTRA_CHECKS)


def _extra_scope(user):
    clauses = [c for c in (scope(user) for scope in _EXTRA_SCOPES) if c is not None]
    return or_(*clauses) if clauses else None


def can_file_for(user: User, grid) -> bool:
    """Staff file on a resident's behalf (代办) only inside their own unit."""
    if user.role == Role.ADMIN:
        return True
    column = SCOPE_COLUMN.get(Role(user.role))
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
