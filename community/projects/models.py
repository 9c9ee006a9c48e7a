"""民生小实事 projects: the library, deliberation, money, milestones, judging and the 三项清单."""
from datetime import date, datetime

from sqlalchemy import (BigInteger, CheckConstraint, Date, Float, ForeignKey, Index, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.areas.models import Unit
from community.auth.models import User
from community.core.dbtypes import UTCDateTime, enum_check
from community.core.extensions import db
from community.tickets.models import Category, Ticket

from .states import (CaseState, FundingSource, JudgingResult, MeetingDecision, PartnerKind,
                     PayeeKind, ProjectState, ResourceKind, Satisfaction, Source, VoteChoice)


class Project(db.Model):
    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint(enum_check("state", ProjectState), name="state"),
        CheckConstraint(enum_check("source", Source), name="source"),
        CheckConstraint("level BETWEEN 1 AND 3", name="level"),
        CheckConstraint("approved_budget_fen IS NULL OR approved_budget_fen >= 0", name="budget"),
        CheckConstraint("judging_result IS NULL OR " + enum_check("judging_result", JudgingResult),
                        name="judging_result"),
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
    # The street's rules this project is decided and judged by, fixed when deliberation
    # opens (None before that, or when no street has set any: the configured defaults).
    rules_id: Mapped[int | None] = mapped_column(ForeignKey("project_rules.id"))
    judging_result: Mapped[str | None] = mapped_column(String(16))
    # Hidden by the community office (personal data, abuse); the reason is public.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_reason: Mapped[str] = mapped_column(Text, default="")
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
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
    rules: Mapped["ProjectRules | None"] = relationship()
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
    """One entry of the ledger. Never edited: a mistake is undone by a reversing entry
    (the negative amount, pointing at the line it reverses, with a reason)."""

    __tablename__ = "project_spending"
    __table_args__ = (
        CheckConstraint("(reverses_id IS NULL AND amount_fen > 0) OR "
                        "(reverses_id IS NOT NULL AND amount_fen < 0)", name="amount"),
        CheckConstraint(enum_check("source", FundingSource), name="source"),
        CheckConstraint(enum_check("payee_kind", PayeeKind), name="payee_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    spent_on: Mapped[date] = mapped_column(Date)
    item: Mapped[str] = mapped_column(String(200))
    payee: Mapped[str] = mapped_column(String(100), default="")  # as typed: staff only
    payee_kind: Mapped[str] = mapped_column(String(12), default=PayeeKind.ORGANISATION)
    source: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("project_spending.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text, default="")  # why a reversing entry was made
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    reverses: Mapped["SpendingLine | None"] = relationship(remote_side=[id], foreign_keys=[reverses_id])
    reversed_by: Mapped["SpendingLine | None"] = relationship(
        foreign_keys=[reverses_id], viewonly=True, uselist=False,
        primaryjoin="SpendingLine.id == remote(SpendingLine.reverses_id)")


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
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_reason: Mapped[str] = mapped_column(Text, default="")  # public
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    author: Mapped[User] = relationship(foreign_keys=[author_id])


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
    """The resident meeting (居民会议 / 议事会) held on a proposal: a signed record that
    adds to the residents' votes and never stands in for them."""

    __tablename__ = "project_meetings"
    __table_args__ = (
        CheckConstraint(enum_check("decision", MeetingDecision), name="decision"),
        CheckConstraint("attendees > 0 AND supporters >= 0 AND opposers >= 0 "
                        "AND supporters + opposers <= attendees", name="counts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    attendees: Mapped[int]
    supporters: Mapped[int]
    opposers: Mapped[int] = mapped_column(default=0)
    decision: Mapped[str] = mapped_column(String(16))
    signed_name: Mapped[str] = mapped_column(String(64), default="")  # the recorder's signature
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


class ProjectRules(db.Model):
    """The street's deliberation and judging rules for its communities. Rows are never
    changed: a change is a new row (the next version), dated and signed, and public."""

    __tablename__ = "project_rules"
    __table_args__ = (
        UniqueConstraint("street_id", "version", name="uq_project_rules_street_version"),
        CheckConstraint("support_min >= 0 AND quorum >= 0 AND judging_turnout >= 0", name="counts"),
        CheckConstraint("oppose_block_share > 0 AND oppose_block_share <= 1", name="oppose_share"),
        CheckConstraint("satisfaction_line >= 0 AND satisfaction_line <= 1", name="line"),
        CheckConstraint("judging_days >= 1", name="judging_days"),
        Index("ix_project_rules_street_community", "street_id", "community_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))  # None: all of them
    version: Mapped[int]
    support_min: Mapped[int]                 # residents supporting, at least
    oppose_block_share: Mapped[float] = mapped_column(Float)  # 反对 / votes cast that blocks
    quorum: Mapped[int]                      # votes cast, at least
    judging_days: Mapped[int]                # 成效评判 lasts at least this long
    judging_turnout: Mapped[int]             # ratings needed before judging can close
    satisfaction_line: Mapped[float] = mapped_column(Float)  # 满意率 under it opens 整改
    reason: Mapped[str] = mapped_column(Text, default="")
    set_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)

    street: Mapped[Unit] = relationship(foreign_keys=[street_id])
    community: Mapped[Unit | None] = relationship(foreign_keys=[community_id])


class ProjectCase(db.Model):
    """整改: a project judged under the 满意 line. The office reports what it put right
    before `due_at`; the unit above (street, or the county for 三级) closes the case."""

    __tablename__ = "project_cases"
    __table_args__ = (CheckConstraint(enum_check("state", CaseState), name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), unique=True)
    state: Mapped[str] = mapped_column(String(12), default=CaseState.OPEN)
    satisfaction: Mapped[float | None] = mapped_column(Float)  # the judged 满意率
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # set once, by the check
    report: Mapped[str] = mapped_column(Text, default="")              # public
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_note: Mapped[str] = mapped_column(Text, default="")         # public
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    project: Mapped[Project] = relationship()


class NeedLink(db.Model):
    """三项清单 对接: a need (a category in a community) answered by a named resource."""

    __tablename__ = "need_links"
    __table_args__ = (Index("ix_need_links_community_category", "community_id", "category_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    resource_id: Mapped[int] = mapped_column(ForeignKey("community_resources.id"))
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    resource: Mapped["Resource"] = relationship()


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
