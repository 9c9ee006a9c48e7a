"""民生小实事 projects: the library, deliberation, money, milestones, judging and the 三项清单."""
from datetime import date, datetime

from sqlalchemy import (BigInteger, CheckConstraint, Date, Float, ForeignKey, Index, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.areas.models import Unit
from community.auth.models import User
from community.dbtypes import UTCDateTime, enum_check
from community.extensions import db
from community.tickets.models import Category, Ticket

from .states import (FundingSource, MeetingDecision, PartnerKind, ProjectState, ResourceKind,
                     Satisfaction, Source, VoteChoice)


class Project(db.Model):
    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint(enum_check("state", ProjectState), name="state"),
        CheckConstraint(enum_check("source", Source), name="source"),
        CheckConstraint("level BETWEEN 1 AND 3", name="level"),
        CheckConstraint("approved_budget_fen IS NULL OR approved_budget_fen >= 0", name="budget"),
        Index("ix_projects_community_state", "community_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    level: Mapped[int] = mapped_column(default=1)  # 一二三级, decides the approver
    state: Mapped[str] = mapped_column(String(16), default=ProjectState.PROPOSED)
    source: Mapped[str] = mapped_column(String(16))
    community_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    street_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    proposer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # never shown publicly
    lead_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    # Fixed at approval from the funding lines; spending beyond it needs a BudgetApproval.
    approved_budget_fen: Mapped[int | None] = mapped_column(BigInteger)
    reject_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Optimistic lock: two spending lines entered at once cannot both pass the budget check.
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    category: Mapped[Category | None] = relationship()
    community: Mapped[Unit] = relationship(foreign_keys=[community_id])
    street: Mapped[Unit] = relationship(foreign_keys=[street_id])
    lead_unit: Mapped[Unit | None] = relationship(foreign_keys=[lead_unit_id])
    proposer: Mapped[User | None] = relationship(foreign_keys=[proposer_id])
    events: Mapped[list["ProjectEvent"]] = relationship(
        back_populates="project", order_by="(ProjectEvent.at, ProjectEvent.id)")
    partners: Mapped[list["ProjectPartner"]] = relationship(order_by="ProjectPartner.id")
    funding: Mapped[list["FundingLine"]] = relationship(order_by="FundingLine.id")
    spending: Mapped[list["SpendingLine"]] = relationship(
        order_by="(SpendingLine.spent_on, SpendingLine.id)")
    budget_approvals: Mapped[list["BudgetApproval"]] = relationship(order_by="BudgetApproval.id")
    milestones: Mapped[list["Milestone"]] = relationship(order_by="(Milestone.due_on, Milestone.id)")
    meetings: Mapped[list["Meeting"]] = relationship(order_by="(Meeting.held_on, Meeting.id)")


class ProjectEvent(db.Model):
    """One row per change: who, when, from, to, note (as for requests)."""

    __tablename__ = "project_events"
    __table_args__ = (Index("ix_project_events_project_at", "project_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(24))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")

    project: Mapped[Project] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class ProjectTicket(db.Model):
    """A 建议 request promoted into a project; a request feeds at most one project."""

    __tablename__ = "project_tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship()
    ticket: Mapped[Ticket] = relationship()


class ProjectPartner(db.Model):
    """Lead and partner units: an office in the system, or a named company / organisation."""

    __tablename__ = "project_partners"
    __table_args__ = (
        CheckConstraint(enum_check("kind", PartnerKind), name="kind"),
        CheckConstraint("unit_id IS NOT NULL OR length(name) > 0", name="named"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    name: Mapped[str] = mapped_column(String(100), default="")
    duty: Mapped[str] = mapped_column(String(200), default="")

    unit: Mapped[Unit | None] = relationship()

    @property
    def label(self) -> str:
        return self.unit.name if self.unit is not None else self.name


class FundingLine(db.Model):
    __tablename__ = "project_funding"
    __table_args__ = (
        CheckConstraint(enum_check("source", FundingSource), name="source"),
        CheckConstraint("amount_fen > 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    source: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(String(200), default="")


class BudgetApproval(db.Model):
    """追加预算: spending past the approved budget, approved by the street or county."""

    __tablename__ = "project_budget_approvals"
    __table_args__ = (CheckConstraint("extra_fen > 0", name="extra"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    extra_fen: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    approved_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    approving_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    approving_unit: Mapped[Unit] = relationship()


class SpendingLine(db.Model):
    __tablename__ = "project_spending"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount"),
        CheckConstraint(enum_check("source", FundingSource), name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    spent_on: Mapped[date] = mapped_column(Date)
    item: Mapped[str] = mapped_column(String(200))
    payee: Mapped[str] = mapped_column(String(100), default="")  # a company or organisation
    source: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Milestone(db.Model):
    __tablename__ = "project_milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)

    def status(self, today: date) -> str:
        """on_time · late (done after the date) · overdue (not done, date passed) · pending."""
        if self.done_on is not None:
            return "on_time" if self.done_on <= self.due_on else "late"
        return "overdue" if today > self.due_on else "pending"


class ProjectPost(db.Model):
    """The discussion thread of a proposal (协商议事 online)."""

    __tablename__ = "project_posts"
    __table_args__ = (Index("ix_project_posts_project_at", "project_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    author: Mapped[User] = relationship()


class Vote(db.Model):
    __tablename__ = "project_votes"
    __table_args__ = (
        UniqueConstraint("project_id", "user_id", name="uq_project_votes_project_user"),
        CheckConstraint(enum_check("choice", VoteChoice), name="choice"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    choice: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Meeting(db.Model):
    """The resident meeting (居民会议 / 议事会) held on a proposal."""

    __tablename__ = "project_meetings"
    __table_args__ = (
        CheckConstraint(enum_check("decision", MeetingDecision), name="decision"),
        CheckConstraint("attendees > 0 AND supporters >= 0 AND supporters <= attendees",
                        name="counts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    attendees: Mapped[int]
    supporters: Mapped[int]
    decision: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text, default="")
    minutes_name: Mapped[str | None] = mapped_column(String(80), unique=True)  # random stored name
    minutes_type: Mapped[str | None] = mapped_column(String(32))
    minutes_size: Mapped[int | None]
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProjectRating(db.Model):
    """成效群众评判: one rating per resident of the community per project."""

    __tablename__ = "project_ratings"
    __table_args__ = (
        UniqueConstraint("project_id", "user_id", name="uq_project_ratings_project_user"),
        CheckConstraint(enum_check("satisfaction", Satisfaction), name="satisfaction"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    satisfaction: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class CommunityProjectSettings(db.Model):
    """Deliberation thresholds of one community; absent means the configured defaults."""

    __tablename__ = "community_project_settings"
    __table_args__ = (
        CheckConstraint("support_min >= 0", name="support_min"),
        CheckConstraint("meeting_share > 0 AND meeting_share <= 1", name="meeting_share"),
    )

    community_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    support_min: Mapped[int]
    meeting_share: Mapped[float] = mapped_column(Float)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Resource(db.Model):
    """服务资源清单: facilities, social organisations, volunteers, staff capacity."""

    __tablename__ = "community_resources"
    __table_args__ = (
        CheckConstraint(enum_check("kind", ResourceKind), name="kind"),
        Index("ix_community_resources_community_kind", "community_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    hours: Mapped[str] = mapped_column(String(100), default="")    # facilities: opening hours
    skills: Mapped[str] = mapped_column(String(200), default="")   # volunteers
    capacity: Mapped[int | None]                                   # people or hours a week
    contact: Mapped[str] = mapped_column(String(100), default="")  # staff-only
    categories: Mapped[str] = mapped_column(String(200), default="")  # codes it answers: "ELD,HLT"
    note: Mapped[str] = mapped_column(String(500), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def category_codes(self) -> list[str]:
        return [c for c in (self.categories or "").split(",") if c]
