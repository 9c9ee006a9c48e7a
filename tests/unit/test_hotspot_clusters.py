"""The hotspot rules as pure functions (community.hotspots.clusters): no database."""
from datetime import datetime, timedelta, timezone

from community.hotspots.clusters import (METRES_PER_DEGREE, ClosedCase, Row, distance_groups,
                                         metres_between, place_groups, repeat_groups)

T = datetime(2026, 11, 1, tzinfo=timezone.utc)
LAT, LONG = 25.04, 102.71


def row(id, grid=1, category=1, north=None, east=0.0, at=T, community=10):
    lat = None if north is None else LAT + north / METRES_PER_DEGREE
    long = None if north is None else LONG + east / (METRES_PER_DEGREE * 0.906)
    return Row(id, category, grid, community, 100, 1000, lat, long, "", at)


def test_metres_between_along_a_meridian_is_exact():
    assert abs(metres_between(LAT, LONG, LAT + 200 / METRES_PER_DEGREE, LONG) - 200) < 1e-6


def test_place_groups_need_n_of_one_category_in_one_grid():
    rows = [row(1), row(2), row(3, category=2), row(4, grid=2)]
    assert place_groups(rows, 2) == place_groups(rows, 2)
    [group] = place_groups(rows, 2)
    assert group.ids == {1, 2} and group.kind == "place"
    assert place_groups(rows, 3) == []


def test_a_chain_of_core_points_is_one_cluster_and_a_far_point_none():
    # 0, 150, 300, 450 m: each has a neighbour on both sides except the ends (n=3:
    # 150 and 300 are core, 0 and 450 border points); 2 km away stands alone.
    rows = [row(i + 1, grid=i + 1, north=150 * i) for i in range(4)] + [row(9, grid=9, north=2000)]
    [group] = distance_groups(rows, 3, 200)
    assert group.ids == {1, 2, 3, 4}


def test_points_near_a_cell_edge_east_west_are_found():
    rows = [row(1, grid=1, north=0, east=0), row(2, grid=2, north=0, east=190), row(3, grid=3, north=0, east=-190)]
    [group] = distance_groups(rows, 3, 200)
    assert group.ids == {1, 2, 3}


def test_distance_skips_requests_without_a_point_and_groups_one_grid_holds():
    assert distance_groups([row(1, grid=5, north=0), row(2, grid=5, north=10), row(3, grid=5, north=20)], 3, 200) == []
    assert distance_groups([row(1, grid=1, north=0), row(2, grid=2, north=10), row(3, grid=3)], 3, 200) == []


def test_main_place_is_the_grid_most_rows_lie_in():
    rows = [row(1, grid=7, north=0, community=70), row(2, grid=8, north=10, community=80),
            row(3, grid=8, north=20, community=80), row(4, grid=9, north=30, community=90)]
    [group] = distance_groups(rows, 4, 200)
    assert group.main_place().grid_id == 8 and group.main_place().community_id == 80


def test_repeats_count_only_after_the_case_closed():
    origin = row(1, north=0, at=T)
    case = ClosedCase(5, T + timedelta(days=2), origin)
    before, after = row(2, at=T + timedelta(days=1)), row(3, grid=2, north=150, at=T + timedelta(days=3))
    [group] = repeat_groups([origin, before, after], [case], 200, 1)
    assert group.ids == {1, 3} and group.case_id == 5
    assert repeat_groups([origin, before, after], [case], 200, 2) == []
    assert repeat_groups([origin, before, row(4, grid=2, north=250, at=T + timedelta(days=3))], [case], 200, 1) == []
