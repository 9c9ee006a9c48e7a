"""A provider's figures and credit record, read from the raw rows each time.

Figures over a window [since, until): requests naming it (by submission), its
requests' 办结 and how many were on time (by resolution), 满意率 of its requests'
valid ratings (the formula and sample rule of community.stats.formulas), upheld 差评
and late rectifications. The credit record lists the events (upheld 差评, late
rectification, commendation); the score is published with its version below.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select

from community.core.extensions import db
from community.ratings.models import (
    BAD_LEVELS,
    Appeal,
    AppealState,
    Level,
    Rating,
    RectificationCase,
    Resolution,
)
from community.stats.formulas import Params, satisfied_weight, valid_ratings, wilson
from community.tickets.models import Ticket

from .models import Commendation, Provider, TicketProvider

# C2026.1: score = base − a·upheld 差评 − b·late rectifications + c·commendations over the
# window, kept between 0 and 100. Change the formula here and bump the version.
CREDIT_FORMULA_VERSION = "C2026.1"
EVENT_KINDS = ("upheld_bad", "late_rectification", "commendation")
EVENT_LABELS = {"upheld_bad": _l("差评（经核实）"), "late_rectification": _l("整改超时"),
                "commendation": _l("表扬")}


@dataclass(frozen=True)
class CreditWeights:
    base: float = 100
    upheld_bad: float = 5
    late_rectification: float = 3
    commendation: float = 2

    @classmethod
    def from_config(cls, config) -> "CreditWeights":
        given = config.get("COMMUNITY_PROVIDER_CREDIT_WEIGHTS") or {}
        return cls(**{name: float(given.get(name, getattr(cls, name)))
                      for name in ("base", "upheld_bad", "late_rectification", "commendation")})


def window(now: datetime) -> tuple[datetime, datetime]:
    return now - timedelta(days=int(current_app.config["COMMUNITY_PROVIDER_WINDOW_DAYS"])), now


def _mine(provider_id: int):
    return select(TicketProvider.ticket_id).where(TicketProvider.provider_id == provider_id)


def _upheld_bad(provider_id: int, since: datetime, until: datetime):
    """(rating id, ticket id, when) of each 差评 that stands: valid (no upheld appeal) and
    not under a pending appeal; it stands from its rating, or from the appeal's rejection."""
    when = func.coalesce(Appeal.decided_at, Rating.rated_at)
    return db.session.execute(
        select(Rating.id, Rating.ticket_id, when.label("at"))
        .outerjoin(Appeal, Appeal.rating_id == Rating.id)
        .where(Rating.ticket_id.in_(_mine(provider_id)), Rating.level.in_(sorted(BAD_LEVELS)),
               Rating.excluded.is_(False),
               or_(Appeal.id.is_(None), Appeal.state == AppealState.REJECTED),
               when >= since, when < until)).all()


def _late_cases(provider_id: int, since: datetime, until: datetime):
    """(case id, ticket id, due) of each 整改 of a valid 差评 that missed its closing
    clock: closed after it, or still open when the window ends. Counted on its due day."""
    case, rating = RectificationCase, Rating
    return db.session.execute(
        select(case.id, case.ticket_id, case.close_due_at)
        .join(rating, rating.id == case.rating_id)
        .where(case.ticket_id.in_(_mine(provider_id)), rating.excluded.is_(False),
               case.close_due_at >= since, case.close_due_at < until,
               or_(case.closed_at > case.close_due_at,
                   and_(case.closed_at.is_(None), case.close_due_at < until)))).all()


def figures(provider: Provider, since: datetime, until: datetime, params: Params | None = None) -> dict:
    params = params or Params.from_config(current_app.config)
    mine = _mine(provider.id)
    requests = db.session.scalar(select(func.count(Ticket.id)).where(
        Ticket.id.in_(mine), Ticket.submitted_at >= since, Ticket.submitted_at < until)) or 0
    resolved, in_time = db.session.execute(select(
        func.count(Resolution.id), func.coalesce(func.sum(func.cast(Resolution.in_time, db.Integer)), 0))
        .where(Resolution.ticket_id.in_(mine), Resolution.resolved_at >= since,
               Resolution.resolved_at < until)).one()
    levels = dict(db.session.execute(
        select(Rating.level, func.count(Rating.id))
        .where(Rating.ticket_id.in_(mine), Rating.excluded.is_(False),
               Rating.rated_at >= since, Rating.rated_at < until).group_by(Rating.level)).all())
    counts = {level.value: levels.get(level.value, 0) for level in Level}
    valid = valid_ratings(counts)
    hits = satisfied_weight(counts, params)
    low, high = wilson(hits, valid, params.z)
    upheld = len(_upheld_bad(provider.id, since, until))
    late = len(_late_cases(provider.id, since, until))
    commendations = db.session.scalar(select(func.count(Commendation.id)).where(
        Commendation.provider_id == provider.id, Commendation.at >= since, Commendation.at < until)) or 0
    return {
        "requests": requests, "resolved": resolved, "resolved_in_time": int(in_time or 0),
        "ontime_rate": (in_time / resolved) if resolved else None,
        "valid_ratings": valid, "satisfaction_rate": (hits / valid) if valid else None,
        "satisfaction_low": low, "satisfaction_high": high,
        # The figures' sample rule: below it the rate is shown with its n, never ranked.
        "ranked": valid >= params.min_sample, "few": valid < params.min_sample,
        "upheld_bad": upheld, "late_rectifications": late, "commendations": commendations,
        "score": score(upheld, late, commendations), "formula_version": CREDIT_FORMULA_VERSION,
    }


def score(upheld_bad: int, late: int, commendations: int, weights: CreditWeights | None = None) -> float:
    w = weights or CreditWeights.from_config(current_app.config)
    raw = w.base - w.upheld_bad * upheld_bad - w.late_rectification * late + w.commendation * commendations
    return max(0.0, min(100.0, raw))


def record(provider: Provider, since: datetime, until: datetime) -> list[dict]:
    """The credit record's events in the window, newest first. `public`: no note text
    (a commendation's note may name people); the tracking code is never shown."""
    events = [{"kind": "upheld_bad", "at": at, "ticket_id": ticket_id, "note": ""}
              for _id, ticket_id, at in _upheld_bad(provider.id, since, until)]
    events += [{"kind": "late_rectification", "at": due, "ticket_id": ticket_id, "note": ""}
               for _id, ticket_id, due in _late_cases(provider.id, since, until)]
    events += [{"kind": "commendation", "at": c.at, "ticket_id": None, "note": c.note}
               for c in db.session.scalars(select(Commendation).where(
                   Commendation.provider_id == provider.id, Commendation.at >= since,
                   Commendation.at < until))]
    return sorted(events, key=lambda e: e["at"], reverse=True)


def formula_text(weights: CreditWeights | None = None) -> list[tuple[str, str]]:
    w = weights or CreditWeights.from_config(current_app.config)
    return [
        (_l("信用分"), _l("%(base)s − %(a)s × 经核实的差评数 − %(b)s × 整改超时数 + %(c)s × 表扬数，"
                        "在 0 到 100 之间。", base=_num(w.base), a=_num(w.upheld_bad),
                        b=_num(w.late_rectification), c=_num(w.commendation))),
        (_l("经核实的差评"), _l("关联该服务商的诉求收到的差评（不满意、非常不满意），申诉成立的不计，申诉未决的暂不计；"
                           "申诉被驳回的自驳回之日计入。")),
        (_l("整改超时"), _l("上述差评的整改在整改时限后才办结，或时限已过仍未办结；计入时限到期之日。")),
        (_l("满意率"), _l("与各单位的满意率公式和样本规则相同：有效评价不足规定数量时只显示数值和样本数，不参与排名。")),
    ]


def _num(x: float) -> str:
    return f"{x:g}"
