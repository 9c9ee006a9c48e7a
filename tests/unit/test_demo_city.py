"""The demo city's geometry (community.demo.city over areas.tiling): the grids tile
the county with no gap and no overlap, communities and streets are exactly their
grids, every grid is reachable by a point inside it, and the demo requests sit
in their grids with texts, ratings and lateness that look real."""
import random
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.areas import geo
from community.areas.models import Unit
from community.areas.services import list_units
from community.areas.tiling import Lattice, partition
from community.demo.city import CENTRE, layout
from community.core.extensions import db
from community.open311.keys import create_client
from community.ratings.models import Rating
from community.tickets.models import Ticket
from community.tickets.states import OPEN
from community.core.timeutil import utcnow

CODES = {f"S{s}": {f"S{s}C{c}": [f"S{s}C{c}G{g}" for g in range(4)] for c in range(4)}
         for s in range(3)}


def area(ring) -> float:
    """Shoelace area of a closed ring of (long, lat) pairs, in square degrees."""
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:]))) / 2


def rings(shapes, codes):
    return {code: geo.polygons_of(shapes[code]) for code in codes}


def sample(polygon, rng, count):
    ring = polygon[0][0]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    return [(rng.uniform(min(ys), max(ys)), rng.uniform(min(xs), max(xs))) for _ in range(count)]


def test_grids_tile_the_county_with_no_gap_and_no_overlap():
    shapes = layout(CODES)
    grids = rings(shapes, [g for s in CODES.values() for gs in s.values() for g in gs])
    county = geo.polygons_of(shapes["__county__"])
    # No gap and no overlap together: the grids' areas add up to the county's …
    assert sum(area(p[0][0]) for p in grids.values()) == pytest.approx(area(county[0][0]), rel=1e-9)
    # … and every point of the county lies in exactly one grid, none outside it.
    rng = random.Random(7)
    inside = 0
    for lat, long in sample(county, rng, 6000):
        hits = [code for code, polygons in grids.items() if geo.contains(polygons, lat, long)]
        assert len(hits) == (1 if geo.contains(county, lat, long) else 0), (lat, long, hits)
        inside += bool(hits)
    assert inside > 5000
    # At a plausible place: Kunming's main city, within a few kilometres of its centre.
    lat, long = CENTRE
    assert all(abs(p[1] - lat) < 0.02 and abs(p[0] - long) < 0.02 for p in county[0][0])


def test_communities_and_streets_are_exactly_their_grids():
    shapes = layout(CODES)
    rng = random.Random(8)
    for street, communities in CODES.items():
        street_area = area(geo.polygons_of(shapes[street])[0][0])
        assert sum(area(geo.polygons_of(shapes[c])[0][0]) for c in communities) == \
            pytest.approx(street_area, rel=1e-9)
        for community, grids in communities.items():
            outline = geo.polygons_of(shapes[community])
            assert sum(area(geo.polygons_of(shapes[g])[0][0]) for g in grids) == \
                pytest.approx(area(outline[0][0]), rel=1e-9)
            for grid in grids:
                polygons = geo.polygons_of(shapes[grid])
                for lat, long in sample(polygons, rng, 40):
                    if geo.contains(polygons, lat, long):
                        assert geo.contains(outline, lat, long)
                        assert geo.contains(geo.polygons_of(shapes[street]), lat, long)


def test_the_lattice_bends_but_shares_every_edge():
    lattice = Lattice.around(25.0, 102.7, 3, 3, 200, seed=3)
    left, right = lattice.cell(1, 0), lattice.cell(1, 1)
    shared = set(left) & set(right)
    assert len(shared) == 3  # two corners and the bent midpoint between them
    straight = (left[0][0] + left[2][0]) / 2
    assert left[1][0] != pytest.approx(straight, abs=1e-9) or left[1][1] != left[0][1]
    for r in range(3):
        for c in range(3):
            lat, long = lattice.inner_point(r, c, 0.999, 0.001)
            assert geo.contains([[lattice.cell(r, c)]], lat, long)


def test_partition_covers_every_cell_once_and_refuses_what_cannot_fit():
    blocks = partition((0, 0, 7, 9), [3, 1, 2, 5, 1], [2, 1, 2, 4, 1])
    cells = Counter((r, c) for r0, c0, r1, c1 in blocks for r in range(r0, r1) for c in range(c0, c1))
    assert set(cells.values()) == {1} and len(cells) == 63
    assert all((r1 - r0) * (c1 - c0) >= m for (r0, c0, r1, c1), m in zip(blocks, [2, 1, 2, 4, 1]))
    with pytest.raises(ValueError):
        partition((0, 0, 2, 2), [1] * 5)


def test_bench_city_grids_tile_too():
    from bench.city.cityrows import UNIT_COLUMNS, build_areas

    city = build_areas(1, random.Random(1), (2, 4, 10, 60))
    at = UNIT_COLUMNS.index("boundary")
    boundaries = {u[0]: u[at] for u in city.units if u[3] == "grid"}
    assert len(boundaries) == 60 and all(boundaries.values())
    assert all(u[at] for u in city.units if u[3] != "department")
    polygons = {uid: geo.polygons_of(b) for uid, b in boundaries.items()}
    for n, uid in enumerate(polygons):  # the requests' points fall in their grids
        assert geo.contains(polygons[uid], *city.point(uid, n * 7919))
    rng = random.Random(9)
    for uid, polygon in polygons.items():
        hits = 0
        for lat, long in sample(polygon, rng, 20):
            if geo.contains(polygon, lat, long):
                hits += 1
                assert [o for o, p in polygons.items() if geo.contains(p, lat, long)] == [uid]
        assert hits


def test_every_demo_grid_is_reachable_by_a_point_inside_it(demo_city):
    rng = random.Random(10)
    grids = list_units("grid")
    assert len(grids) == 48 and all(g.boundary for g in grids)
    for grid in grids:
        polygons = geo.polygons_of(grid.boundary)
        point = next(p for p in sample(polygons, rng, 500) if geo.contains(polygons, *p))
        assert geo.grid_at(*point).id == grid.id
    for kind in ("county", "street", "community"):
        assert all(u.boundary for u in list_units(kind)), kind


def test_demo_requests_look_real(demo_city):
    tickets = list(db.session.scalars(select(Ticket)))
    assert all(t.latitude is not None and geo.grid_at(t.latitude, t.longitude).id == t.grid_id
               for t in tickets)
    texts = Counter((t.grid_id, t.text) for t in tickets)
    assert max(texts.values()) == 1  # no two identical in one grid
    assert len({t.text for t in tickets}) > 100
    channels = Counter(t.channel for t in tickets)
    assert channels["hotline"] and channels["grid_worker"] and channels["web"] > len(tickets) / 2
    assert sum(1 for t in tickets if t.filed_by_id) == len(tickets) - channels["web"]  # 代办
    assert sum(1 for t in tickets if t.photos) >= 5
    # Ratings agree with what the resident said of the outcome.
    answers = Counter(db.session.execute(select(Rating.solved, Rating.level)).all())
    unsolved = sum(n for (solved, _), n in answers.items() if solved == "no")
    assert answers[("no", "very_satisfied")] + answers[("no", "satisfied")] <= max(2, unsolved // 5)
    assert not db.session.scalar(select(func.count()).select_from(Rating).where(
        Rating.solved == "no", Rating.comment.like("%处理很及时%")))
    # Most finished, none absurdly late.
    now = utcnow()
    open_ = [t for t in tickets if t.state in OPEN]
    assert len(open_) < len(tickets) / 3
    assert all(t.next_due_at is None or t.next_due_at > now - timedelta(days=7) for t in open_)


def test_open311_filing_with_a_point_in_a_demo_grid_gets_201(demo_city, client):
    _row, key = create_client("demo-client", utcnow())
    db.session.commit()
    grid = db.session.scalar(select(Unit).where(Unit.kind == "grid").order_by(Unit.code).offset(17))
    polygons = geo.polygons_of(grid.boundary)
    lat, long = next(p for p in sample(polygons, random.Random(11), 500) if geo.contains(polygons, *p))
    answer = client.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "ENV", "description": "小区门口垃圾桶满了",
        "lat": f"{lat:.6f}", "long": f"{long:.6f}"})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    ticket = db.session.scalar(select(Ticket).order_by(Ticket.id.desc()).limit(1))
    assert ticket.grid_id == grid.id and ticket.channel == "open311"
    outside = client.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "ENV", "description": "垃圾桶满了", "lat": "39.9", "long": "116.4"})
    assert outside.status_code == 400
