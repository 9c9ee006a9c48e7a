"""Daily rollups: counts (never ratios) per unit and local day, rebuilt from raw rows."""
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from community.core.dbtypes import UTCDateTime
from community.core.extensions import db

# Every count the formulas need (community.stats.formulas). Attributed by day:
#   filed, returned      — the local day the request was filed;
#   response_*, arrived, accepted_* — the local day the clock ended (answered or
#                          accepted in time, else its deadline): a clock still running
#                          is not yet due;
#   resolved … bad_*     — the local day of the resolution (ratings belong to it);
#   assist_*             — a department's 吹哨 tasks: the day each clock ended, the day
#                          of the summoning unit's score.
COUNTS = (
    "filed", "response_due", "responded_in_time", "arrived", "accepted_in_time", "returned",
    "resolved", "resolved_in_time", "reopened",
    "rated", "appeals_upheld", "appealed",
    "very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied",
    "solved_yes", "solved_partly", "solved_no", "bad_rectified_in_time",
    "assist_report_due", "assist_reported_in_time", "assist_finish_due", "assist_finished_in_time",
    "assist_scored", "assist_score_total",
)


class _Counts:
    filed: Mapped[int] = mapped_column(default=0)
    response_due: Mapped[int] = mapped_column(default=0)
    responded_in_time: Mapped[int] = mapped_column(default=0)
    arrived: Mapped[int] = mapped_column(default=0)
    accepted_in_time: Mapped[int] = mapped_column(default=0)
    returned: Mapped[int] = mapped_column(default=0)
    resolved: Mapped[int] = mapped_column(default=0)
    resolved_in_time: Mapped[int] = mapped_column(default=0)
    reopened: Mapped[int] = mapped_column(default=0)
    rated: Mapped[int] = mapped_column(default=0)            # all ratings, excluded ones too
    appeals_upheld: Mapped[int] = mapped_column(default=0)   # ratings excluded by an appeal
    appealed: Mapped[int] = mapped_column(default=0)         # ratings appealed, whatever the decision
    # The rest count valid ratings only (rated − appeals_upheld).
    very_satisfied: Mapped[int] = mapped_column(default=0)
    satisfied: Mapped[int] = mapped_column(default=0)
    basic: Mapped[int] = mapped_column(default=0)
    dissatisfied: Mapped[int] = mapped_column(default=0)
    very_dissatisfied: Mapped[int] = mapped_column(default=0)
    solved_yes: Mapped[int] = mapped_column(default=0)
    solved_partly: Mapped[int] = mapped_column(default=0)
    solved_no: Mapped[int] = mapped_column(default=0)
    bad_rectified_in_time: Mapped[int] = mapped_column(default=0)
    # 吹哨报到 (departments): 报到 and finishing on time, and the summoning unit's 1–5 scores.
    assist_report_due: Mapped[int] = mapped_column(default=0)
    assist_reported_in_time: Mapped[int] = mapped_column(default=0)
    assist_finish_due: Mapped[int] = mapped_column(default=0)
    assist_finished_in_time: Mapped[int] = mapped_column(default=0)
    assist_scored: Mapped[int] = mapped_column(default=0)
    assist_score_total: Mapped[int] = mapped_column(default=0)

    def counts(self) -> dict:
        return {name: getattr(self, name) for name in COUNTS}


class StatDaily(_Counts, db.Model):
    """One row per unit (grid, community, street, county, department) and day with activity."""

    __tablename__ = "stat_daily"
    __table_args__ = (
        UniqueConstraint("unit_id", "day", name="uq_stat_daily_unit_day"),
        Index("ix_stat_daily_kind_day", "unit_kind", "day"),
        Index("ix_stat_daily_day", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    unit_kind: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StatCategoryDaily(_Counts, db.Model):
    """The same counts split by category, for streets and counties (worst categories)."""

    __tablename__ = "stat_category_daily"
    __table_args__ = (
        UniqueConstraint("unit_id", "day", "category_id", name="uq_stat_category_daily_unit_day_cat"),
        Index("ix_stat_category_daily_day", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StatWorkerDaily(_Counts, db.Model):
    """The same counts per worker (the handler of each resolution, the author of each
    first response) within a unit: seen by the worker and their supervisors, never published."""

    __tablename__ = "stat_worker_daily"
    __table_args__ = (
        UniqueConstraint("unit_id", "user_id", "day", name="uq_stat_worker_daily_unit_user_day"),
        Index("ix_stat_worker_daily_day", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
