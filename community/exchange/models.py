"""Exchange with other systems: orders from upstream platforms, webhook subscriptions,
and the log of every signed delivery (both kinds go out through the outbox)."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.core.dbtypes import UTCDateTime
from community.core.extensions import db
from community.tickets.models import Ticket


class UpstreamOrder(db.Model):
    """An order (派单) from an upstream platform; one per (upstream, order id)."""

    __tablename__ = "upstream_orders"
    __table_args__ = (UniqueConstraint("upstream", "order_id", name="uq_upstream_orders_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    upstream: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    category_code: Mapped[str] = mapped_column(String(32), default="")  # the upstream's own code
    mapped: Mapped[bool] = mapped_column(default=True)  # False: unknown code, left to the dispatcher
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)

    ticket: Mapped[Ticket] = relationship()


class WebhookSubscription(db.Model):
    """An admin's subscription for one client (an API user or an Open311 client):
    the events of a unit, or of the client's own requests, POSTed signed to `url`."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    open311_client_id: Mapped[int | None] = mapped_column(ForeignKey("open311_clients.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)  # None: own requests
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(64))  # signs each delivery (HMAC-SHA256)
    events: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # deleted: kept for the log
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # paused: nothing new is sent


class Delivery(db.Model):
    """One message to another system, its tries and their outcome (the delivery log)."""

    __tablename__ = "exchange_deliveries"
    __table_args__ = (Index("ix_exchange_deliveries_target", "target", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)  # names it in its outbox row
    target: Mapped[str] = mapped_column(String(48))  # "upstream:<name>" or "webhook:<id>"
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("webhook_subscriptions.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    event: Mapped[str] = mapped_column(String(32))
    url: Mapped[str] = mapped_column(String(500))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_status: Mapped[int | None] = mapped_column()
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_tried_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Set for a request not yet written (its filing's own event): the flush fills ticket_id.
    ticket: Mapped[Ticket | None] = relationship()
