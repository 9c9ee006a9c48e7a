"""Surveys, their versions (the questions), responses and single-use answer links."""
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.areas.models import Unit
from community.auth.models import User
from community.core.dbtypes import UTCDateTime, enum_check
from community.core.extensions import db


class Channel(StrEnum):
    """How an answer reached us: the resident signed in (web), the single-use link
    texted to their phone (link), or staff recording a door-to-door visit or a call."""
    WEB = "web"
    LINK = "link"
    VISIT = "visit"   # 入户走访
    CALL = "call"     # 电话


STAFF_CHANNELS = (Channel.VISIT, Channel.CALL)


class Survey(db.Model):
    __tablename__ = "surveys"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="period"),
                      CheckConstraint("min_responses > 0", name="min_responses"))

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    # The period, in local days, both ends included: answers are taken inside it only.
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    # Coverage: a community counts as surveyed with at least this many counted answers.
    min_responses: Mapped[int]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    county: Mapped[Unit] = relationship()
    # No "current version" column: it would make surveys and versions point at each other.
    versions: Mapped[list["SurveyVersion"]] = relationship(back_populates="survey",
                                                           order_by="SurveyVersion.number")

    @property
    def current_version(self) -> "SurveyVersion | None":
        """The newest version: what residents answer now."""
        return self.versions[-1] if self.versions else None

    @property
    def title(self) -> str:
        return self.current_version.title if self.current_version else ""


class SurveyVersion(db.Model):
    """The title and questions as answered: an edit after answers exist makes a new
    version, so every answer keeps the questions it was given."""

    __tablename__ = "survey_versions"
    __table_args__ = (UniqueConstraint("survey_id", "number", name="uq_survey_versions_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(100))
    # [{"key": "q1", "kind": "level"|"choice"|"text", "text": …, "options": [...]}]
    questions: Mapped[list] = mapped_column(JSON)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    survey: Mapped[Survey] = relationship(back_populates="versions")


class SurveyResponse(db.Model):
    """One resident's answer. One per phone per survey (the unique key); a signed-in
    resident answers with their account's phone. `counted` is false for the rated
    community's own staff (the rated never rate themselves): kept, never in figures."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        UniqueConstraint("survey_id", "phone", name="uq_survey_responses_phone"),
        CheckConstraint(enum_check("channel", Channel), name="channel"),
        # Staff channels name the staff member; the resident's own channels never do.
        CheckConstraint("(channel IN ('visit', 'call')) = (recorded_by_id IS NOT NULL)",
                        name="recorded_by"),
        Index("ix_survey_responses_survey_community", "survey_id", "community_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    phone: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(String(8))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answers: Mapped[dict] = mapped_column(JSON)
    # The headline (the version's first five-level question), copied out so the results
    # are one GROUP BY; NULL only if a version had none (the form requires one).
    headline_level: Mapped[str | None] = mapped_column(String(20))
    counted: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    survey: Mapped[Survey] = relationship()
    version: Mapped[SurveyVersion] = relationship()
    community: Mapped[Unit] = relationship()
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])


class SurveyLink(db.Model):
    """A single-use link texted to a phone, for a resident without an account (or not
    signed in): its holder answers the survey for that phone once. Only a hash of its
    secret is kept."""

    __tablename__ = "survey_links"
    __table_args__ = (Index("ix_survey_links_survey_phone", "survey_id", "phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    phone: Mapped[str] = mapped_column(String(20))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    survey: Mapped[Survey] = relationship()
    community: Mapped[Unit] = relationship()
