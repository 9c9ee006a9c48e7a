"""Role → scope: which column of a placed row (a request, a project, a unit, a rating)
must name a staff member's unit for the row to lie in their scope. Written once;
tickets.access, projects.access and stats.queries read it."""
from community.areas.models import UnitKind

from .models import ROLE_UNIT_KIND, Role, User

# The column naming a row's unit of each kind. A department is no area: a request
# lies in its scope while it handles it.
UNIT_COLUMN = {
    UnitKind.GRID: "grid_id",
    UnitKind.COMMUNITY: "community_id",
    UnitKind.STREET: "street_id",
    UnitKind.COUNTY: "county_id",
    UnitKind.DEPARTMENT: "handling_unit_id",
}

# For each staff role, that column for the kind of unit the role is bound to
# (the 考核办 reads its whole county and handles nothing).
SCOPE_COLUMN = {role: UNIT_COLUMN[kind] for role, kind in ROLE_UNIT_KIND.items()}


def scope_column(user: User, model=None, roles=None) -> str | None:
    """The column of `model` (a class or a row) that must equal `user.unit_id`, or None:
    the role has no area scope, `roles` (when given) leaves it out, or `model` has no
    such column."""
    role = Role(user.role)
    if roles is not None and role not in roles:
        return None
    name = SCOPE_COLUMN.get(role)
    if name is None or (model is not None and not hasattr(model, name)):
        return None
    return name
