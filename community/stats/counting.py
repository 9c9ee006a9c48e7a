"""What one local day adds to each unit's and worker's counts, read from the raw rows.

Each source is read through indexed columns for that day only (filings by
submitted_at, clocks by the moment they ended, resolutions by resolved_at, assist
tasks by their clocks and scores), never by scanning requests. The rules of what
counts are in community.tally.facts; this module only attributes them:

- to the request's place (grid, community, street, county) and, for streets and
  counties, its category;
- to a department for what it handled itself: the stays at it, the resolutions it
  made, the response clocks that ended while it held the request, its assist tasks;
- to a worker (within the unit they acted for): the resolutions they made and the
  first responses they gave.
"""
import functools
from collections import defaultdict
from datetime import datetime

from sqlalchemy import and_, bindparam, or_, select

from community.areas.models import Unit, UnitKind
from community.core.bulkdb import any_of
from community.core.extensions import db
from community.ratings.models import (
    BAD_LEVELS,
    Appeal,
    Rating,
    RectificationCase,
    Resolution,
)
from community.tally.facts import (
    acceptance_outcome,
    acceptance_settles_at,
    current_stay_end,
    response_outcome,
)
from community.tally.models import Arrival
from community.tickets.models import Ticket, TicketEvent
from community.workqueue.models import AssistState, AssistTask

from .models import COUNTS

LOCATION_KINDS = ("grid", "community", "street", "county")
CATEGORY_KINDS = ("street", "county")  # worst categories are shown to these
_PLACES = tuple((kind, f"{kind}_id", kind in CATEGORY_KINDS) for kind in LOCATION_KINDS)
# Rows fetched at a time: a busy city day (Beijing: 450,000 requests) streams through a
# server-side cursor instead of sitting in the worker's memory at once.
STREAM = 2000
# The steps that give a request its first response (workqueue.actions._responded).
RESPONSE_ACTIONS = ("accept", "respond", "ask_info", "resolve")
PLACE = (Ticket.id, Ticket.state, Ticket.category_id, Ticket.grid_id, Ticket.community_id,
         Ticket.street_id, Ticket.county_id, Ticket.handling_unit_id, Ticket.arrived_at,
         Ticket.closed_at)


class Tally:
    """The day's counts per unit, per (street/county, category) and per (unit, worker)."""

    def __init__(self):
        self.units = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
        self.categories = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
        self.workers = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
        self.kinds = {}
        self.departments = set(db.session.scalars(_statement("departments")))

    @staticmethod
    def _add(row, counts):
        for name, value in counts.items():
            row[name] += value

    def place(self, holder, counts) -> None:
        """The request's grid, community, street and county, and its category above."""
        items = counts.items()  # called for every row of the day: the loops written out
        for kind, column, by_category in _PLACES:
            unit_id = getattr(holder, column)
            self.kinds[unit_id] = kind
            row = self.units[unit_id]
            for name, value in items:
                row[name] += value
            if by_category:
                row = self.categories[(unit_id, holder.category_id)]
                for name, value in items:
                    row[name] += value

    def department(self, unit_id, counts) -> None:
        """Only when `unit_id` is a department: it is measured on what it handled."""
        if unit_id in self.departments:
            self.kinds[unit_id] = UnitKind.DEPARTMENT
            self._add(self.units[unit_id], counts)

    def worker(self, unit_id, user_id, counts) -> None:
        if unit_id is not None and user_id is not None:
            self._add(self.workers[(unit_id, user_id)], counts)


def _on(column):
    """The column within the day: [start, end), given when the statement runs."""
    return and_(column >= bindparam("start"), column < bindparam("end"))


@functools.cache
def _statement(name: str):
    """The day's statements, built once per process with the day as parameters: a rebuild
    runs after each burst of changes, and building a dozen statements anew each time was
    about half its CPU on a quiet day (issue 30)."""
    if name == "departments":
        return select(Unit.id).where(Unit.kind == UnitKind.DEPARTMENT)
    if name == "returned":
        return (select(TicketEvent.ticket_id).join(Ticket, Ticket.id == TicketEvent.ticket_id)
                .where(TicketEvent.action == "return", _on(Ticket.submitted_at)))
    if name == "at_department":
        return (select(Arrival.ticket_id, Arrival.unit_id, Arrival.left_by)
                .join(Ticket, Ticket.id == Arrival.ticket_id)
                .where(_on(Ticket.submitted_at), Arrival.unit_id.in_(bindparam("departments", expanding=True))))
    if name == "filed":
        return select(*PLACE).where(_on(Ticket.submitted_at)).execution_options(yield_per=STREAM)
    if name == "responses":
        return (select(*PLACE, Ticket.response_due_at, Ticket.first_response_at)
                .where(or_(_on(Ticket.first_response_at), _on(Ticket.response_due_at)))
                .execution_options(yield_per=STREAM))
    if name == "acceptances":
        return (select(*PLACE, Ticket.accept_due_at, Ticket.accepted_at)
                .where(or_(_on(Ticket.accepted_at), _on(Ticket.accept_due_at)))
                .execution_options(yield_per=STREAM))
    if name == "earlier_stays":
        return (select(Arrival, *PLACE[1:7]).join(Ticket, Ticket.id == Arrival.ticket_id)
                .where(_on(Arrival.settles_at)).execution_options(yield_per=STREAM))
    if name == "resolutions":
        return (select(Resolution, Rating, RectificationCase, Appeal.id)
                .outerjoin(Rating, Rating.resolution_id == Resolution.id)
                .outerjoin(RectificationCase, RectificationCase.rating_id == Rating.id)
                .outerjoin(Appeal, Appeal.rating_id == Rating.id)
                .where(_on(Resolution.resolved_at))
                .execution_options(yield_per=STREAM))
    if name == "assist_tasks":
        task = AssistTask
        return select(task).where(or_(
            _on(task.report_due_at), _on(task.accepted_at), _on(task.due_at), _on(task.done_at),
            _on(task.scored_at)))
    raise KeyError(name)


def _stays(ticket_ids) -> dict[int, list]:
    """Each request's earlier stays, oldest first."""
    out = defaultdict(list)
    if ticket_ids:
        for stay in db.session.scalars(select(Arrival).where(any_of(Arrival.ticket_id, ticket_ids))
                                       .order_by(Arrival.arrived_at, Arrival.id)):
            out[stay.ticket_id].append(stay)
    return out


def holder_at(ticket, moment: datetime, stays) -> int:
    """The unit that held the request at `moment`."""
    for stay in stays:
        if stay.arrived_at <= moment < stay.left_at:
            return stay.unit_id
    return ticket.handling_unit_id


def filings(tally: Tally, start, end) -> None:
    """filed and 退单 (the day of filing); a department counts the requests that came to it."""
    day = {"start": start, "end": end}
    returned = set(db.session.scalars(_statement("returned"), day))
    at_department = defaultdict(dict)  # ticket -> {department: returned by it}
    if tally.departments:
        for ticket_id, unit_id, left_by in db.session.execute(
                _statement("at_department"), {**day, "departments": sorted(tally.departments)}):
            at_department[ticket_id][unit_id] = at_department[ticket_id].get(unit_id) or left_by == "return"
    rows = db.session.execute(_statement("filed"), day)
    for t in rows:
        tally.place(t, {"filed": 1, "returned": int(t.id in returned)})
        visited = at_department.get(t.id, {})
        if t.handling_unit_id in tally.departments:
            visited.setdefault(t.handling_unit_id, False)
        for unit_id, by_it in visited.items():
            tally.department(unit_id, {"filed": 1, "returned": int(by_it)})


def responses(tally: Tally, start, end, now) -> None:
    """响应: each first-response clock counts on the day it ended (answered in time, or
    its deadline), and only once that moment has come."""
    result = db.session.execute(_statement("responses"), {"start": start, "end": end})
    for rows in result.partitions():  # a chunk at a time: its stays and authors in one query each
        ended = []
        for t in rows:
            outcome = response_outcome(t)
            if outcome is not None and start <= outcome[1] < end and outcome[1] <= now:
                ended.append((t, outcome))
        stays = _stays([t.id for t, _ in ended])
        authors = _first_responders([t.id for t, _ in ended if t.first_response_at is not None])
        for t, (kind, at) in ended:
            counts = {"response_due": 1, "responded_in_time": int(kind == "in_time")}
            tally.place(t, counts)
            tally.department(holder_at(t, at, stays[t.id]), counts)
            if t.id in authors:  # who answered first, in time or late, for the unit they acted for
                tally.worker(holder_at(t, t.first_response_at, stays[t.id]), authors[t.id], counts)


def _first_responders(ticket_ids) -> dict[int, int]:
    """Who gave each request its first response (the step at first_response_at)."""
    authors = {}
    if ticket_ids:
        for ticket_id, actor_id in db.session.execute(
                select(TicketEvent.ticket_id, TicketEvent.actor_id)
                .join(Ticket, and_(Ticket.id == TicketEvent.ticket_id,
                                   TicketEvent.at == Ticket.first_response_at))
                .where(any_of(TicketEvent.ticket_id, ticket_ids),
                       TicketEvent.action.in_(RESPONSE_ACTIONS))):
            authors.setdefault(ticket_id, actor_id)
    return authors


def acceptances(tally: Tally, start, end, now) -> None:
    """及时签收, per stay at each unit: the request's current stay (its own columns) and
    its earlier ones (ticket_arrivals), each on the day its clock ended."""
    def count(holder, unit_id, due, accepted, ended_at):
        outcome = acceptance_outcome(due, accepted, ended_at)
        if outcome is None:
            return
        settled = acceptance_settles_at(due, accepted, ended_at)
        if not (start <= settled < end) or settled > now:
            return
        counts = {"arrived": 1, "accepted_in_time": int(outcome == "in_time")}
        tally.place(holder, counts)
        tally.department(unit_id, counts)

    day = {"start": start, "end": end}
    for t in db.session.execute(_statement("acceptances"), day):
        count(t, t.handling_unit_id, t.accept_due_at, t.accepted_at, current_stay_end(t))
    for stay, *place in db.session.execute(_statement("earlier_stays"), day):
        holder = dict(zip(("state", "category_id", "grid_id", "community_id", "street_id", "county_id"),
                          place))
        count(_Plain(holder), stay.unit_id, stay.due_at, stay.accepted_at, stay.left_at)


class _Plain:
    def __init__(self, values):
        self.__dict__.update(values)


def resolution_counts(r, rating, case, appealed: bool) -> dict:
    """What one resolution (with its rating, 整改 case and appeal, if any) adds."""
    c = {"resolved": 1, "resolved_in_time": int(bool(r.in_time)),
         "reopened": int(r.reopened_at is not None)}
    if rating is None:
        return c
    c["rated"] = 1
    c["appealed"] = int(appealed)
    if rating.excluded:
        c["appeals_upheld"] = 1
        return c
    c[rating.level] = 1
    c[f"solved_{rating.solved}"] = 1
    if rating.level in BAD_LEVELS and case is not None and case.closed_at is not None \
            and case.closed_at <= case.close_due_at:
        c["bad_rectified_in_time"] = 1
    return c


def resolutions(tally: Tally, start, end) -> None:
    rows = db.session.execute(_statement("resolutions"), {"start": start, "end": end})
    for r, rating, case, appeal_id in rows:
        counts = resolution_counts(r, rating, case, appeal_id is not None)
        tally.place(r, counts)
        tally.department(r.unit_id, counts)
        tally.worker(r.unit_id, r.handler_id, counts)


def assist_tasks(tally: Tally, start, end, now) -> None:
    """吹哨报到, on the department's figures: 报到 and finishing, each on the day its clock
    ended; the summoning unit's score on the day it was given. A task cancelled with the
    request owed nothing more."""
    rows = db.session.scalars(_statement("assist_tasks"), {"start": start, "end": end})
    for t in rows:
        counts = dict.fromkeys(("assist_report_due", "assist_reported_in_time", "assist_finish_due",
                                "assist_finished_in_time", "assist_scored", "assist_score_total"), 0)
        cancelled = t.state == AssistState.CANCELLED
        for due, done, prefix, done_name in (
                (t.report_due_at, t.accepted_at, "assist_report_due", "assist_reported_in_time"),
                (t.due_at, t.done_at, "assist_finish_due", "assist_finished_in_time")):
            if done is not None and (due is None or done <= due):
                settled, on_time = done, 1
            elif due is None or (cancelled and done is None):
                continue
            else:
                settled, on_time = due, 0
            if start <= settled < end and settled <= now:
                counts[prefix] += 1
                counts[done_name] += on_time
        if t.score is not None and t.scored_at is not None and start <= t.scored_at < end:
            counts["assist_scored"], counts["assist_score_total"] = 1, t.score
        if any(counts.values()):
            tally.department(t.department_id, counts)
