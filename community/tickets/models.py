"""Requests (诉求, code name ticket), their categories, events and photos."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, ForeignKeyConstraint, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.areas.models import Unit, UnitKind
from community.auth.models import User
from community.core.dbtypes import UTCDateTime, enum_check
from community.core.extensions import db

from .states import LIVE, OPEN, Channel, Kind, Result, State, Urgency

LIVE_WHERE = "state IN ({})".format(", ".join(f"'{s.value}'" for s in sorted(LIVE)))
OPEN_WHERE = "state IN ({})".format(", ".join(f"'{s.value}'" for s in sorted(OPEN)))
# When a response or acceptance clock ended: on time at the first, missed at the second.
CLOCK_END_COLUMNS = ("first_response_at", "response_due_at", "accepted_at", "accept_due_at")

RETENTION_WHERE = "anonymised_at IS NULL AND closed_at IS NOT NULL"
TIER_KINDS = (UnitKind.GRID, UnitKind.COMMUNITY, UnitKind.STREET, UnitKind.COUNTY)


class Category(db.Model):
    __tablename__ = "categories"
    __table_args__ = (
        CheckConstraint("default_tier IN ('grid', 'community', 'street', 'county')",
                        name="default_tier"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name_zh: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(80))
    default_tier: Mapped[str] = mapped_column(String(16), default=UnitKind.GRID)
    sla_class: Mapped[str] = mapped_column(String(16), default="general")
    # 003 l.50: a department's duty may not end with the community as final handler.
    department_duty: Mapped[bool] = mapped_column(default=False)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    department: Mapped[Unit | None] = relationship()

    def label(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_zh


class Ticket(db.Model):
    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint(enum_check("state", State), name="state"),
        CheckConstraint(enum_check("kind", Kind), name="kind"),
        CheckConstraint(enum_check("channel", Channel), name="channel"),
        CheckConstraint(enum_check("urgency", Urgency), name="urgency"),
        CheckConstraint("tier IN ('grid', 'community', 'street', 'county')", name="tier"),
        CheckConstraint("level BETWEEN 1 AND 3", name="level"),
        CheckConstraint(f"result IS NULL OR {enum_check('result', Result)}", name="result"),
        CheckConstraint("length(text) BETWEEN 1 AND 4000", name="text_length"),
        Index("ix_tickets_unit_state", "handling_unit_id", "state"),
        Index("ix_tickets_resident_submitted", "resident_id", "submitted_at"),
        # A community's requests of a window by category: the 三项清单's needs (0034).
        Index("ix_tickets_community_submitted", "community_id", "submitted_at", "category_id"),
        # A street's or county's latest requests (the dashboard map's points), 0035.
        *(Index(f"ix_tickets_{area}_submitted", f"{area}_id", "submitted_at") for area in ("street", "county")),
        # A street's or county's overdue count reads only its running deadlines (0012).
        Index("ix_tickets_street_due", "street_id", "next_due_at",
              postgresql_where=text("next_due_at IS NOT NULL"), sqlite_where=text("next_due_at IS NOT NULL")),
        Index("ix_tickets_county_due", "county_id", "next_due_at",
              postgresql_where=text("next_due_at IS NOT NULL"), sqlite_where=text("next_due_at IS NOT NULL")),
        # A queue's counts by state and its open requests read only live rows (0013).
        *(Index(f"ix_tickets_{area}_live", f"{area}_id", "state",
                postgresql_where=text(LIVE_WHERE), sqlite_where=text(LIVE_WHERE))
          for area in ("grid", "community", "street", "county")),
        # The whole city's queue (the admin's), nearest deadline first, read from its head (0033).
        Index("ix_tickets_open_due", "next_due_at", "submitted_at", "id",
              postgresql_where=text(OPEN_WHERE), sqlite_where=text(OPEN_WHERE)),
        # The figures find the clocks that ended on a day by these (0016; community.stats).
        *(Index(f"ix_tickets_{column}", column, postgresql_where=text(f"{column} IS NOT NULL"),
                sqlite_where=text(f"{column} IS NOT NULL"))
          for column in CLOCK_END_COLUMNS),

        # The retention job's walk: closed requests whose personal data is still held (0018).
        Index("ix_tickets_retention", "closed_at", postgresql_where=text(RETENTION_WHERE),
              sqlite_where=text(RETENTION_WHERE)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(16), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    text_public: Mapped[bool] = mapped_column(default=False)
    urgency: Mapped[str] = mapped_column(String(8), default=Urgency.NORMAL)
    state: Mapped[str] = mapped_column(String(16), default=State.SUBMITTED, index=True)
    tier: Mapped[str] = mapped_column(String(16))
    level: Mapped[int] = mapped_column(default=1)  # 一二三级: the highest tier reached
    handling_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # Where it is: the grid and the units above it, copied for scoped queues.
    grid_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    # The address named no grid (several in the community): the first one holds it until
    # its worker or the community office confirms or corrects it (workqueue.gridfix).
    grid_unsure: Mapped[bool] = mapped_column(default=False)
    address: Mapped[str] = mapped_column(String(200), default="")
    latitude: Mapped[float | None]  # the point given by the resident or client (WGS 84)
    longitude: Mapped[float | None]
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    contact_name: Mapped[str] = mapped_column(String(64), default="")
    contact_phone: Mapped[str] = mapped_column(String(20), default="")
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(String(16), default=Channel.WEB)
    # The form's one-time token: a double tap finds the first request, not a second.
    submit_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime)  # at the current unit
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Clocks, stored so a sweep reads only the rows that are due.
    response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accept_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolve_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An upstream platform's own deadline for its order (community.exchange): a clock
    # beside ours; the earlier of the two orders queues and warnings.
    external_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The nearest running clock of the three, kept by community.sla on every flush.
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # The SLA sweep's own cursor: the next warning, breach or closing to record
    # (community.clock.deadlines.next_check), and which marks are already recorded.
    sla_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    sla_flags: Mapped[int] = mapped_column(default=0)
    resolve_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 签收 or 重办
    # Working days the resolution clock counts from resolve_started_at (extensions
    # included), so a calendar loaded later can recompute the deadline; NULL for a
    # clock in hours. Provisional: the deadline counts days of a year nobody loaded.
    resolve_working_days: Mapped[int | None]
    resolve_due_provisional: Mapped[bool] = mapped_column(default=False)

    # The first resolution deadline of this round (until its 办结) that passed unmet: an
    # escalation gives a later one, but the resolution still counts late (DOMAIN "Clocks").
    resolve_breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[str | None] = mapped_column(String(16))
    result_note: Mapped[str] = mapped_column(Text, default="")
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    # When its personal data was removed (account deleted, or retention): community.privacy.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extension_count: Mapped[int] = mapped_column(default=0)
    reopen_count: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Optimistic lock: of two officers acting at once, the second update matches no row.
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    category: Mapped[Category] = relationship()
    handling_unit: Mapped[Unit] = relationship(foreign_keys=[handling_unit_id])
    grid: Mapped[Unit] = relationship(foreign_keys=[grid_id])
    community: Mapped[Unit] = relationship(foreign_keys=[community_id])
    street: Mapped[Unit] = relationship(foreign_keys=[street_id])
    resident: Mapped[User | None] = relationship(foreign_keys=[resident_id])
    filed_by: Mapped[User | None] = relationship(foreign_keys=[filed_by_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    merged_into: Mapped["Ticket | None"] = relationship(remote_side="Ticket.id")
    photos: Mapped[list["TicketPhoto"]] = relationship(
        back_populates="ticket", order_by="TicketPhoto.id")
    events: Mapped[list["TicketEvent"]] = relationship(
        back_populates="ticket", order_by="(TicketEvent.at, TicketEvent.id)")

    def public_events(self):
        return [e for e in self.events if e.public]

    def is_overdue(self, now) -> bool:
        """overdue_clause, for one loaded request (the API's `overdue`)."""
        return self.next_due_at is not None and self.next_due_at < now


def overdue_clause(now):
    """The rule of 超期, for every count and list of it (queues, dashboards, the map, the
    API, /metrics): the request's nearest running deadline has passed. next_due_at is set
    only while a clock runs, i.e. while the request is open (clock.deadlines.next_due), so
    no state test: a street's or county's (unit, next_due_at) index answers it alone."""
    return Ticket.next_due_at < now


class TicketEvent(db.Model):
    """One row per action on a request: who, when, from, to, note, public or internal."""

    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_ticket_events_ticket_at", "ticket_id", "at"),)

    # On PostgreSQL the table is partitioned by month of `at` (0030, community.core.partitions),
    # and a partitioned table's key must hold the partition key: (id, at). The id alone is
    # still unique (one sequence) and is what the ORM knows a row by. SQLite keeps `id
    # INTEGER PRIMARY KEY`, which numbers the rows there.
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the system
    action: Mapped[str] = mapped_column(String(24))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))  # handler after it
    note: Mapped[str] = mapped_column(Text, default="")
    # A system note as a message id and its parameters (JSON), rendered in the reader's
    # language (community/tickets/notes.py); NULL: `note` is shown as written.
    note_key: Mapped[str | None] = mapped_column(String(40))
    note_params: Mapped[str | None] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(default=True)

    ticket: Mapped[Ticket] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
    unit: Mapped[Unit | None] = relationship()
    # Loaded with the events, in one query for all of them: every timeline shows each
    # event's photos, and a query per event was most of a request page's statements.
    photos: Mapped[list["TicketPhoto"]] = relationship(back_populates="event", lazy="selectin")

    __mapper_args__ = {"primary_key": [id]}


def event_key(table: str) -> tuple:
    """A row's link to an event: (event_id, event_at) → ticket_events (id, at), since the
    partitioned events table is unique on that pair only; both or neither (the CHECK: a
    foreign key with one NULL column is not checked at all)."""
    return (ForeignKeyConstraint(["event_id", "event_at"], ["ticket_events.id", "ticket_events.at"],
                                 name=f"fk_{table}_event_id_ticket_events"),
            CheckConstraint("(event_id IS NULL) = (event_at IS NULL)", name="event_link"))


class TicketPhoto(db.Model):
    __tablename__ = "ticket_photos"
    __table_args__ = event_key("ticket_photos")

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    event_id: Mapped[int | None]
    event_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the event's `at` (0030)
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int]
    height: Mapped[int]
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    ticket: Mapped[Ticket] = relationship(back_populates="photos")
    event: Mapped[TicketEvent | None] = relationship(back_populates="photos")


class ResidentLink(db.Model):
    """A single-use link texted to the contact phone of a request filed without an
    account (代办, hotline, anonymous Open311). Its holder may rate the resolution it
    was sent for, or cancel / reopen; the first of these uses it up. Only a hash of
    its secret is kept (community.tickets.links)."""

    __tablename__ = "resident_links"
    __table_args__ = (Index("ix_resident_links_ticket", "ticket_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    # The 办结 it was sent for; NULL for the link sent at filing (cancel only).
    resolution_id: Mapped[int | None] = mapped_column(ForeignKey("resolutions.id"))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_for: Mapped[str | None] = mapped_column(String(8))
    # A newer link replaces an unused older one (a new 办结 sends a new link).
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    ticket: Mapped[Ticket] = relationship()
    # .resolution is added by community.ratings.models (which imports this module).
