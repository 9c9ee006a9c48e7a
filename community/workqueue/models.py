"""Handling records around a request: assist tasks (吹哨报到), extensions,
contact reveals and the resident's notifications."""
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.areas.models import Unit
from community.auth.models import User
from community.core.dbtypes import UTCDateTime, enum_check
from community.core.extensions import db
from community.tickets.models import Ticket, TicketEvent, event_key


class AssistState(StrEnum):
    OPEN = "open"          # summoned, not yet acknowledged (报到)
    ACCEPTED = "accepted"  # the department has reported in
    DONE = "done"          # the department's part is finished
    CANCELLED = "cancelled"  # the request ended before the department finished


class AssistTask(db.Model):
    """A county department summoned to a request (吹哨报到), with its own clock."""

    __tablename__ = "assist_tasks"
    __table_args__ = (
        CheckConstraint(enum_check("state", AssistState), name="state"),
        Index("ix_assist_tasks_department_state", "department_id", "state"),
        CheckConstraint("score IS NULL OR score BETWEEN 1 AND 5", name="score"),
        # The figures find the tasks whose clocks ended, or that were scored, on a day (0016).
        *(Index(f"ix_assist_tasks_{column}", column) for column in
          ("report_due_at", "accepted_at", "done_at", "scored_at")),
        # The sweep's cursor; NULL once the task is settled, which is most rows.
        Index("ix_assist_tasks_check_at", "check_at",
              postgresql_where=text("check_at IS NOT NULL"), sqlite_where=text("check_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The summoning unit (a street or the county): it scores the help (双向考核).
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    state: Mapped[str] = mapped_column(String(16), default=AssistState.OPEN)
    reason: Mapped[str] = mapped_column(Text, default="")
    report: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    due_provisional: Mapped[bool] = mapped_column(default=False)

    report_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 报到 by then
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The summoning unit's score of the help, 1–5, once the task is done.
    score: Mapped[int | None]
    score_note: Mapped[str] = mapped_column(Text, default="")
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scored_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The SLA sweep's marks (community.sla.side) and when it next has one due.
    sla_flags: Mapped[int] = mapped_column(default=0)
    check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    ticket: Mapped[Ticket] = relationship()
    department: Mapped[Unit] = relationship(foreign_keys=[department_id])
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    unit: Mapped[Unit | None] = relationship(foreign_keys=[unit_id])
    scored_by: Mapped[User | None] = relationship(foreign_keys=[scored_by_id])


class ExtensionState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ExtensionRequest(db.Model):
    """延期: asked by the handler, decided by the supervising tier, shown to the resident."""

    __tablename__ = "extension_requests"
    __table_args__ = (
        CheckConstraint(enum_check("state", ExtensionState), name="state"),
        CheckConstraint("days BETWEEN 1 AND 30", name="days"),
        # Supervisors' queue pages read the pending ones (migration 0009).
        Index("ix_extension_requests_pending", "requested_at",
              postgresql_where=text("state = 'pending'"), sqlite_where=text("state = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    days: Mapped[int]  # working days added to the resolution deadline
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default=ExtensionState.PENDING)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    old_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    new_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    ticket: Mapped[Ticket] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class ContactReveal(db.Model):
    """Every time a handler unmasks a resident's phone number."""

    __tablename__ = "contact_reveals"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    ticket: Mapped[Ticket] = relationship()


class Notification(db.Model):
    """A message to a resident: shown in the app, and sent out by the sender.

    Rows with sent_at NULL are the outgoing queue: a worker sends them, so a
    sender or Redis outage delays messages instead of losing them.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_created", "user_id", "created_at"),
        Index("ix_notifications_unsent", "sent_at", "created_at"),
        Index("ix_notifications_ticket", "ticket_id"),  # a request's texts, for anonymising (0018)
        *event_key("notifications"),
        # One message per event. Partitioned by month of created_at on PostgreSQL (0030), the
        # table can only be unique on keys holding created_at; a message about an event is
        # created at the event's time (the CHECK), so (event_id, created_at) is as strict
        # as event_id alone was.
        UniqueConstraint("event_id", "created_at", name="uq_notifications_event_id"),
        CheckConstraint("event_at IS NULL OR created_at = event_at", name="event_time"),
    )

    # (id, created_at): a partitioned table's key holds its partition key; the ORM knows a
    # row by its id (one sequence), see TicketEvent.
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    phone: Mapped[str] = mapped_column(String(20), default="")
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    event_id: Mapped[int | None]
    event_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the event's `at` (0030)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))  # 民生小实事 news
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    send_attempts: Mapped[int] = mapped_column(default=0)
    # As a text (issue 26): the template and its parameters (community.sms.templates),
    # what became of it (community.sms.services: pending … delivered / refused …),
    # and the gateway's id for it, which its delivery receipt names.
    template: Mapped[str] = mapped_column(String(32), default="")
    params: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="")
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_detail: Mapped[str] = mapped_column(String(200), default="")
    gateway_ref: Mapped[str | None] = mapped_column(String(64), index=True)

    ticket: Mapped[Ticket | None] = relationship()
    event: Mapped[TicketEvent | None] = relationship()

    __mapper_args__ = {"primary_key": [id]}
