"""Who may see a request: its resident, and staff whose unit contains it."""
from sqlalchemy import false, or_, true

from community.auth.models import Role, User

from .models import Ticket

# For each staff role, the ticket column that must equal the user's unit.
SCOPE_COLUMN = {
    Role.GRID: "grid_id",
    Role.COMMUNITY: "community_id",
    Role.STREET: "street_id",
    Role.COUNTY: "county_id",
    Role.DEPARTMENT: "handling_unit_id",
}


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
    if user.role == Role.DEPARTMENT or column is None:
        return False
    unit_of_grid = {"grid_id": grid.id, "community_id": grid.community_id,
                    "street_id": grid.street_id, "county_id": grid.county_id}[column]
    return unit_of_grid == user.unit_id
