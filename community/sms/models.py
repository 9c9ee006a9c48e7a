"""Numbers that asked for no more notices (退订)."""
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from community.core.dbtypes import UTCDateTime
from community.core.extensions import db


class SmsOptOut(db.Model):
    """An opted-out number gets no notices; codes it asks for still go (it asked)."""

    __tablename__ = "sms_opt_outs"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(16), default="admin")  # admin · gateway (a TD reply)
