"""Generated area boundaries: a jittered lattice cut into blocks.

The demo county (community.demo.seed) and the benchmark city (bench.city.cityrows) both
need boundaries that look like a city's and that tile their area exactly. A
lattice of cells whose corners are moved a little, and whose edges bend once at
a moved midpoint, gives that: neighbouring cells share every vertex, so the
cells meet with neither gap nor overlap, and a block of cells (a community, a
street) has an outline walked along the same vertices.

Positions are (longitude, latitude), as GeoJSON has them. Seeded: the same
arguments give the same city.
"""
import math
import random
from dataclasses import dataclass

METRES_PER_DEGREE = 111_320.0
JITTER = 0.18  # how far a corner moves, as a share of a cell's side
BEND = 0.07    # how far an edge's midpoint moves sideways


@dataclass(frozen=True)
class Lattice:
    rows: int
    cols: int
    south: float      # latitude of the bottom edge
    west: float       # longitude of the left edge
    dlat: float       # a cell's height, degrees
    dlong: float      # a cell's width, degrees
    seed: int = 1

    @classmethod
    def around(cls, lat: float, long: float, rows: int, cols: int, cell_m: float,
               seed: int = 1) -> "Lattice":
        """A lattice of rows×cols cells of about cell_m metres, centred on (lat, long)."""
        dlat = cell_m / METRES_PER_DEGREE
        dlong = dlat / math.cos(math.radians(lat))
        return cls(rows, cols, lat - rows * dlat / 2, long - cols * dlong / 2, dlat, dlong, seed)

    def _rng(self, *key) -> random.Random:
        # One generator per vertex, keyed by its place: a vertex is the same
        # whichever cell or block asks for it, and needs no table in memory.
        return random.Random(_key(self.seed, *key))

    def corner(self, r: int, c: int) -> tuple[float, float]:
        """The lattice point at row line r, column line c (0..rows, 0..cols). Points on
        the outer frame move only along it, so the whole area stays a clean rectangle."""
        rng = self._rng("v", r, c)
        dy = 0.0 if r in (0, self.rows) else rng.uniform(-JITTER, JITTER)
        dx = 0.0 if c in (0, self.cols) else rng.uniform(-JITTER, JITTER)
        return (round(self.west + (c + dx) * self.dlong, 7),
                round(self.south + (r + dy) * self.dlat, 7))

    def _middle(self, a: tuple[int, int], b: tuple[int, int]) -> tuple[float, float]:
        """The bent midpoint of the edge between lattice points a and b (neighbours)."""
        (r1, c1), (r2, c2) = sorted([a, b])
        p, q = self.corner(r1, c1), self.corner(r2, c2)
        x, y = (p[0] + q[0]) / 2, (p[1] + q[1]) / 2
        on_frame = (r1 == r2 and r1 in (0, self.rows)) or (c1 == c2 and c1 in (0, self.cols))
        if not on_frame:
            bend = self._rng("e", r1, c1, r2, c2).uniform(-BEND, BEND)
            if r1 == r2:   # a horizontal edge bends up or down
                y += bend * self.dlat
            else:          # a vertical edge bends left or right
                x += bend * self.dlong
        return (round(x, 7), round(y, 7))

    def outline(self, r0: int, c0: int, r1: int, c1: int) -> list[tuple[float, float]]:
        """The closed ring (counter-clockwise) around the block of cells rows r0..r1-1,
        columns c0..c1-1."""
        path = [(r0, c) for c in range(c0, c1 + 1)] + [(r, c1) for r in range(r0 + 1, r1 + 1)] \
            + [(r1, c) for c in range(c1 - 1, c0 - 1, -1)] + [(r, c0) for r in range(r1 - 1, r0 - 1, -1)]
        ring = []
        for a, b in zip(path, path[1:]):
            ring += [self.corner(*a), self._middle(a, b)]
        ring.append(ring[0])
        return ring

    def cell(self, r: int, c: int) -> list[tuple[float, float]]:
        return self.outline(r, c, r + 1, c + 1)

    def polygon(self, r0: int, c0: int, r1: int, c1: int) -> dict:
        """The block as a GeoJSON Polygon."""
        return {"type": "Polygon", "coordinates": [[list(p) for p in self.outline(r0, c0, r1, c1)]]}

    def inner_point(self, r: int, c: int, u: float, v: float) -> tuple[float, float]:
        """A point (lat, long) surely inside cell (r, c): u and v in [0, 1) pick it from
        the middle part of the cell, which no moved corner or bent edge reaches."""
        safe = 0.5 - JITTER - BEND - 0.02
        lat = self.south + (r + 0.5 + (v * 2 - 1) * safe) * self.dlat
        long = self.west + (c + 0.5 + (u * 2 - 1) * safe) * self.dlong
        return round(lat, 7), round(long, 7)


def _key(*parts) -> int:
    # Python's hash() of strings changes between runs; this does not.
    value = 1469598103934665603
    for part in parts:
        for byte in str(part).encode() + b"|":
            value = ((value ^ byte) * 1099511628211) % (1 << 64)
    return value


def partition(block: tuple[int, int, int, int], weights: list[float],
              minimums: list[int] | None = None) -> list[tuple[int, int, int, int]]:
    """Cut a block (r0, c0, r1, c1) into one rectangle per weight, in order, with areas
    roughly in proportion to the weights and each of at least its minimum of cells
    (default 1: a street needs as many cells as it has grids); every cell of the
    block belongs to exactly one rectangle. ValueError when no such cut is found."""
    r0, c0, r1, c1 = block
    minimums = list(minimums or [1] * len(weights))
    if not weights or len(minimums) != len(weights) or any(w <= 0 for w in weights) \
            or any(m < 1 for m in minimums):
        raise ValueError(f"weights and minimums must be positive: {weights}, {minimums}")
    found = _partition(block, list(weights), minimums)
    if found is None:
        raise ValueError(f"cannot cut {r1 - r0}×{c1 - c0} cells into blocks of {weights}")
    return found


def _partition(block, weights, minimums):
    r0, c0, r1, c1 = block
    height, width = r1 - r0, c1 - c0
    total = sum(weights)
    if sum(minimums) > height * width:
        return None
    if len(weights) == 1:
        return [block]
    # Two runs of weights, the most even first; the longer side first, cut in proportion;
    # other cuts only when that one cannot be finished (a tight fit).
    running = [sum(weights[:i]) for i in range(1, len(weights))]
    halves = sorted(range(1, len(weights)), key=lambda i: abs(2 * running[i - 1] - total))
    for half in halves:
        need1, need2 = sum(minimums[:half]), sum(minimums[half:])
        share = running[half - 1] / total
        for across in ((width >= height), (width < height)):
            length, depth = (width, height) if across else (height, width)
            low, high = max(1, -(-need1 // depth)), min(length - 1, length - -(-need2 // depth))
            if low > high:
                continue
            best = min(max(round(length * share), low), high)
            for split in sorted(range(low, high + 1), key=lambda s: abs(s - best)):
                if across:
                    a, b = (r0, c0, r1, c0 + split), (r0, c0 + split, r1, c1)
                else:
                    a, b = (r0, c0, r0 + split, c1), (r0 + split, c0, r1, c1)
                first = _partition(a, weights[:half], minimums[:half])
                second = first and _partition(b, weights[half:], minimums[half:])
                if second:
                    return first + second
    return None
