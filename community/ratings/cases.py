"""整改: every 差评 opens a case — callback, then reopen or explain, then the street closes it.

Its clocks (DOMAIN.md "Clocks": 差评 review) are working days: one to start
(the callback), five to close, from COMMUNITY_REVIEW_*_WORKING_DAYS.
"""
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import bindparam, select
from sqlalchemy.orm import selectinload

from community.auth.models import User
from community.core.errors import InvalidTransition, NotAllowed
from community.core.extensions import db
from community.clock.deadlines import case_deadlines
from community.tally.marks import mark_days
from community.core.text import clean_text
from community.tickets.models import Ticket
from community.tickets.states import State

from .models import LIVE_CASE_STATES, CaseState, RectificationCase
from .scope import in_scope, is_case_worker, is_reviewer


def open_case(rating, ticket: Ticket, now: datetime) -> RectificationCase:
    start_due, close_due, provisional = case_deadlines(now)
    case = RectificationCase(
        rating=rating, ticket=ticket, community_id=ticket.community_id, street_id=ticket.street_id,
        county_id=ticket.county_id, handling_unit_id=ticket.handling_unit_id, state=CaseState.OPEN,
        opened_at=now, start_due_at=start_due, close_due_at=close_due, due_provisional=provisional)
    db.session.add(case)
    return case


def record_callback(case: RectificationCase, actor: User, now: datetime, reached: bool,
                    note: str) -> None:
    """回访: whether the resident was reached and what they said."""
    if not is_case_worker(actor, case):
        raise NotAllowed()
    if case.state not in (CaseState.OPEN, CaseState.CALLED_BACK):
        raise InvalidTransition(_("已答复或已结案的整改不能再记录回访。"))
    case.callback_at, case.callback_by, case.callback_reached = now, actor, bool(reached)
    case.callback_note = clean_text(note, field="callback_note", required=True)
    case.state = CaseState.CALLED_BACK


def explain(case: RectificationCase, actor: User, now: datetime, note: str) -> None:
    """The request stands as resolved; the handler explains why to the street."""
    if not is_case_worker(actor, case):
        raise NotAllowed()
    _require_called_back(case)
    _answer(case, actor, now, "explain", clean_text(note, field="outcome_note", required=True))


def order_reopen(case: RectificationCase, actor: User, now: datetime, note: str) -> None:
    """重办 through the workflow's own reopen (which only the street or county may order)."""
    from community.workqueue.actions import reopen

    if not is_reviewer(actor, case.street_id, case.county_id):
        raise NotAllowed(_("重办由街道或区县决定。"))
    _require_called_back(case)
    note = clean_text(note, field="outcome_note", required=True)
    ticket = case.ticket
    if ticket.state in (State.RESOLVED, State.CLOSED):
        reopen(ticket, actor, now, _("差评整改：%(note)s", note=note))
    # Already reopened (the resident asked first): the case records that outcome.
    _answer(case, actor, now, "reopen", note)


def _require_called_back(case):
    if case.state != CaseState.CALLED_BACK:
        raise InvalidTransition(_("请先记录对居民的回访。"))


def _answer(case, actor, now, outcome, note):
    case.outcome, case.outcome_at, case.outcome_by, case.outcome_note = outcome, now, actor, note
    case.state = CaseState.ANSWERED


def reopen_running(case: RectificationCase) -> bool:
    """The case's answer was 重办 and the request is still being handled again: the case
    waits for that work to end (办结, or the request withdrawn or merged)."""
    done = (State.RESOLVED, State.CLOSED, State.CANCELLED, State.MERGED)
    return case.outcome == "reopen" and State(case.ticket.state) not in done


def close_case(case: RectificationCase, actor: User, now: datetime, note: str = "") -> None:
    """The street reviews the callback and the outcome and closes the case."""
    if not is_reviewer(actor, case.street_id, case.county_id):
        raise NotAllowed(_("整改由街道审核结案。"))
    if case.state != CaseState.ANSWERED:
        raise InvalidTransition(_("回访并重办或说明后才能结案。"))
    if reopen_running(case):
        raise InvalidTransition(_("重办还没有办结，办结后才能结案。"))
    case.review_note = clean_text(note, required=False, field="review_note")
    case.closed_at, case.closed_by, case.state = now, actor, CaseState.CLOSED
    mark_days([case.rating.resolution.resolved_at], now)


def cases_for(user: User, open_only: bool = True, limit: int = 100) -> list[RectificationCase]:
    # Cases carry no grid_id: a grid worker's are found through the request.
    query = in_scope(select(RectificationCase), RectificationCase, user)
    query = query.options(selectinload(RectificationCase.ticket), selectinload(RectificationCase.rating),
                          selectinload(RectificationCase.community)) \
        .order_by(RectificationCase.close_due_at, RectificationCase.id)
    if open_only:  # the values written in: a partial index on them is usable by any plan
        query = query.where(RectificationCase.state.in_(bindparam(
            "live_cases", list(LIVE_CASE_STATES), expanding=True, literal_execute=True)))
    return list(db.session.scalars(query.limit(limit)))


def visible_case(user: User, case_id: int) -> RectificationCase:
    from community.core.errors import NotFound
    from community.tickets.access import can_view

    case = db.session.get(RectificationCase, case_id)
    if case is None or not user.is_staff or not (can_view(user, case.ticket)
                                                 or is_case_worker(user, case)):
        raise NotFound()
    return case
