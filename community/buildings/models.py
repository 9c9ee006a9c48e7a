"""Building heads: one row per (resident, grid, building) appointment, kept as history."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.areas.models import Unit
from community.auth.models import User
from community.core.dbtypes import UTCDateTime
from community.core.extensions import db


class BuildingHead(db.Model):
    __tablename__ = "building_heads"
    __table_args__ = (
        Index("ix_building_heads_user_ended", "user_id", "ended_at"),
        Index("ix_building_heads_grid_ended", "grid_id", "ended_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    grid_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    # The building as addresses name it (e.g. "3号楼", "幸福小区7栋"): a request is in it
    # when it is in this grid and its address contains these words.
    building: Mapped[str] = mapped_column(String(60))
    appointed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    appointed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    grid: Mapped[Unit] = relationship(foreign_keys=[grid_id])
