"""People: residents (by phone) and staff (by username, bound to one unit and role)."""
from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.areas.models import Unit, UnitKind
from community.core.dbtypes import UTCDateTime, enum_check
from community.core.extensions import db


class Role(StrEnum):
    RESIDENT = "resident"
    GRID = "grid"            # 网格员
    COMMUNITY = "community"  # 社区工作者
    STREET = "street"        # 街道办
    COUNTY = "county"        # 县/区
    DEPARTMENT = "department"
    SUPERVISOR = "supervisor"  # 考核办: the county's assessment office; decides appeals, handles nothing
    ADMIN = "admin"
    # A service provider's account (物业, 养老 …): answers the requests routed to its
    # provider, under the community's supervision; neither staff nor resident.
    PROVIDER = "provider"


# Which kind of unit each staff role is bound to.
ROLE_UNIT_KIND = {
    Role.GRID: UnitKind.GRID,
    Role.COMMUNITY: UnitKind.COMMUNITY,
    Role.STREET: UnitKind.STREET,
    Role.COUNTY: UnitKind.COUNTY,
    Role.DEPARTMENT: UnitKind.DEPARTMENT,
    Role.SUPERVISOR: UnitKind.COUNTY,
}
STAFF_ROLES = tuple(ROLE_UNIT_KIND) + (Role.ADMIN,)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(enum_check("role", Role), name="role"),
        # Residents sign in by phone, staff by username: each needs its own key.
        CheckConstraint("phone IS NOT NULL OR username IS NOT NULL", name="login_key"),
        # The residents waiting for a community to verify them (residency.services, 0034).
        Index("ix_users_home_community", "home_community_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str | None] = mapped_column(String(64), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(64), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    # A resident's registered community: where a request with no location goes.
    home_community_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    locale: Mapped[str | None] = mapped_column(String(8))
    elder_mode: Mapped[bool] = mapped_column(default=False)  # 适老化: large type, fewer choices
    active: Mapped[bool] = mapped_column(default=True)
    # Raised by logout, a password change and "sign out everywhere": a session cookie
    # signed with an older version no longer signs anyone in (community.auth.sessions).
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # deleted by its owner (PIPL)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit: Mapped[Unit | None] = relationship(foreign_keys=[unit_id])
    home_community: Mapped[Unit | None] = relationship(foreign_keys=[home_community_id])

    @property
    def is_active(self):
        return self.active

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_resident(self) -> bool:
        return self.role == Role.RESIDENT

    @property
    def display_name(self) -> str:
        if self.deleted_at is not None:
            from flask_babel import gettext as _

            return _("已注销的用户")
        return self.name or self.username or mask_phone(self.phone)


class OneTimeCode(db.Model):
    """A sign-up or password-reset code sent to a phone; only its hash is kept."""

    __tablename__ = "one_time_codes"
    __table_args__ = (Index("ix_one_time_codes_phone_purpose", "phone", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(String(16))
    code_hash: Mapped[str] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def mask_phone(phone: str | None) -> str:
    """138****1234: what everyone but the assigned handler sees."""
    if not phone:
        return ""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "****" + phone[-4:]
