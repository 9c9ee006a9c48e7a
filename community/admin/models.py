"""The admin audit: every change made on the admin pages, who made it and when."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.auth.models import User
from community.core.dbtypes import UTCDateTime
from community.core.extensions import db


class AdminAudit(db.Model):
    __tablename__ = "admin_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(32), index=True)  # e.g. user.create, unit.rename
    target: Mapped[str] = mapped_column(String(80), default="")   # what was changed: "user:12"
    detail: Mapped[str] = mapped_column(Text, default="{}")       # JSON: the values set

    actor: Mapped[User | None] = relationship()
