"""Finding recurring requests in one window of rows: pure functions, no database.

A row is a request's id, category, place and time (`Row`). Three rules, each giving
groups of rows (docs/hotspots.md):

- place: N or more of one category in one grid (a 小区's address word belongs to
  one grid, so a 小区 that recurs is inside its grid's group);
- distance: N or more of one category each within `metres` of a request that has
  N−1 others that close (DBSCAN's core points with their neighbours), when no single
  grid holds N of them (else the place rule already shows it);
- repeat: after a 差评's 整改 was closed, `repeat_min` or more requests of the same
  category in the same grid or within `metres` of it.
"""
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

EARTH_METRES = 6_371_008.8
METRES_PER_DEGREE = math.pi * EARTH_METRES / 180


class Row(NamedTuple):
    id: int
    category_id: int
    grid_id: int
    community_id: int
    street_id: int
    county_id: int
    latitude: float | None
    longitude: float | None
    address: str
    submitted_at: datetime


class ClosedCase(NamedTuple):
    """A closed 整改 case and the request it was about."""
    id: int
    closed_at: datetime
    ticket: Row


@dataclass
class Group:
    kind: str
    category_id: int
    rows: list[Row]
    case_id: int | None = None
    ids: frozenset = field(init=False)

    def __post_init__(self):
        self.rows = sorted({r.id: r for r in self.rows}.values(), key=lambda r: r.id)
        self.ids = frozenset(r.id for r in self.rows)

    def main_place(self) -> Row:
        """A row in the grid most of the group lies in (ties: the lowest grid id)."""
        counts = Counter(r.grid_id for r in self.rows)
        grid = min(counts, key=lambda g: (-counts[g], g))
        return next(r for r in self.rows if r.grid_id == grid)

    def centre(self) -> tuple[float, float] | None:
        points = [(r.latitude, r.longitude) for r in self.rows if r.latitude is not None
                  and r.longitude is not None]
        if not points:
            return None
        return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))


def metres_between(lat1, long1, lat2, long2) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(long2 - long1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_METRES * math.asin(min(1.0, math.sqrt(a)))


class CellIndex:
    """Points bucketed in cells at least `metres` wide: a point's neighbours are in
    its own cell or the eight around it, so each look-up reads a handful of rows."""

    def __init__(self, rows: list[Row], metres: float):
        self.metres = metres
        top = max((abs(r.latitude) for r in rows), default=0.0)
        self.height = metres / METRES_PER_DEGREE
        # Cells are widest in degrees where a degree of longitude is shortest.
        self.width = metres / (METRES_PER_DEGREE * max(math.cos(math.radians(min(top, 89.0))), 1e-6))
        self.cells = defaultdict(list)
        for row in rows:
            self.cells[self._cell(row.latitude, row.longitude)].append(row)

    def _cell(self, lat, long):
        return math.floor(lat / self.height), math.floor(long / self.width)

    def near(self, lat: float, long: float) -> list[Row]:
        y, x = self._cell(lat, long)
        return [row for dy in (-1, 0, 1) for dx in (-1, 0, 1) for row in self.cells.get((y + dy, x + dx), ())
                if metres_between(lat, long, row.latitude, row.longitude) <= self.metres]


def place_groups(rows: list[Row], n: int) -> list[Group]:
    by_place = defaultdict(list)
    for row in rows:
        by_place[row.category_id, row.grid_id].append(row)
    return [Group("place", category, members) for (category, _grid), members in sorted(by_place.items())
            if len(members) >= n]


def distance_groups(rows: list[Row], n: int, metres: float) -> list[Group]:
    by_category = defaultdict(list)
    for row in rows:
        if row.latitude is not None and row.longitude is not None:
            by_category[row.category_id].append(row)
    groups = []
    for category, points in sorted(by_category.items()):
        if len(points) < n:
            continue
        index = CellIndex(points, metres)
        near = {p.id: index.near(p.latitude, p.longitude) for p in points}
        core = sorted(pid for pid, found in near.items() if len(found) >= n)
        parent = {pid: pid for pid in core}
        for pid in core:
            for other in near[pid]:
                if other.id in parent:
                    a, b = _root(parent, pid), _root(parent, other.id)
                    if a != b:
                        parent[max(a, b)] = min(a, b)
        clusters, placed = defaultdict(dict), set()
        for pid in core:  # in id order: a point near two clusters joins the first
            cluster = clusters[_root(parent, pid)]
            for other in near[pid]:
                if other.id not in placed or other.id in parent:
                    cluster[other.id] = other
                    placed.add(other.id)
        for members in clusters.values():
            grids = Counter(r.grid_id for r in members.values())
            if max(grids.values()) < n:
                groups.append(Group("distance", category, list(members.values())))
    return groups


def _root(parent: dict, pid: int) -> int:
    """Union-find: the cluster's representative (path halving)."""
    while parent[pid] != pid:
        parent[pid] = parent[parent[pid]]
        pid = parent[pid]
    return pid


def repeat_groups(rows: list[Row], cases: list[ClosedCase], metres: float, repeat_min: int) -> list[Group]:
    by_place = defaultdict(list)
    by_category = defaultdict(list)
    for row in rows:
        by_place[row.category_id, row.grid_id].append(row)
        if row.latitude is not None and row.longitude is not None:
            by_category[row.category_id].append(row)
    indexes = {}
    groups = []
    for case in sorted(cases, key=lambda c: c.id):
        origin = case.ticket
        found = {r.id: r for r in by_place.get((origin.category_id, origin.grid_id), ())}
        if origin.latitude is not None and origin.longitude is not None and by_category.get(origin.category_id):
            if origin.category_id not in indexes:
                indexes[origin.category_id] = CellIndex(by_category[origin.category_id], metres)
            found.update((r.id, r) for r in indexes[origin.category_id].near(origin.latitude, origin.longitude))
        repeats = [r for r in found.values() if r.id != origin.id and r.submitted_at > case.closed_at]
        if len(repeats) >= repeat_min:
            groups.append(Group("repeat", origin.category_id, [origin, *repeats], case_id=case.id))
    return groups
