"""What the dashboards read: rollup sums (never raw requests), plus two small
indexed live lists (overdue now, open 差评 cases)."""
import functools
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from community.areas.models import Unit, UnitKind
from community.auth.models import Role, User
from community.auth.scope import UNIT_COLUMN, scope_column
from community.core.errors import NotFound
from community.core.bulkdb import any_of
from community.core.extensions import db
from community.ratings.models import CaseState, RectificationCase
from community.tickets.models import Category, Ticket, overdue_clause

from .formulas import Params, add_counts, figures
from .models import COUNTS, StatCategoryDaily, StatDaily, StatWorkerDaily

CHILD_KIND = {UnitKind.COUNTY: UnitKind.STREET, UnitKind.STREET: UnitKind.COMMUNITY,
              UnitKind.COMMUNITY: UnitKind.GRID}
TICKET_COLUMN = {kind: getattr(Ticket, name) for kind, name in UNIT_COLUMN.items()}
PERIODS = (7, 28, 90, 365)


def visible_unit(user: User, unit_id: int) -> Unit:
    """The unit if `user` may see its figures: their own unit or one inside it."""
    unit = db.session.get(Unit, unit_id)
    if unit is None or not user.is_authenticated or not user.is_staff:
        raise NotFound()
    if user.role == Role.ADMIN or user.unit_id == unit.id:
        return unit
    column = scope_column(user, Unit)  # a grid's or a department's staff: only their own unit
    if column is not None and getattr(unit, column) == user.unit_id:
        return unit
    raise NotFound()


def children(unit: Unit) -> list[Unit]:
    kind = CHILD_KIND.get(UnitKind(unit.kind))
    if kind is None:
        return []
    return list(db.session.scalars(select(Unit).where(
        Unit.parent_id == unit.id, Unit.kind == kind, Unit.active.is_(True)).order_by(Unit.code)))


@functools.cache
def _sums(model):
    """The summed columns of a daily-counts model, built once: SQLAlchemy expressions are
    immutable, and building the 20 of them was about half of each figures query's Python time."""
    return [func.coalesce(func.sum(getattr(model, name)), 0).label(name) for name in COUNTS]


def _counts(row) -> dict:
    """A summed row (its key first, then _sums' columns in COUNTS order) as counts: by
    position, not by name (28 look-ups by name per row were ~15 ms for a county's 780 grids)."""
    return dict(zip(COUNTS, map(int, row[1:])))


def sum_by_unit(unit_ids, start: date, end: date) -> dict[int, dict]:
    """Summed counts per unit over [start, end] (local days, inclusive). The ids travel as
    one array (a county's 780 grids as an IN list cost the driver ~4 ms to split)."""
    if not unit_ids:
        return {}
    rows = db.session.execute(
        select(StatDaily.unit_id, *_sums(StatDaily))
        .where(any_of(StatDaily.unit_id, unit_ids), StatDaily.day >= start, StatDaily.day <= end)
        .group_by(StatDaily.unit_id))
    out = {unit_id: dict.fromkeys(COUNTS, 0) for unit_id in unit_ids}
    for row in rows:
        out[row.unit_id] = _counts(row)
    return out


def sum_by_kind(kind: str, start: date, end: date, unit_ids: list[int] | None = None) -> dict[int, dict]:
    """Counts per unit of a kind over the days; only `unit_ids` when given (a county's streets)."""
    query = (select(StatDaily.unit_id, *_sums(StatDaily))
             .where(StatDaily.unit_kind == kind, StatDaily.day >= start, StatDaily.day <= end))
    if unit_ids is not None:
        query = query.where(any_of(StatDaily.unit_id, unit_ids))
    rows = db.session.execute(query.group_by(StatDaily.unit_id))
    return {row.unit_id: _counts(row) for row in rows}


def weekly_trend(unit_id: int, today: date, weeks: int = 12) -> list[tuple[date, dict]]:
    """The unit's counts per week (Monday first), the last `weeks` weeks up to this one."""
    first = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    rows = db.session.scalars(select(StatDaily).where(
        StatDaily.unit_id == unit_id, StatDaily.day >= first, StatDaily.day <= today))
    buckets = {first + timedelta(weeks=i): [] for i in range(weeks)}
    for row in rows:
        buckets[row.day - timedelta(days=row.day.weekday())].append(row)
    return [(week, add_counts(items)) for week, items in buckets.items()]


def categories(unit_id: int, start: date, end: date, params: Params) -> list[dict]:
    """Per category, worst satisfaction first; categories under the minimum sample last."""
    rows = db.session.execute(
        select(StatCategoryDaily.category_id, *_sums(StatCategoryDaily))
        .where(StatCategoryDaily.unit_id == unit_id, StatCategoryDaily.day >= start,
               StatCategoryDaily.day <= end)
        .group_by(StatCategoryDaily.category_id))
    names = {c.id: c for c in db.session.scalars(select(Category))}
    out = []
    for row in rows:
        counts = _counts(row)
        figs = figures(counts, params)
        if figs["valid_ratings"]:
            out.append({"category": names.get(row.category_id), "counts": counts, "f": figs})
    out.sort(key=lambda r: (not r["f"]["ranked"], r["f"]["satisfaction_rate"], -r["f"]["bad_ratings"]))
    return out


def most_filed_categories(unit_id: int, start: date, end: date, limit: int) -> list[tuple[int, int]]:
    """(category id, requests filed) of a street or county over [start, end] (local days),
    most first: from the category rollups, never the requests themselves."""
    filed = func.sum(StatCategoryDaily.filed)
    return [(category_id, int(n)) for category_id, n in db.session.execute(
        select(StatCategoryDaily.category_id, filed)
        .where(StatCategoryDaily.unit_id == unit_id, StatCategoryDaily.day >= start, StatCategoryDaily.day <= end)
        .group_by(StatCategoryDaily.category_id).having(filed > 0)
        .order_by(filed.desc(), StatCategoryDaily.category_id).limit(limit))]


def departments(unit: Unit) -> list[Unit]:
    """A county's departments (measured beside its streets)."""
    if unit.kind != UnitKind.COUNTY:
        return []
    return list(db.session.scalars(select(Unit).where(
        Unit.parent_id == unit.id, Unit.kind == UnitKind.DEPARTMENT, Unit.active.is_(True))
        .order_by(Unit.code)))


def workers(unit: Unit, start: date, end: date, params: Params, only_user: int | None = None):
    """Per worker of the unit over [start, end]: their summed counts and figures, most
    resolutions first. `only_user`: that worker's own row only."""
    query = (select(StatWorkerDaily.user_id, *_sums(StatWorkerDaily))
             .where(StatWorkerDaily.unit_id == unit.id, StatWorkerDaily.day >= start,
                    StatWorkerDaily.day <= end).group_by(StatWorkerDaily.user_id))
    if only_user is not None:
        query = query.where(StatWorkerDaily.user_id == only_user)
    rows = db.session.execute(query).all()
    people = {u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_([r.user_id for r in rows])))} if rows else {}
    out = []
    for row in rows:
        counts = _counts(row)
        out.append({"user": people.get(row.user_id), "counts": counts, "f": figures(counts, params)})
    out.sort(key=lambda r: (-r["counts"]["resolved"], r["user"].username if r["user"] else ""))
    return out


def league(units: list[Unit], sums: dict[int, dict], params: Params):
    """Ranked units (enough valid ratings, best composite first) and the rest, unranked."""
    rows = [{"unit": u, "counts": sums.get(u.id) or dict.fromkeys(COUNTS, 0)} for u in units]
    for row in rows:
        row["f"] = figures(row["counts"], params)
    ranked = sorted((r for r in rows if r["f"]["ranked"] and r["f"]["composite"] is not None),
                    key=lambda r: -r["f"]["composite"])
    placed = {id(r) for r in ranked}  # not `r in ranked`: that compared dicts, n² at 1,800 rows
    unranked = [r for r in rows if id(r) not in placed]
    return ranked, unranked


def overdue_now(unit: Unit, now: datetime, limit: int = 10):
    column = TICKET_COLUMN[UnitKind(unit.kind)]
    # No state test (overdue_clause): a county's index answers (5M: 32–84 ms → 2.5 ms).
    where = (column == unit.id, overdue_clause(now))
    count = db.session.scalar(select(func.count()).select_from(Ticket).where(*where))
    rows = list(db.session.scalars(
        select(Ticket).where(*where).order_by(Ticket.next_due_at).limit(limit)
        .options(joinedload(Ticket.category), joinedload(Ticket.handling_unit))))
    return count, rows


def open_cases(unit: Unit, limit: int = 10):
    kind = UnitKind(unit.kind)
    # The live states by name, so the (community or street, state) indexes answer; a
    # county's through its streets: its own column's index held every case it ever had
    # (18,000 at 5M, 0.2 s) to find the hundred open ones (issue 30).
    live = [s.value for s in CaseState if s != CaseState.CLOSED]
    base = select(RectificationCase).where(RectificationCase.state.in_(live))
    if kind == UnitKind.COUNTY:
        streets = select(Unit.id).where(Unit.county_id == unit.id, Unit.kind == UnitKind.STREET)
        base = base.where(RectificationCase.county_id == unit.id,
                          RectificationCase.street_id.in_(streets))
    elif kind in (UnitKind.COMMUNITY, UnitKind.STREET):
        base = base.where(getattr(RectificationCase, f"{kind.value}_id") == unit.id)
    elif kind == UnitKind.DEPARTMENT:  # its copy of the request's handling unit (0036)
        base = base.where(RectificationCase.handling_unit_id == unit.id)
    else:
        base = base.join(Ticket, Ticket.id == RectificationCase.ticket_id).where(
            TICKET_COLUMN[kind] == unit.id)
    count = db.session.scalar(select(func.count()).select_from(base.subquery()))
    rows = list(db.session.scalars(
        base.order_by(RectificationCase.close_due_at).limit(limit)
        .options(joinedload(RectificationCase.ticket), joinedload(RectificationCase.community))))
    return count, rows
