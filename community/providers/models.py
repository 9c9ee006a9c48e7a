"""Providers, the provider a request names (one row per request), and commendations.

Upheld 差评 and late rectifications are not stored here: the credit record reads them
from the ratings and 整改 rows (community.providers.credit), so it cannot drift from them.
"""
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.areas.models import Unit
from community.auth.models import User
from community.core.dbtypes import UTCDateTime, enum_check
from community.core.extensions import db
from community.tickets.models import Ticket


class Field(StrEnum):
    ELDERLY = "elderly"        # 养老
    CHILDCARE = "childcare"    # 托育
    HOUSEKEEPING = "housekeeping"  # 家政
    PROPERTY = "property"      # 物业


class Provider(db.Model):
    __tablename__ = "providers"
    __table_args__ = (
        CheckConstraint(enum_check("field", Field), name="field"),
        Index("ix_providers_community_active", "community_id", "active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    name: Mapped[str] = mapped_column(String(100))
    field: Mapped[str] = mapped_column(String(16))
    licence_no: Mapped[str] = mapped_column(String(64), default="")
    contact: Mapped[str] = mapped_column(String(100), default="")
    # Whether its accounts may answer requests routed to it (per provider, set by the
    # community or street); off: it is rated, but answers nothing itself.
    accounts_enabled: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    community: Mapped[Unit] = relationship(foreign_keys=[community_id])


class TicketProvider(db.Model):
    """The provider a request is about (at most one), and whether the handler routed
    it to the provider's accounts to answer."""

    __tablename__ = "ticket_providers"
    __table_args__ = (Index("ix_ticket_providers_provider", "provider_id", "routed"),)

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    routed: Mapped[bool] = mapped_column(default=False)
    named_at: Mapped[datetime] = mapped_column(UTCDateTime)
    named_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    routed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    ticket: Mapped[Ticket] = relationship()
    provider: Mapped[Provider] = relationship()


class Commendation(db.Model):
    """表扬: entered by the community or street, a positive event of the credit record."""

    __tablename__ = "provider_commendations"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    by: Mapped[User | None] = relationship()


class ProviderAccount(db.Model):
    """Which provider a `provider` account (community.auth Role.PROVIDER) answers for."""

    __tablename__ = "provider_accounts"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
