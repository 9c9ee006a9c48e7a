"""Hotspot detection on crafted data: found at N, not at N−1, the window's edge, the
distance edge just inside and just outside, repeats of a rectified 差评, and a run
that is repeated changes nothing."""
from datetime import timedelta

from sqlalchemy import select

from community.core.extensions import db
from community.hotspots.clusters import METRES_PER_DEGREE
from community.hotspots.detect import find_hotspots
from community.hotspots.models import Hotspot, HotspotKind, HotspotState
from community.ratings import cases, services
from community.tickets.services import Filing, submit_ticket

from ..factories import H, resolved_ticket
from ..factories import T0, file_ticket

DAY = timedelta(days=1)
NOW = T0 + 20 * DAY
LAT, LONG = 25.04, 102.71  # Kunming


def _hotspots(kind=None):
    query = select(Hotspot).order_by(Hotspot.id)
    if kind:
        query = query.where(Hotspot.kind == kind)
    return list(db.session.scalars(query))


def _run(now=NOW):
    result = find_hotspots(now)
    db.session.commit()
    return result


def _at_point(people, areas, grid, north_metres, *, category="ENV", now=T0):
    """A request at LAT/LONG moved `north_metres` along the meridian (exact metres)."""
    community = next(u for u in vars(areas).values() if u.id == grid.community_id)
    filing = Filing(kind="complaint", category_code=category, text="垃圾桶满了没人清运。",
                    community_id=community.id, grid_id=grid.id,
                    latitude=LAT + north_metres / METRES_PER_DEGREE, longitude=LONG)
    ticket = submit_ticket(filing, people.resident, now)
    db.session.commit()
    return ticket


def test_three_in_one_grid_in_the_window_is_a_hotspot(ctx, people, areas):
    made = [file_ticket(people, areas, category="ELD", now=T0 + i * DAY) for i in range(3)]
    file_ticket(people, areas, category="HLT", now=T0)  # another category does not count
    result = _run()
    [hotspot] = _hotspots()
    assert result["groups"] == 1 and result["new"] == 1 and result["read"] == 4
    assert hotspot.kind == HotspotKind.PLACE and hotspot.category.code == "ELD"
    assert (hotspot.grid_id, hotspot.community_id, hotspot.street_id) == (areas.S1C1G1.id, areas.S1C1.id, areas.S1.id)
    assert sorted(link.ticket_id for link in hotspot.links) == sorted(t.id for t in made)
    assert hotspot.ticket_count == 3 and hotspot.state == HotspotState.OPEN


def test_n_minus_one_is_not_a_hotspot(ctx, people, areas):
    for i in range(2):
        file_ticket(people, areas, category="ELD", now=T0 + i * DAY)
    file_ticket(people, areas, category="ELD", grid=areas.S1C1G2, now=T0)  # another grid
    _run()
    assert _hotspots() == []


def test_the_window_reads_only_the_last_m_days(ctx, people, areas):
    file_ticket(people, areas, category="ELD", now=NOW - 31 * DAY)  # outside the 30 days
    for i in range(2):
        file_ticket(people, areas, category="ELD", now=NOW - i * DAY)
    result = _run()
    assert result["read"] == 2 and _hotspots() == []


def test_the_thresholds_are_configuration(app, ctx, people, areas, monkeypatch):
    for i in range(2):
        file_ticket(people, areas, category="ELD", now=T0 + i * DAY)
    monkeypatch.setitem(app.config, "COMMUNITY_HOTSPOT_MIN_REQUESTS", 2)
    _run()
    assert len(_hotspots(HotspotKind.PLACE)) == 1


def test_distance_just_inside_finds_a_hotspot_across_grids(ctx, people, areas):
    """Three grids, none with N of its own: a has b 100 m south and c 199 m north."""
    a = _at_point(people, areas, areas.S1C1G1, 0)
    b = _at_point(people, areas, areas.S1C1G2, -100)
    c = _at_point(people, areas, areas.S1C2G1, 199)
    _run()
    [hotspot] = _hotspots()
    assert hotspot.kind == HotspotKind.DISTANCE and hotspot.category.code == "ENV"
    assert {link.ticket_id for link in hotspot.links} == {a.id, b.id, c.id}
    assert abs(hotspot.centre_lat - (LAT + 33 / METRES_PER_DEGREE)) < 1e-6


def test_distance_just_outside_is_not_a_hotspot(ctx, people, areas):
    _at_point(people, areas, areas.S1C1G1, 0)
    _at_point(people, areas, areas.S1C1G2, -100)
    _at_point(people, areas, areas.S1C2G1, 201)  # 201 m from a, 301 m from b
    _run()
    assert _hotspots() == []


def test_a_cluster_inside_one_grid_is_its_place_hotspot_only(ctx, people, areas):
    for north in (0, 50, 100):
        _at_point(people, areas, areas.S1C1G1, north)
    _run()
    assert [h.kind for h in _hotspots()] == [HotspotKind.PLACE]


def test_a_repeat_after_a_rectified_bad_rating(ctx, people, areas):
    ticket = resolved_ticket(people, areas, category="ELD")
    case = services.rate(ticket, people.resident, T0 + 3 * H, "no", "dissatisfied", reasons=["not_solved"]).case
    cases.record_callback(case, people.community, T0 + 4 * H, True, "还是不行")
    cases.explain(case, people.community, T0 + 5 * H, "已说明")
    cases.close_case(case, people.street, T0 + 6 * H, "同意")
    db.session.commit()
    file_ticket(people, areas, category="ELD", now=T0 + 2 * H)  # before the case closed: no repeat
    _run()
    assert _hotspots(HotspotKind.REPEAT) == []
    again = file_ticket(people, areas, category="ELD", now=T0 + 2 * DAY)
    _run()
    [hotspot] = _hotspots(HotspotKind.REPEAT)  # (the grid's three are its place hotspot besides)
    assert hotspot.case_id == case.id
    assert {link.ticket_id for link in hotspot.links} == {ticket.id, again.id}


def test_a_second_run_changes_nothing_and_a_new_request_joins(ctx, people, areas):
    for i in range(3):
        file_ticket(people, areas, category="ELD", now=T0 + i * DAY)
    _run()
    [first] = _hotspots()
    assert _run()["new"] == 0 and [h.id for h in _hotspots()] == [first.id]
    late = file_ticket(people, areas, category="ELD", now=T0 + 5 * DAY)
    _run(NOW + DAY)
    [hotspot] = _hotspots()
    assert hotspot.id == first.id and hotspot.ticket_count == 4
    assert late.id in {link.ticket_id for link in hotspot.links}


def test_an_open_hotspot_lapses_when_it_stops_recurring(ctx, people, areas):
    for i in range(3):
        file_ticket(people, areas, category="ELD", now=T0 + i * DAY)
    _run()
    result = _run(T0 + 31 * DAY)  # the first request left the window
    [hotspot] = _hotspots()
    assert result["lapsed"] == 1 and hotspot.state == HotspotState.LAPSED
    file_ticket(people, areas, category="ELD", now=T0 + 30 * DAY)  # three again: it comes back
    result = _run(T0 + 31 * DAY)
    assert result["new"] == 0 and [(h.id, h.state, h.ticket_count) for h in _hotspots()] == [
        (hotspot.id, HotspotState.OPEN, 4)]


def test_requests_a_done_task_answered_start_no_new_hotspot(ctx, people, areas):
    from community.hotspots.tasks import finish_task, open_task

    for i in range(3):
        file_ticket(people, areas, category="ELD", now=T0 + i * DAY)
    _run()
    [hotspot] = _hotspots()
    task = open_task(hotspot, people.community, NOW, owner_id=people.grid.id, due_on=(NOW + 5 * DAY).date())
    finish_task(task, people.grid, NOW + DAY, "已处理")
    db.session.commit()
    assert _run(NOW + 2 * DAY)["groups"] == 0 and len(_hotspots()) == 1
    for i in range(3):
        file_ticket(people, areas, category="ELD", now=NOW + (3 + i) * DAY)
    _run(NOW + 6 * DAY)
    assert [h.state for h in _hotspots()] == [HotspotState.DONE, HotspotState.OPEN]
