"""Figures and request lists as CSV or XLSX, phones masked (DOMAIN.md "Privacy")."""
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from community.auth.models import mask_phone
from community.core.bulkdb import any_of
from community.core.extensions import db
from community.web.labels import KIND, LEVEL as TICKET_LEVEL, STATE, TIER, category_label
from community.ratings.labels import LEVEL
from community.ratings.models import Rating
from community.tickets.models import Ticket
from community.core.timeutil import local_zone, to_local

from . import queries, sheets
from .formulas import ASSIST_RATES, FORMULA_VERSION, RATE_LABELS, RATES, Params, figures
from .labels import COUNT_LABELS, yes_no
from .models import COUNTS


FIGURE_RATES = RATES + ASSIST_RATES


def figure_rows(unit, start: date, end: date, params: Params):
    units = [unit] + queries.children(unit) + queries.departments(unit)
    sums = queries.sum_by_unit([u.id for u in units], start, end)
    header = [_("单位"), _("层级"), _("开始"), _("结束"), *[str(COUNT_LABELS[n]) for n in COUNTS],
              *[str(RATE_LABELS[r]) for r in FIGURE_RATES], str(RATE_LABELS["assist_score"]),
              _("有效评价"), _("满意率下限"), _("满意率上限"), _("参与排名"), _("公式版本")]
    rows = []
    for u in units:
        c = sums[u.id]
        f = figures(c, params)
        rows.append([u.name, _tier(u), start, end, *[c[n] for n in COUNTS],
                     *[_round(f[r]) for r in FIGURE_RATES], _round(f["assist_score"]),
                     f["valid_ratings"], _round(f["satisfaction_low"]), _round(f["satisfaction_high"]),
                     yes_no(f["ranked"]), FORMULA_VERSION])
    return header, rows


def reason_rows(unit, start: date, end: date):
    """差评 reasons per unit: the unit, the units under it, its county's departments."""
    from community.ratings.labels import REASON

    from .reasons import REASONS, reason_counts

    units = [unit] + queries.children(unit) + queries.departments(unit)
    counts = reason_counts(units, start, end)
    header = [_("单位"), _("层级"), _("开始"), _("结束"), *[str(REASON[r]) for r in REASONS]]
    return header, [[u.name, _tier(u), start, end, *[counts[u.id][r] for r in REASONS]]
                    for u in units]


WORKER_RATES = ("ontime_rate", "response_rate", "solve_rate", "satisfaction_rate", "composite")


def worker_rows(unit, start: date, end: date, params: Params, only_user: int | None = None):
    """Per worker (DOMAIN.md: seen by the worker and supervisors, never published)."""
    header = [_("工作人员"), _("单位"), _("开始"), _("结束"), _("办结"), _("按时办结"), _("首次响应"),
              _("按时响应"), _("有效评价"), _("已申诉"), _("申诉成立（已排除）"),
              *[str(RATE_LABELS[r]) for r in WORKER_RATES], _("公式版本")]
    rows = []
    for row in queries.workers(unit, start, end, params, only_user):
        c, f, user = row["counts"], row["f"], row["user"]
        rows.append([user.display_name if user else "", unit.name, start, end,
                     c["resolved"], c["resolved_in_time"], c["response_due"], c["responded_in_time"],
                     f["valid_ratings"], c["appealed"], c["appeals_upheld"],
                     *[_round(f[r]) for r in WORKER_RATES], FORMULA_VERSION])
    return header, rows


def _tier(unit):
    return str(TIER.get(unit.kind, unit.kind))


def _round(value):
    return "" if value is None else round(value, 4)


BATCH = 1000  # rows read, written and sent at a time: memory holds one batch


def request_rows(unit, start: date, end: date, limit: int, batch: int = BATCH):
    """The header and the unit's requests of the period as batches of rows (read as
    they are sent: a county at the row cap starts arriving at once)."""
    header = [_("查询码"), _("提交时间"), _("类型"), _("类别"), _("状态"), _("级别"), _("网格"), _("社区"),
              _("办理单位"), _("联系电话"), _("诉求内容"), _("办结时间"), _("最近评价")]
    return header, _request_batches(unit, start, end, limit, batch)


def _request_batches(unit, start: date, end: date, limit: int, batch: int):
    zone = local_zone()
    since = datetime.combine(start, time.min, tzinfo=zone)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
    column = queries.TICKET_COLUMN[unit.kind]
    query = (select(Ticket).where(column == unit.id, Ticket.submitted_at >= since, Ticket.submitted_at < until)
             .order_by(Ticket.submitted_at, Ticket.id).limit(limit)
             .options(selectinload(Ticket.category), selectinload(Ticket.grid),
                      selectinload(Ticket.community), selectinload(Ticket.handling_unit))
             .execution_options(yield_per=batch))
    for tickets in db.session.scalars(query).partitions():
        levels = {}
        for rating in db.session.scalars(select(Rating).where(any_of(Rating.ticket_id, [t.id for t in tickets]))
                                         .order_by(Rating.rated_at)):
            levels[rating.ticket_id] = str(LEVEL[rating.level]) + (_("（已排除）") if rating.excluded else "")
        yield [[t.tracking_code, _local(t.submitted_at), str(KIND.get(t.kind, t.kind)),
                category_label(t.category), str(STATE.get(t.state, t.state)),
                str(TICKET_LEVEL.get(t.level, t.level)), t.grid.name, t.community.name,
                t.handling_unit.name, mask_phone(t.contact_phone), t.text, _local(t.resolved_at),
                levels.get(t.id, "")] for t in tickets]


def _local(moment):
    # Local wall time without a zone: spreadsheets have no time zones.
    return to_local(moment).replace(tzinfo=None, second=0, microsecond=0) if moment else None


def _safe(value):
    # A text starting with = + - @ would run as a formula in a spreadsheet; CSV has no
    # cell types, so the apostrophe that spreadsheets hide is the guard there.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _csv_value(value):
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return _safe("" if value is None else value)


def as_csv(header, batches):
    """The CSV's bytes in pieces, one per batch of rows."""
    return sheets.csv_chunks(header, batches, _csv_value)


def as_xlsx(header, batches, title):
    """The XLSX's bytes in pieces: text as text cells (never a formula, no apostrophe
    added), dates and times as date cells (community.stats.sheets)."""
    return sheets.xlsx_chunks(header, batches, title)
