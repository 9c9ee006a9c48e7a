"""Resolutions (each 办结, kept so every one can be rated), ratings, 整改 cases, 申诉 appeals."""
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.areas.models import Unit
from community.auth.models import User
from community.core.dbtypes import UTCDateTime, enum_check
from community.core.extensions import db
from community.tickets.models import ResidentLink, Ticket


class Solved(StrEnum):
    YES = "yes"
    PARTLY = "partly"
    NO = "no"


class Level(StrEnum):
    VERY_SATISFIED = "very_satisfied"      # 非常满意
    SATISFIED = "satisfied"                # 满意
    BASIC = "basic"                        # 基本满意
    DISSATISFIED = "dissatisfied"          # 不满意
    VERY_DISSATISFIED = "very_dissatisfied"  # 非常不满意


BAD_LEVELS = frozenset({Level.DISSATISFIED, Level.VERY_DISSATISFIED})  # 差评


class Reason(StrEnum):
    """Why a 差评 (DOMAIN.md "好差评"); one or more per 差评, counted per unit."""
    NOT_SOLVED = "not_solved"        # 问题没解决
    TOO_SLOW = "too_slow"            # 办理太慢
    ATTITUDE = "attitude"            # 态度不好
    BUCK_PASSING = "buck_passing"    # 推诿扯皮
    NOT_CONTACTED = "not_contacted"  # 没联系我
    OTHER = "other"                  # 其他 (with text)


class RatingChannel(StrEnum):
    """How the rating reached us: the filer signed in (web or API), the single-use
    rating link texted to a request filed without an account, or a 回访 callback."""
    WEB = "web"
    API = "api"
    LINK = "link"
    CALLBACK = "callback"  # 回访: recorded by an officer of a unit that did not handle it


class Judge(StrEnum):
    """Who decides an appeal: the tier above the appealing unit, never itself."""
    STREET = "street"          # a grid's or community's appeal
    COUNTY = "county"          # a street's own appeal
    SUPERVISOR = "supervisor"  # county units' and departments' appeals: 考核办


class Resolution(db.Model):
    """One 办结 of a request. A reopened and resolved-again request has two,
    and each may be rated once (一事一评)."""

    __tablename__ = "resolutions"
    __table_args__ = (
        Index("ix_resolutions_grid_at", "grid_id", "resolved_at"),
        Index("ix_resolutions_community_at", "community_id", "resolved_at"),
        Index("ix_resolutions_street_at", "street_id", "resolved_at"),
        Index("ix_resolutions_county_at", "county_id", "resolved_at"),
        Index("ix_resolutions_unit_at", "unit_id", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    resolved_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    in_time: Mapped[bool] = mapped_column(default=True)  # 按时办结, extensions counted
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))  # the handling unit
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    grid_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    street_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    county_id: Mapped[int] = mapped_column(ForeignKey("units.id"))

    ticket: Mapped[Ticket] = relationship()
    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    handler: Mapped[User | None] = relationship(foreign_keys=[handler_id])
    rating: Mapped["Rating | None"] = relationship(back_populates="resolution")


class Rating(db.Model):
    __tablename__ = "ratings"
    __table_args__ = (
        CheckConstraint(enum_check("solved", Solved), name="solved"),
        CheckConstraint(enum_check("level", Level), name="level"),
        CheckConstraint(enum_check("channel", RatingChannel), name="channel"),
        # A unit's newest ratings, read from its own rows (0014).
        *(Index(f"ix_ratings_{area}_rated", f"{area}_id", "rated_at")
          for area in ("grid", "community", "street", "county")),
        Index("ix_ratings_rated_at", "rated_at"),
        # A department's newest ratings, from the handling unit kept on the row (0036),
        # and the ratings of its own resolutions by day (差评 reasons).
        Index("ix_ratings_handling_rated", "handling_unit_id", "rated_at"),
        Index("ix_ratings_resolution_unit_rated", "resolution_unit_id", "rated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique: one rating per resolution, enforced by the database too.
    resolution_id: Mapped[int] = mapped_column(ForeignKey("resolutions.id"), unique=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    solved: Mapped[str] = mapped_column(String(8))
    level: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    # Kept for the record; aggregates and public pages never show it.
    rater_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)  # a resident's export
    channel: Mapped[str] = mapped_column(String(8), default=RatingChannel.WEB,
                                         server_default=RatingChannel.WEB)
    # 回访: the officer who wrote down what the resident said (named in the audit).
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    other_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    # An upheld appeal excludes the rating from the figures; it is never deleted.
    excluded: Mapped[bool] = mapped_column(default=False)
    # The request's place, kept with it when it moves (ratings.wiring): a unit's list
    # of ratings then needs no join through every request the unit ever had.
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    street_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    county_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    # The unit handling the request now, kept with it when it moves (ratings.wiring): a
    # department's scope (tickets.access) read through its requests was every request it
    # ever handled (4,000 at 5M) for each page of its ratings, appeals and cases.
    handling_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    # The unit whose 办结 it rates (its resolution's unit_id; it never changes): a
    # department's 差评 reasons by day went through every resolution it ever made.
    resolution_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))

    resolution: Mapped[Resolution] = relationship(back_populates="rating")
    ticket: Mapped[Ticket] = relationship()
    case: Mapped["RectificationCase | None"] = relationship(back_populates="rating")
    appeal: Mapped["Appeal | None"] = relationship(back_populates="rating")
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    reasons: Mapped[list["RatingReason"]] = relationship(
        back_populates="rating", cascade="all, delete-orphan", order_by="RatingReason.reason")

    @property
    def is_bad(self) -> bool:
        return self.level in BAD_LEVELS

    @property
    def reason_codes(self) -> list[str]:
        return [r.reason for r in self.reasons]


class RatingReason(db.Model):
    """One reason of a 差评; a row each, so a unit's reasons are counted by GROUP BY."""

    __tablename__ = "rating_reasons"
    __table_args__ = (CheckConstraint(enum_check("reason", Reason), name="reason"),)

    rating_id: Mapped[int] = mapped_column(ForeignKey("ratings.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(16), primary_key=True)

    rating: Mapped[Rating] = relationship(back_populates="reasons")


class CaseState(StrEnum):
    OPEN = "open"              # waiting for the callback to the resident
    CALLED_BACK = "called_back"  # callback recorded, waiting for reopen or explanation
    ANSWERED = "answered"      # reopened or explained, waiting for the street's review
    CLOSED = "closed"          # the street reviewed and closed it


# The cases still being worked, by name: the (area, state) indexes and the partial index
# of open cases by due date (0033) answer `state IN (…)`, not `state <> 'closed'`.
LIVE_CASE_STATES = tuple(sorted(s.value for s in CaseState if s != CaseState.CLOSED))
LIVE_CASES_WHERE = "state IN (%s)" % ", ".join(f"'{s}'" for s in LIVE_CASE_STATES)


class RectificationCase(db.Model):
    """整改: every 差评 opens one, with a clock to start and a clock to close."""

    __tablename__ = "rectification_cases"
    __table_args__ = (
        CheckConstraint(enum_check("state", CaseState), name="state"),
        CheckConstraint("outcome IS NULL OR outcome IN ('reopen', 'explain')", name="outcome"),
        Index("ix_rectification_cases_street_state", "street_id", "state"),
        Index("ix_rectification_cases_community_state", "community_id", "state"),
        Index("ix_rectification_cases_handling_state", "handling_unit_id", "state"),  # 0036
        # The open cases by due date (/ratings/cases; 0033): the few open among every closed one.
        Index("ix_rectification_cases_live_due", "close_due_at", "id",
              postgresql_where=text(LIVE_CASES_WHERE), sqlite_where=text(LIVE_CASES_WHERE)),
        # The sweep's cursor; NULL once both clocks are settled, which is most rows.
        Index("ix_rectification_cases_check_at", "check_at",
              postgresql_where=text("check_at IS NOT NULL"), sqlite_where=text("check_at IS NOT NULL")),
        # The hotspot job reads the cases closed in its window (0027).
        Index("ix_rectification_cases_closed_at", "closed_at",
              postgresql_where=text("closed_at IS NOT NULL"), sqlite_where=text("closed_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("ratings.id"), unique=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    street_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    county_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    handling_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))  # as Rating's
    state: Mapped[str] = mapped_column(String(16), default=CaseState.OPEN)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    start_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    close_due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    due_provisional: Mapped[bool] = mapped_column(default=False)
    callback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    callback_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    callback_reached: Mapped[bool | None]
    callback_note: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str | None] = mapped_column(String(8))
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_note: Mapped[str] = mapped_column(Text, default="")
    # The SLA sweep's marks (community.sla.side) and when it next has one due.
    sla_flags: Mapped[int] = mapped_column(default=0)
    check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    rating: Mapped[Rating] = relationship(back_populates="case")
    ticket: Mapped[Ticket] = relationship()
    community: Mapped[Unit] = relationship(foreign_keys=[community_id])
    callback_by: Mapped[User | None] = relationship(foreign_keys=[callback_by_id])
    outcome_by: Mapped[User | None] = relationship(foreign_keys=[outcome_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])

    @property
    def closed_in_time(self) -> bool:
        return self.closed_at is not None and self.closed_at <= self.close_due_at


class AppealState(StrEnum):
    PENDING = "pending"
    UPHELD = "upheld"
    REJECTED = "rejected"


class Appeal(db.Model):
    """申诉: the handler says a rating is malicious or unrelated; the tier above the
    appealing unit decides (`judge`, fixed when it is filed)."""

    __tablename__ = "appeals"
    __table_args__ = (
        CheckConstraint(enum_check("state", AppealState), name="state"),
        CheckConstraint(enum_check("judge", Judge), name="judge"),
        Index("ix_appeals_street_state", "street_id", "state"),
        Index("ix_appeals_handling_filed", "handling_unit_id", "filed_at"),  # 0036
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("ratings.id"), unique=True)  # one appeal each
    street_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    handling_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))  # as Rating's
    state: Mapped[str] = mapped_column(String(16), default=AppealState.PENDING)
    judge: Mapped[str] = mapped_column(String(16), default=Judge.STREET, server_default=Judge.STREET)
    reason: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_note: Mapped[str] = mapped_column(Text, default="")

    rating: Mapped[Rating] = relationship(back_populates="appeal")
    filed_by: Mapped[User] = relationship(foreign_keys=[filed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


# The resolution a rating link was sent for (the link's model lives with the request's).
ResidentLink.resolution = relationship(Resolution)
