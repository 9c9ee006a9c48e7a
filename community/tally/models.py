"""The stays a request left behind (Arrival): written by whatever moves a request
(workqueue.routing, the sweep's fast path), read by the figures (community.stats)."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from community.core.dbtypes import UTCDateTime
from community.core.extensions import db


class Arrival(db.Model):
    """An earlier stay of a request at a unit, written when the request moved on
    (escalated, returned, re-routed). Each unit's acceptance clock is judged on its own
    arrival: a later escalation never erases an earlier on-time 签收. The current stay
    is the request's own columns (arrived_at, accept_due_at, accepted_at)."""

    __tablename__ = "ticket_arrivals"
    __table_args__ = (Index("ix_ticket_arrivals_settles_at", "settles_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime] = mapped_column(UTCDateTime)
    left_by: Mapped[str] = mapped_column(String(24))  # the action: escalate, return, …
    # When the acceptance clock ended: accepted or gone before the deadline, else the deadline.
    settles_at: Mapped[datetime] = mapped_column(UTCDateTime)
