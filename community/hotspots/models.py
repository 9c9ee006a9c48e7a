"""Hotspots found by the daily job, the proactive tasks (主动治理) opened from them,
and the county's monthly topics (每月一题)."""
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.areas.models import Unit
from community.auth.models import User
from community.core.dbtypes import UTCDateTime, enum_check
from community.core.extensions import db
from community.projects.models import Project
from community.tickets.models import Category, Ticket


class HotspotKind(StrEnum):
    PLACE = "place"        # the same category in one grid (its 小区 named when they share one)
    DISTANCE = "distance"  # the same category within COMMUNITY_HOTSPOT_METRES, across grids
    REPEAT = "repeat"      # the same category again where a 差评 was rectified (整改 closed)


class HotspotState(StrEnum):
    OPEN = "open"        # found, nobody acted yet
    TASKED = "tasked"    # a proactive task is running
    DONE = "done"        # its task is done; its requests do not count towards a new hotspot
    LAPSED = "lapsed"    # no longer recurring in the window, nobody acted


class TaskState(StrEnum):
    OPEN = "open"
    DONE = "done"


class TopicState(StrEnum):
    OPEN = "open"
    DONE = "done"  # its result is public on /public/topics


class Hotspot(db.Model):
    __tablename__ = "hotspots"
    __table_args__ = (
        CheckConstraint(enum_check("kind", HotspotKind), name="kind"),
        CheckConstraint(enum_check("state", HotspotState), name="state"),
        Index("ix_hotspots_community_state", "community_id", "state"),
        Index("ix_hotspots_street_state", "street_id", "state"),
        Index("ix_hotspots_county_state", "county_id", "state"),
        Index("ix_hotspots_found_at", "found_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default=HotspotState.OPEN)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    # Where it is: the grid of a place hotspot; for the others the grid, community and
    # street most of its requests lie in (the community and street lists show it).
    grid_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    street_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    county_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    place_name: Mapped[str] = mapped_column(String(100), default="")  # the 小区 (address word)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("rectification_cases.id"), index=True)
    centre_lat: Mapped[float | None]
    centre_long: Mapped[float | None]
    ticket_count: Mapped[int] = mapped_column(default=0)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)  # its earliest request
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)   # its latest request
    found_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)   # the last run that found it

    category: Mapped[Category] = relationship()
    grid: Mapped[Unit] = relationship(foreign_keys=[grid_id])
    community: Mapped[Unit] = relationship(foreign_keys=[community_id])
    street: Mapped[Unit] = relationship(foreign_keys=[street_id])
    links: Mapped[list["HotspotTicket"]] = relationship(back_populates="hotspot",
                                                         order_by="HotspotTicket.ticket_id")
    task: Mapped["ProactiveTask | None"] = relationship(back_populates="hotspot")


class HotspotTicket(db.Model):
    __tablename__ = "hotspot_tickets"

    hotspot_id: Mapped[int] = mapped_column(ForeignKey("hotspots.id"), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True, index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)

    hotspot: Mapped[Hotspot] = relationship(back_populates="links")
    ticket: Mapped[Ticket] = relationship()


class ProactiveTask(db.Model):
    """主动治理: one per hotspot, opened by a unit over it, with an owner and a deadline."""

    __tablename__ = "proactive_tasks"
    __table_args__ = (
        CheckConstraint(enum_check("state", TaskState), name="state"),
        Index("ix_proactive_tasks_county_opened", "county_id", "opened_at"),
        Index("ix_proactive_tasks_done_at", "done_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hotspot_id: Mapped[int] = mapped_column(ForeignKey("hotspots.id"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))  # the opening unit
    community_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    street_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    county_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    plan: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[date] = mapped_column(Date)  # a local day: on time when done by its end
    state: Mapped[str] = mapped_column(String(16), default=TaskState.OPEN)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_on_time: Mapped[bool | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    result: Mapped[str] = mapped_column(Text, default="")
    told: Mapped[int] = mapped_column(default=0)  # residents told of the result

    hotspot: Mapped[Hotspot] = relationship(back_populates="task")
    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    opened_by: Mapped[User] = relationship(foreign_keys=[opened_by_id])
    done_by: Mapped[User | None] = relationship(foreign_keys=[done_by_id])


class MonthlyTopic(db.Model):
    """每月一题: one topic a month per county, picked from the proposals, led by units."""

    __tablename__ = "monthly_topics"
    __table_args__ = (
        CheckConstraint(enum_check("state", TopicState), name="state"),
        UniqueConstraint("county_id", "month", name="uq_monthly_topics_county_month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    month: Mapped[date] = mapped_column(Date)  # its first day
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    hotspot_id: Mapped[int | None] = mapped_column(ForeignKey("hotspots.id"))
    proposed_count: Mapped[int] = mapped_column(default=0)  # the count it was proposed with
    due_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), default=TopicState.OPEN)
    result: Mapped[str] = mapped_column(Text, default="")  # public once done
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    category: Mapped[Category | None] = relationship()
    hotspot: Mapped[Hotspot | None] = relationship()
    county: Mapped[Unit] = relationship(foreign_keys=[county_id])
    leads: Mapped[list["TopicUnit"]] = relationship(order_by="TopicUnit.unit_id")
    updates: Mapped[list["TopicUpdate"]] = relationship(order_by="(TopicUpdate.at, TopicUpdate.id)")
    projects: Mapped[list["TopicProject"]] = relationship(order_by="TopicProject.project_id")

    @property
    def lead_ids(self) -> set[int]:
        return {lead.unit_id for lead in self.leads}


class TopicUnit(db.Model):
    __tablename__ = "topic_units"

    topic_id: Mapped[int] = mapped_column(ForeignKey("monthly_topics.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)

    unit: Mapped[Unit] = relationship()


class TopicUpdate(db.Model):
    """Progress reported by a lead unit (or the county); staff read them, the public
    reads only the final result."""

    __tablename__ = "topic_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("monthly_topics.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text)

    unit: Mapped[Unit | None] = relationship()
    actor: Mapped[User] = relationship()


class TopicProject(db.Model):
    """A 民生小实事 project started for the topic."""

    __tablename__ = "topic_projects"

    topic_id: Mapped[int] = mapped_column(ForeignKey("monthly_topics.id"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), primary_key=True, index=True)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    linked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    project: Mapped[Project] = relationship()
