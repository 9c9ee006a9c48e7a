"""The rules that decide a project: set by the street for its communities, versioned,
published, and fixed into a project when its deliberation opens.

A street sets rules for all its communities or for one of them; the newest row for
the community wins, then the newest for the whole street, then the configured
defaults. Rows are never edited: each change is the street's next version, dated,
signed by the officer and given a reason, and shown on the public pages.
"""
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from community.areas.models import Unit, UnitKind
from community.auth.models import User
from community.core.errors import NotAllowed, ValidationFailed
from community.core.extensions import db

from . import access
from .models import Project, ProjectRules

FIELDS = ("support_min", "oppose_block_share", "quorum", "judging_days", "judging_turnout",
          "satisfaction_line")
SHARES = ("oppose_block_share", "satisfaction_line")
COUNT_MAX = 100000


@dataclass
class Rules:
    support_min: int
    oppose_block_share: float
    quorum: int
    judging_days: int
    judging_turnout: int
    satisfaction_line: float
    row: ProjectRules | None = None  # None: the configured defaults

    @property
    def label(self) -> str:
        if self.row is None:
            return _("系统默认规则")
        return _("%(street)s 第 %(v)d 版（%(day)s）", street=self.row.street.name, v=self.row.version,
                 day=self.row.set_at.date().isoformat())

    def values(self) -> dict:
        return {name: getattr(self, name) for name in FIELDS}


def defaults() -> Rules:
    config = current_app.config
    quorum = int(config["COMMUNITY_PROJECT_QUORUM"])
    turnout = config.get("COMMUNITY_PROJECT_JUDGING_TURNOUT")
    return Rules(support_min=int(config["COMMUNITY_PROJECT_SUPPORT_MIN"]),
                 oppose_block_share=float(config["COMMUNITY_PROJECT_OPPOSE_BLOCK_SHARE"]),
                 quorum=quorum, judging_days=int(config["COMMUNITY_PROJECT_JUDGING_DAYS"]),
                 judging_turnout=quorum if turnout in (None, "") else int(turnout),
                 satisfaction_line=float(config["COMMUNITY_PROJECT_SATISFACTION_LINE"]))


def from_row(row: ProjectRules | None) -> Rules:
    if row is None:
        return defaults()
    return Rules(**{name: getattr(row, name) for name in FIELDS}, row=row)


def current_row(community: Unit) -> ProjectRules | None:
    def newest(where):
        return db.session.scalar(select(ProjectRules).where(ProjectRules.street_id == community.street_id,
                                                            where)
                                 .order_by(ProjectRules.version.desc()).limit(1))

    return newest(ProjectRules.community_id == community.id) or newest(
        ProjectRules.community_id.is_(None))


def for_community(community_id: int) -> Rules:
    community = db.session.get(Unit, community_id)
    return from_row(current_row(community) if community is not None else None)


def for_project(project: Project) -> Rules:
    """The rules fixed when deliberation opened; the community's current ones before that."""
    if project.rules_id is not None:
        return from_row(project.rules)
    return for_community(project.community_id)


def fix_for(project: Project) -> None:
    """Called as deliberation opens: later changes do not move the goalposts."""
    project.rules = current_row(project.community)


def history(street_id: int, community_id: int | None = None, limit: int = 50) -> list[ProjectRules]:
    query = select(ProjectRules).where(ProjectRules.street_id == street_id)
    if community_id is not None:
        query = query.where((ProjectRules.community_id == community_id)
                            | ProjectRules.community_id.is_(None))
    return list(db.session.scalars(query.order_by(ProjectRules.version.desc()).limit(limit)))


def _number(name: str, value):
    text = str(value if value is not None else "").strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or "e" in text.lower():
        raise ValidationFailed(_("请填写数字。"), field=name)
    if name in SHARES:
        if not 0 <= number <= 1 or (name == "oppose_block_share" and number == 0):
            raise ValidationFailed(_("比例须在 0 到 1 之间（如 0.5 表示一半）。"), field=name)
        return float(number)
    if number != number.to_integral_value() or not 0 <= number <= COUNT_MAX:
        raise ValidationFailed(_("请填写 0 到 %(n)d 之间的整数。", n=COUNT_MAX), field=name)
    if name == "judging_days" and number < 1:
        raise ValidationFailed(_("评判期至少 1 天。"), field=name)
    return int(number)


def set_rules(actor: User, now: datetime, *, community_id: int | None, reason: str,
              **values) -> ProjectRules:
    """The street's next version of the rules, for one of its communities or all of them."""
    if not access.can_set_rules(actor):
        raise NotAllowed(_("议事和评判规则由街道设定。"))
    if community_id is not None:
        community = db.session.get(Unit, community_id)
        if community is None or community.kind != UnitKind.COMMUNITY or \
                community.street_id != actor.unit_id:
            raise ValidationFailed(_("请选择本街道的社区。"), field="community")
    clean = {name: _number(name, values.get(name)) for name in FIELDS}
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise ValidationFailed(_("请写明调整的理由（不超过 500 字），将随规则公开。"), field="reason")
    version = (db.session.scalar(select(func.max(ProjectRules.version)).where(
        ProjectRules.street_id == actor.unit_id)) or 0) + 1
    row = ProjectRules(street_id=actor.unit_id, community_id=community_id, version=version,
                       reason=reason, set_by_id=actor.id, set_at=now, **clean)
    db.session.add(row)
    db.session.flush()
    return row
