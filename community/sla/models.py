"""SLA policies (versioned by effective date), the working-day calendar year by year,
and the admin's working-day overrides."""
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.auth.models import User
from community.core.dbtypes import UTCDateTime
from community.core.extensions import db
from community.tickets.models import Category

SLA_CLASSES = ("urgent", "utilities", "general", "complex")
RESOLVE_UNITS = ("hours", "working_days")


class SlaPolicy(db.Model):
    """Clock lengths for one SLA class (or one category within it), from a date on.

    A clock takes the policy in force when it starts, and its deadline is
    stored on the ticket: a later policy never rewrites deadlines already set.
    Rows are never edited once in force; a change is a new row.
    """

    __tablename__ = "sla_policies"
    __table_args__ = (
        CheckConstraint("sla_class IN ('urgent', 'utilities', 'general', 'complex')",
                        name="sla_class"),
        CheckConstraint("resolve_unit IN ('hours', 'working_days')", name="resolve_unit"),
        CheckConstraint("response_hours BETWEEN 1 AND 720 AND accept_hours BETWEEN 1 AND 720 "
                        "AND resolve_amount BETWEEN 1 AND 720", name="amounts"),
        Index("ix_sla_policies_lookup", "sla_class", "category_id", "effective_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sla_class: Mapped[str] = mapped_column(String(16))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime)
    response_hours: Mapped[int] = mapped_column(default=24)
    accept_hours: Mapped[int] = mapped_column(default=24)
    resolve_unit: Mapped[str] = mapped_column(String(16), default="working_days")
    resolve_amount: Mapped[int] = mapped_column(default=7)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    category: Mapped[Category | None] = relationship()
    created_by: Mapped[User | None] = relationship()


class CalendarOverride(db.Model):
    """A day the admin declares a working day or a holiday, over chinese-calendar."""

    __tablename__ = "sla_calendar_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    working: Mapped[bool]
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    created_by: Mapped[User | None] = relationship()


CALENDAR_SOURCES = ("chinese-calendar", "import", "manual")


class CalendarYear(db.Model):
    """One year's schedule of public holidays and adjusted working days (调休), and where
    it came from. A year without a row is not known: its deadlines are provisional."""

    __tablename__ = "calendar_years"
    __table_args__ = (
        CheckConstraint("source IN ('chinese-calendar', 'import', 'manual')", name="source"),
    )

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200), default="")  # the notice's title, or a file's name
    text: Mapped[str] = mapped_column(Text, default="")  # what was imported, as it was given
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    loaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    loaded_by: Mapped[User | None] = relationship()
    days: Mapped[list["CalendarDay"]] = relationship(
        back_populates="schedule", cascade="all, delete-orphan", order_by="CalendarDay.day")


class CalendarDay(db.Model):
    """A day a year's schedule makes different from Monday–Friday: a holiday (a weekday
    off, or a weekend day inside a holiday period) or an adjusted working day."""

    __tablename__ = "calendar_days"
    __table_args__ = (UniqueConstraint("year", "day", name="uq_calendar_days_year_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # A notice may reach into the year before (元旦 from 31 December): the day is kept
    # under the schedule that named it; a year's own schedule wins for its own days.
    year: Mapped[int] = mapped_column(ForeignKey("calendar_years.year", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    working: Mapped[bool]
    name: Mapped[str] = mapped_column(String(40), default="")  # 元旦, 春节 …

    schedule: Mapped[CalendarYear] = relationship(back_populates="days")
