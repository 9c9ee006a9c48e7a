"""The work queue: a unit's requests, nearest deadline first."""
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import selectinload

from community.auth.models import User
from community.core.extensions import db
from community.tickets.access import acting_filter, scope_filter, scope_is_city
from community.tickets.models import Category, Ticket, overdue_clause
from community.tickets.states import LIVE, OPEN, State

from .counts import counted

STATE_FILTERS = ("open", "all") + tuple(s.value for s in State)
# 工作台's two lists: what I can act on (default) and all of my area (oversight).
VIEWS = ("todo", "area")


def state_in(states, name: str):
    """Ticket.state IN (…) with the values written into the SQL: a partial index on
    these states (migration 0013) is then usable by any plan, a generic one too."""
    return Ticket.state.in_(bindparam(name, sorted(s.value for s in states), expanding=True,
                                      literal_execute=True))


@dataclass
class QueueFilter:
    state: str = "open"
    category: str = ""
    tier: str = ""
    overdue: bool = False
    mine: bool = False
    page: int = 1
    view: str = "todo"

    @classmethod
    def from_args(cls, args) -> "QueueFilter":
        state = args.get("state", "open")
        return cls(state=state if state in STATE_FILTERS else "open",
                   category=args.get("category", "")[:8], tier=args.get("tier", "")[:16],
                   overdue=args.get("overdue") == "1", mine=args.get("mine") == "1",
                   page=max(args.get("page", 1, type=int) or 1, 1),
                   view=args.get("view") if args.get("view") in VIEWS else "todo")

    def key(self, user: User) -> str:
        """What the filters select, apart from the page (mine: whose)."""
        mine = f"mine={user.id}" if self.mine else ""
        return "|".join((self.view, self.state, self.category, self.tier, str(int(self.overdue)), mine))


def view_filter(user: User, view: str = "area"):
    return acting_filter(user) if view == "todo" else scope_filter(user)


def _scoped(user: User, view: str = "area"):
    return select(Ticket).where(view_filter(user, view))


def _filtered(user: User, filters: QueueFilter, now: datetime):
    query = _scoped(user, filters.view)
    if filters.state == "open":
        query = query.where(state_in(OPEN, "open_states"))
    elif filters.state != "all":
        query = query.where(Ticket.state == filters.state)
    if filters.category:
        query = query.join(Category, Ticket.category_id == Category.id).where(
            Category.code == filters.category)
    if filters.tier:
        query = query.where(Ticket.tier == filters.tier)
    if filters.overdue:
        query = query.where(overdue_clause(now))
    if filters.mine:
        query = query.where(Ticket.assignee_id == user.id)
    return query


def _ordered(query):
    # NULLS LAST, not "next_due_at IS NULL" first: the same order, and one an index on
    # (next_due_at, submitted_at, id) gives as it stands (ix_tickets_open_due).
    return query.order_by(Ticket.next_due_at.asc().nulls_last(), Ticket.submitted_at, Ticket.id)


# What a queue row shows, loaded once per page: lazily, a county's or the admin's page
# (each request in another grid) read its grids and units one statement each (issue 30).
# Not the category: the page names it from the process's copy (tickets.views.ticket_category).
ROW_LOADS = (selectinload(Ticket.grid), selectinload(Ticket.handling_unit))


def queue_for(user: User, filters: QueueFilter, now: datetime) -> list[Ticket]:
    size = current_app.config["COMMUNITY_PAGE_SIZE"]
    query = _ordered(_filtered(user, filters, now)).options(*ROW_LOADS)
    return list(db.session.scalars(query.limit(size).offset((filters.page - 1) * size)))


def queue_page(user: User, filters: QueueFilter, now: datetime,
               loads=()) -> tuple[list[Ticket], bool, int]:
    """A page of the queue (with `loads`: what the caller shows of each row), whether
    another follows (one row more is read) and how many match the filters in all (for
    the API's clients, which page by number; a city-wide user's is shared, counts.py)."""
    size = current_app.config["COMMUNITY_PAGE_SIZE"]
    query = _filtered(user, filters, now)
    rows = list(db.session.scalars(_ordered(query).options(*loads).limit(size + 1)
                                   .offset((filters.page - 1) * size)))
    total = counted(user, "total:" + filters.key(user), lambda: db.session.scalar(
        select(func.count()).select_from(query.order_by(None).subquery())), now).value
    return rows[:size], len(rows) > size, total


@dataclass
class QueueFigures:
    """What a queue page shows above its rows (counts.py says when they are counted)."""
    states: dict[str, int]       # live requests per state
    overdue: int
    views: dict[str, int]        # open requests in each list (empty when not asked)
    counted_at: datetime
    shared: bool                 # the city's figures: shared, up to a few seconds old


def queue_figures(user: User, view: str, now: datetime, lists: bool = True) -> QueueFigures:
    """The figures of `user`'s `view`; with `lists`, also the open requests of each list.
    For a city-wide user both views are the whole city: one set of figures, shared."""
    def count():
        return {"states": state_counts(user, view), "overdue": overdue_count(user, now, view),
                "views": view_counts(user) if lists or scope_is_city(user) else {}}
    found = counted(user, "figures", count, now)
    return QueueFigures(found.value["states"], found.value["overdue"], found.value["views"],
                        found.counted_at, found.shared)


def state_counts(user: User, view: str = "area") -> dict[str, int]:
    """How many of the user's requests are in each live state (open, or resolved and
    waiting for the rating). Counting the closed ones too read every request a county
    ever had on every queue page: 0.75 s at 5 million requests; now a few thousand.
    count(*), not count(id): the state's index can answer without the table's rows."""
    rows = db.session.execute(
        select(Ticket.state, func.count()).where(view_filter(user, view), state_in(LIVE, "live_states"))
        .group_by(Ticket.state))
    return {state: number for state, number in rows}


def overdue_count(user: User, now: datetime, view: str = "area") -> int:
    return db.session.scalar(select(func.count()).select_from(Ticket).where(
        view_filter(user, view), overdue_clause(now))) or 0


def view_counts(user: User) -> dict[str, int]:
    """Open requests in each of 工作台's two lists (待我处理, 辖区内)."""
    return {view: db.session.scalar(select(func.count()).select_from(Ticket).where(
        view_filter(user, view), state_in(OPEN, "open_states"))) or 0 for view in VIEWS}
