"""Marking the local days a change touches, for the figures to recount them
(community.stats.updates runs the recount). Below every domain that changes
what is counted (workqueue, sla, ratings), so none of them imports the figures."""
import secrets
from datetime import date, datetime

from community.core.extensions import db
from community.outbox.services import emit_fresh
from community.core.timeutil import local_zone

KIND = "stats.day"


def local_day(moment: datetime, zone=None) -> date:
    """The city's calendar day of `moment`; pass `zone` when calling it in a loop."""
    return moment.astimezone(zone or local_zone()).date()


def clock_days(ticket, at: datetime) -> list:
    """The deadlines of the response and acceptance clocks still unmet at `at` that have
    come: a clock that ended unmet counts on its deadline's day, which a step taken later
    (a late 签收, an escalation the sweep recorded late) must recompute too."""
    unmet = ((ticket.response_due_at, ticket.first_response_at),
             (ticket.accept_due_at, ticket.accepted_at))
    return [due for due, met in unmet
            if due is not None and due <= at and (met is None or met >= at)]


def mark_days(moments, now: datetime) -> None:
    """Ask for the local days of these moments (datetimes or None) to be recomputed."""
    info = db.session.info
    seen = info.setdefault("stats_days", set())
    token = info.setdefault("stats_token", secrets.token_hex(8))
    for moment in moments:
        if moment is None:
            continue
        day = local_day(moment)
        if day not in seen:
            seen.add(day)
            # The token keeps each transaction's request apart: a later change
            # to the same day needs its own run, not the earlier (done) row.
            emit_fresh(KIND, _key_prefix(day) + token, {"day": day.isoformat()}, now=now)


def _key_prefix(day: date) -> str:
    return f"stats:{day.isoformat()}:"


def mark_days_many(pairs) -> None:
    """mark_days for many changes at once: `pairs` of (moments, now), in order."""
    seen = db.session.info.get("stats_days", set())
    zone = local_zone()  # once, not once per moment (the sweep passes thousands)
    for moments, now in pairs:
        days = {local_day(m, zone) for m in moments if m is not None}
        if not days <= seen:
            mark_days(moments, now)
            seen = db.session.info["stats_days"]


