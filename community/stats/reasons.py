"""差评 reasons counted per unit (DOMAIN.md "好差评": reasons are counted per unit).

Read from the ratings themselves, by the rating's day: a unit of an area (grid …
county) counts the ratings of requests in its area, a department those of the
requests it resolved (the rating's copy of its resolution's unit, 0036). A rating
excluded by an upheld appeal does not count.
"""
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from community.areas.models import Unit, UnitKind
from community.core.extensions import db
from community.ratings.models import Rating, RatingReason, Reason
from community.core.timeutil import local_zone

AREA_COLUMN = {UnitKind.GRID: Rating.grid_id, UnitKind.COMMUNITY: Rating.community_id,
               UnitKind.STREET: Rating.street_id, UnitKind.COUNTY: Rating.county_id}
REASONS = tuple(r.value for r in Reason)


def reason_counts(units: list[Unit], start: date, end: date) -> dict[int, dict[str, int]]:
    """{unit id: {reason: 差评 giving it}} for the local days start..end."""
    zone = local_zone()
    since = datetime.combine(start, time.min, tzinfo=zone)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
    counts = {u.id: dict.fromkeys(REASONS, 0) for u in units}
    by_kind = defaultdict(list)
    for unit in units:
        by_kind[UnitKind(unit.kind)].append(unit.id)
    for kind, ids in by_kind.items():
        column = AREA_COLUMN.get(kind, Rating.resolution_unit_id)
        query = (select(column, RatingReason.reason, func.count())
                 .select_from(RatingReason).join(Rating, Rating.id == RatingReason.rating_id)
                 .where(column.in_(ids), Rating.excluded.is_(False),
                        Rating.rated_at >= since, Rating.rated_at < until)
                 .group_by(column, RatingReason.reason))
        for unit_id, reason, n in db.session.execute(query):
            counts[unit_id][reason] = n
    return counts
