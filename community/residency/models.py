"""Residency: a resident's community as verified by its office or a grid worker.

Rows are kept as history: a request (pending), its answer (verified or refused), and
a verified row ends when another community verifies the resident.
"""
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.areas.models import Unit
from community.auth.models import User
from community.core.dbtypes import UTCDateTime, enum_check
from community.core.extensions import db


class ResidencyState(StrEnum):
    PENDING = "pending"    # asked for by the resident
    VERIFIED = "verified"  # confirmed by the community office or a grid worker
    REFUSED = "refused"    # not confirmed, with a note the resident reads
    ENDED = "ended"        # replaced by a later verification elsewhere


class Residency(db.Model):
    __tablename__ = "residencies"
    __table_args__ = (
        CheckConstraint(enum_check("state", ResidencyState), name="state"),
        Index("ix_residencies_user_state", "user_id", "state"),
        Index("ix_residencies_community_state", "community_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    state: Mapped[str] = mapped_column(String(12), default=ResidencyState.PENDING)
    note: Mapped[str] = mapped_column(String(200), default="")  # the resident's: building, etc.
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    decision_note: Mapped[str] = mapped_column(String(200), default="")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    community: Mapped[Unit] = relationship(foreign_keys=[community_id])
    decided_unit: Mapped[Unit | None] = relationship(foreign_keys=[decided_unit_id])
