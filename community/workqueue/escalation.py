"""The rules of moving a request up, as pure functions over plain values.

One set of rules, two executors: the per-request path (routing.escalate, the
sweep's per-ticket replay) passes ORM objects, the sweep's set-based path
(community.sla.bulk) passes plain rows with the same attribute names; neither
restates these rules.
"""
from community.areas.models import TIERS, UnitKind
from community.areas.services import unit_id_at  # noqa: F401  (one rule, both executors)
from community.tickets.services import LEVEL_OF_TIER

TIER_NAMES = tuple(str(t) for t in TIERS)


def tier_of(kind) -> UnitKind:
    """The tier a unit of this kind handles at: a department works at the county's."""
    return UnitKind.COUNTY if kind == UnitKind.DEPARTMENT else UnitKind(kind)


def level_after(level: int, tier) -> int:
    """一二三级: the highest tier that handled the request."""
    return max(level, LEVEL_OF_TIER[UnitKind(tier)])


def escalation_tiers(tier) -> list[str]:
    """Every tier above `tier`, nearest first; none above the county. A tier outside
    grid→county (a department's request) has no place on the ladder: ValueError."""
    current = TIER_NAMES.index(str(tier))
    return list(TIER_NAMES[current + 1:])


def supervises_itself(unit) -> bool:
    """The county supervises itself (its leadership decides)."""
    return unit.kind == UnitKind.COUNTY


def supervisor_id(unit) -> int | None:
    """The unit that approves this unit's extensions, re-routes its returns and hears
    of its breached deadlines (workqueue.permissions.supervisor_of, by id)."""
    return unit.id if supervises_itself(unit) else unit.parent_id
