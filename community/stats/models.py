"""Daily rollups: counts (never ratios) per unit and local day, rebuilt from raw rows."""
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from community.dbtypes import UTCDateTime
from community.extensions import db

# Every count the formulas need (community.stats.formulas). Attributed by day:
#   filed … returned   — the local day the request was filed;
#   resolved … bad_*   — the local day of the resolution (ratings belong to it).
COUNTS = (
    "filed", "response_due", "responded_in_time", "arrived", "accepted_in_time", "returned",
    "resolved", "resolved_in_time", "reopened",
    "rated", "appeals_upheld",
    "very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied",
    "solved_yes", "solved_partly", "solved_no", "bad_rectified_in_time",
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
