"""The daily hotspot job: read one window of requests, find the groups
(community.hotspots.clusters), and keep the hotspot rows in step with them.

It reads only what the window needs: the requests submitted in the last
COMMUNITY_HOTSPOT_DAYS (a range on ix_tickets_submitted_at), the 整改 cases closed in
that window (ix_rectification_cases_closed_at), and the hotspots still running.
A run at any moment gives the same hotspots for the same window (idempotent): a
group joins the running hotspot it matches, or starts a new one.
"""
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select

from community.areas.models import Unit
from community.areas.services import hint_in_address
from community.core.bulkdb import any_of
from community.core.extensions import db
from community.core.jobs import run_alone
from community.ratings.models import RectificationCase
from community.tickets.models import Ticket
from community.tickets.states import State

from .clusters import ClosedCase, Group, Row, distance_groups, place_groups, repeat_groups
from .models import Hotspot, HotspotKind, HotspotState, HotspotTicket

log = logging.getLogger(__name__)
LOCK_KEY = "community:hotspots:lock"
RUNNING = (HotspotState.OPEN, HotspotState.TASKED)
# Merged requests live on in the one they joined; a cancelled one was withdrawn.
NOT_COUNTED = (State.MERGED, State.CANCELLED)
_T = Ticket.__table__.c
ROW_COLUMNS = (_T.id, _T.category_id, _T.grid_id, _T.community_id, _T.street_id, _T.county_id,
               _T.latitude, _T.longitude, _T.address, _T.submitted_at)


@dataclass(frozen=True)
class Settings:
    min_requests: int
    days: int
    metres: float
    repeat_min: int

    @classmethod
    def from_config(cls, config=None) -> "Settings":
        config = config or current_app.config
        return cls(min_requests=max(2, int(config["COMMUNITY_HOTSPOT_MIN_REQUESTS"])),
                   days=max(1, int(config["COMMUNITY_HOTSPOT_DAYS"])),
                   metres=float(config["COMMUNITY_HOTSPOT_METRES"]),
                   repeat_min=max(1, int(config["COMMUNITY_HOTSPOT_REPEAT_MIN"])))


def window_query(start: datetime, now: datetime):
    """The requests of the window: the statement whose plan the bench prints."""
    return (select(*ROW_COLUMNS)
            .where(_T.submitted_at >= start, _T.submitted_at <= now, _T.state.not_in(NOT_COUNTED)))


def window_rows(start: datetime, now: datetime) -> list[Row]:
    return [Row(*row) for row in db.session.execute(window_query(start, now))]


def closed_cases(start: datetime, now: datetime) -> list[ClosedCase]:
    c = RectificationCase.__table__.c
    rows = db.session.execute(
        select(c.id, c.closed_at, *ROW_COLUMNS).join(Ticket.__table__, _T.id == c.ticket_id)
        .where(c.closed_at >= start, c.closed_at <= now))
    return [ClosedCase(row[0], row[1], Row(*row[2:])) for row in rows]


def done_ticket_ids(start: datetime) -> set[int]:
    """Requests a finished proactive task already answered: they start no new hotspot."""
    return set(db.session.scalars(
        select(HotspotTicket.ticket_id).join(Hotspot, Hotspot.id == HotspotTicket.hotspot_id)
        .where(Hotspot.state == HotspotState.DONE, Hotspot.last_at >= start)))


def find_groups(now: datetime, settings: Settings) -> tuple[list[Group], int]:
    start = now - timedelta(days=settings.days)
    rows = window_rows(start, now)
    done = done_ticket_ids(start)
    live = [r for r in rows if r.id not in done]
    cases = closed_cases(start, now)
    groups = (place_groups(live, settings.min_requests)
              + distance_groups(live, settings.min_requests, settings.metres)
              + repeat_groups(live, cases, settings.metres, settings.repeat_min))
    return groups, len(rows)


def find_hotspots(now: datetime, settings: Settings | None = None) -> dict:
    """Bring the hotspots in line with the window ending `now`; the caller commits."""
    settings = settings or Settings.from_config()
    groups, read = find_groups(now, settings)
    # What a group may join: the running hotspots, and those that lapsed within the
    # window (a place that comes back reopens its hotspot instead of starting another).
    start = now - timedelta(days=settings.days)
    candidate = or_(Hotspot.state.in_(RUNNING), and_(Hotspot.state == HotspotState.LAPSED, Hotspot.seen_at >= start))
    running = sorted(db.session.scalars(select(Hotspot).where(candidate)),
                     key=lambda h: (h.state == HotspotState.LAPSED, h.id))  # a running one first
    linked = defaultdict(set)
    for hotspot_id, ticket_id in db.session.execute(
            select(HotspotTicket.hotspot_id, HotspotTicket.ticket_id)
            .join(Hotspot, Hotspot.id == HotspotTicket.hotspot_id).where(candidate)):
        linked[hotspot_id].add(ticket_id)
    grids = _grids({r.grid_id for g in groups for r in g.rows})
    # Hotspots are told apart by the object, not the id: a new one gets its id at the one
    # flush after the loop (a flush per group rescanned the growing session: quadratic).
    links = {id(h): linked.get(h.id, set()) for h in running}
    seen, new = set(), 0
    index = _Index(running, links)
    for group in groups:
        hotspot = index.match(group, seen)
        if hotspot is None:
            hotspot = Hotspot(kind=group.kind, category_id=group.category_id, case_id=group.case_id,
                              state=HotspotState.OPEN, found_at=now, ticket_count=0)
            db.session.add(hotspot)
            running.append(hotspot)
            new += 1
        known = links.setdefault(id(hotspot), set())
        with db.session.no_autoflush:
            _update(hotspot, group, known, grids, now, settings.min_requests)
        index.add(hotspot, group.ids)
        seen.add(id(hotspot))
    lapsed = 0
    for hotspot in running:
        if hotspot.state == HotspotState.OPEN and id(hotspot) not in seen:
            hotspot.state = HotspotState.LAPSED
            lapsed += 1
    db.session.flush()
    return {"read": read, "groups": len(groups), "new": new, "lapsed": lapsed}


class _Index:
    """Which hotspot a group joins: the first of `running`, in its order, of the group's
    kind and category, in the same grid (place), for the same case (repeat), or not yet
    joined in this run and sharing a request (distance); `seen` holds id(hotspot). Found by key, not by walking the whole
    list for every group: at 5 M requests a day's window holds thousands of groups and
    hotspots, and the walk took minutes."""

    def __init__(self, running: list[Hotspot], links):
        self.position: dict[int, int] = {}  # id(hotspot) -> its place in running
        self.first: dict[tuple, Hotspot] = {}  # (kind, category, grid or case) -> the first
        self.near: dict[int, list[Hotspot]] = defaultdict(list)  # request id -> distance hotspots
        for hotspot in running:
            self.add(hotspot, links[id(hotspot)])

    def add(self, hotspot: Hotspot, ticket_ids) -> None:
        """A hotspot, after those already added, and the requests it now links."""
        self.position.setdefault(id(hotspot), len(self.position))
        if hotspot.kind == HotspotKind.PLACE:
            self.first.setdefault((hotspot.kind, hotspot.category_id, hotspot.grid_id), hotspot)
        elif hotspot.kind == HotspotKind.REPEAT:
            self.first.setdefault((hotspot.kind, hotspot.category_id, hotspot.case_id), hotspot)
        elif hotspot.kind == HotspotKind.DISTANCE:
            for ticket_id in ticket_ids:
                self.near[ticket_id].append(hotspot)

    def match(self, group: Group, seen) -> Hotspot | None:
        if group.kind == HotspotKind.PLACE:
            return self.first.get((group.kind, group.category_id, group.rows[0].grid_id))
        if group.kind == HotspotKind.REPEAT:
            return self.first.get((group.kind, group.category_id, group.case_id))
        if group.kind == HotspotKind.DISTANCE:
            found = [h for ticket_id in group.ids for h in self.near.get(ticket_id, ())
                     if h.category_id == group.category_id and id(h) not in seen]
            return min(found, key=lambda h: self.position[id(h)], default=None)
        return None


def _update(hotspot: Hotspot, group: Group, already: set, grids: dict, now: datetime, n: int) -> None:
    """Place, centre and requests from the group; `already`: its linked request ids (grows)."""
    main = group.main_place()
    hotspot.grid_id, hotspot.community_id = main.grid_id, main.community_id
    hotspot.street_id, hotspot.county_id = main.street_id, main.county_id
    if hotspot.state == HotspotState.LAPSED:
        hotspot.state = HotspotState.OPEN
    centre = group.centre()
    grid = grids.get(main.grid_id)
    if centre is None and grid is not None and grid.centre_lat is not None:
        centre = (grid.centre_lat, grid.centre_long)
    hotspot.centre_lat, hotspot.centre_long = centre if centre else (None, None)
    hotspot.place_name = _place_name(group, grid, n) if hotspot.kind == HotspotKind.PLACE else ""
    for row in group.rows:
        if row.id not in already:
            db.session.add(HotspotTicket(hotspot=hotspot, ticket_id=row.id, added_at=now))
            already.add(row.id)
    times = [r.submitted_at for r in group.rows]
    hotspot.first_at = min([hotspot.first_at, *times]) if hotspot.first_at else min(times)
    hotspot.last_at = max([hotspot.last_at, *times]) if hotspot.last_at else max(times)
    hotspot.ticket_count = len(already)
    hotspot.seen_at = now


def _place_name(group: Group, grid: Unit | None, n: int) -> str:
    """The 小区 (the grid's address word) N or more of the requests name, if any."""
    if grid is None:
        return ""
    counts = Counter(hint for row in group.rows for hint in grid.hints() if hint_in_address(hint, row.address))
    best = max(counts, key=lambda h: (counts[h], len(h)), default=None)
    return best if best is not None and counts[best] >= n else ""


def _grids(ids) -> dict[int, Unit]:
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(Unit).where(any_of(Unit.id, ids)))}


def find_hotspots_locked(now: datetime, redis=None, ttl: int = 3600) -> dict:
    """The daily job: one run at a time across workers (Redis SET NX EX)."""
    result = run_alone(LOCK_KEY, now.isoformat(), lambda: find_hotspots(now), redis=redis, ttl=ttl)
    return {"skipped": 1} if result is None else result

