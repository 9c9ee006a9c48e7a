"""Placing a point in a grid: boundaries with holes, centres, the GeoJSON loader."""
import json

import pytest

from community.areas import geo
from community.core.errors import ValidationFailed
from community.core.extensions import db

from .conftest import square

DONUT = {"type": "Polygon", "coordinates": [
    [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]],
    [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]]]}


def test_ray_casting_with_holes_and_multipolygons():
    polygons = geo.polygons_of(DONUT)
    assert geo.contains(polygons, 1, 1)
    assert not geo.contains(polygons, 5, 5)  # in the hole
    assert not geo.contains(polygons, 11, 5)
    multi = geo.polygons_of({"type": "MultiPolygon", "coordinates": [
        DONUT["coordinates"], [[[20, 20], [30, 20], [25, 30]]]]})  # an open ring is closed
    assert geo.contains(multi, 22, 25) and geo.contains(multi, 8, 8)
    concave = geo.polygons_of({"type": "Polygon", "coordinates": [
        [[0, 0], [10, 0], [10, 10], [5, 2], [0, 10], [0, 0]]]})
    assert geo.contains(concave, 1, 1) and not geo.contains(concave, 8, 5)


@pytest.mark.parametrize("bad", [
    {"type": "Point", "coordinates": [1, 2]},
    {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]},
    {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 100], [0, 0]]]},
    {"type": "Polygon", "coordinates": "nope"},
    "not json",
])
def test_bad_boundaries_are_refused(bad):
    with pytest.raises(ValidationFailed):
        geo.polygons_of(bad)


def test_points_go_to_the_boundary_then_the_nearest_centre(mapped, ctx):
    assert geo.grid_at(25.005, 102.005).code == "S1C1G1"
    assert geo.grid_at(25.005, 102.015).code == "S1C1G2"
    assert geo.grid_at(25.005, 102.055).code == "S2C1G1"  # 500 m from its centre
    assert geo.grid_at(25.005, 102.07) is None  # 2 km away
    assert geo.grid_at(30, 120) is None
    with pytest.raises(ValidationFailed) as refused:
        geo.locate_point(30, 120)
    assert "30.000000" in refused.value.message
    with pytest.raises(ValidationFailed):
        geo.check_point("nan", 1)
    with pytest.raises(ValidationFailed):
        geo.check_point(91, 1)


def test_an_inactive_grid_places_nothing(mapped, ctx):
    mapped.S1C1G1.active = False
    db.session.commit()
    assert geo.grid_at(25.005, 102.005) is None


def test_only_grids_carry_geometry(areas, ctx):
    with pytest.raises(ValidationFailed):
        geo.set_centre(areas.S1C1, 25, 102)


def test_geojson_loads_through_the_cli_whole_or_not_at_all(app, areas, tmp_path):
    good = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "S1C1G1"}, "geometry": square(102.0, 25.0)},
        {"type": "Feature", "properties": {"code": "S1C2G1"},
         "geometry": {"type": "Point", "coordinates": [102.3, 25.3]}}]}
    path = tmp_path / "grids.geojson"
    path.write_text(json.dumps(good))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["areas", "geo", str(path)])
    assert result.exit_code == 0, result.output
    assert "boundaries 1, centres 1" in result.output
    db.session.expire_all()
    assert geo.grid_at(25.005, 102.005).code == "S1C1G1"

    bad = dict(good, features=good["features"] + [
        {"type": "Feature", "properties": {"code": "NOPE"}, "geometry": square(1, 1)}])
    path.write_text(json.dumps(bad))
    geo.clear_geometry(areas.S1C1G1)
    db.session.commit()
    result = runner.invoke(args=["areas", "geo", str(path)])
    assert result.exit_code != 0 and "NOPE" in result.output
    db.session.expire_all()
    assert geo.grid_at(25.005, 102.005) is None  # nothing of the bad file was kept
