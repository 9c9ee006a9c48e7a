"""Who may see which figures: one rule, called by the dashboard, the export and the
buttons that lead to them."""
from community.areas.models import UnitKind
from community.auth.models import Role
from community.core.errors import NotFound

from . import queries


def worker_scope(user, unit) -> str | None:
    """Per-worker figures of `unit` (DOMAIN.md "好差评": seen by the worker and their
    supervisors, never published): "all" for the units above it (a county for its own
    staff, which supervises itself) and admins, "own" for the unit's own staff (each
    sees their own row), None for anyone else."""
    if not getattr(user, "is_authenticated", False) or not user.is_staff:
        return None
    if user.role == Role.ADMIN:
        return "all"
    if user.unit_id == unit.id:
        return "all" if unit.kind == UnitKind.COUNTY else "own"
    try:
        queries.visible_unit(user, unit.id)  # a unit above it (a county over its departments)
    except NotFound:
        return None
    return "all"
