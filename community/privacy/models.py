"""The privacy audit: what was anonymised, when, for whom (PIPL; no undo)."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from community.core.dbtypes import UTCDateTime
from community.core.extensions import db

ACCOUNT_DELETED = "account_deleted"
RETENTION = "retention"


class PrivacyAudit(db.Model):
    __tablename__ = "privacy_audit"
    __table_args__ = (CheckConstraint(f"action IN ('{ACCOUNT_DELETED}', '{RETENTION}')", name="action"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    action: Mapped[str] = mapped_column(String(24))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # whose account was deleted
    rows: Mapped[int] = mapped_column(default=0)  # requests anonymised
    note: Mapped[str] = mapped_column(Text, default="")
