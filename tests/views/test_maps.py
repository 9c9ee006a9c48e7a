"""Maps (areas.maps, stats.maps, static/js/maps.js): the filing page's point, the staff
ticket page, the street/county dashboards and /public; each map's data and the
table beside it, who sees what, and the form without JavaScript."""
import json
import re
from html import unescape

import pytest

from community.areas import geo
from community.core.extensions import db
from community.stats.rollup import rebuild_all
from community.tickets.models import Ticket
from community.web import content_security_policy
from tests.api.conftest import square
from tests.api.conftest import square as square_at
from tests.factories import count, login
from tests.factories import H
from tests.factories import T0, file_ticket

from .test_filing import form_data

pytestmark = pytest.mark.usefixtures("frozen")
FROZEN_AT = T0 + 4 * H


@pytest.fixture
def mapped(areas):
    """S1C1G1 is the square 25.00–25.01 N, 102.00–102.01 E; S1C1G2 the next one east;
    S1C2G1 the next one north (another community); the communities and S1 too."""
    geo.set_boundary(areas.S1C1G1, square(102.00, 25.00))
    geo.set_boundary(areas.S1C1G2, square(102.01, 25.00))
    geo.set_boundary(areas.S1C2G1, square(102.00, 25.01))
    geo.set_boundary(areas.S1C1, {"type": "Polygon", "coordinates": [[
        [102.00, 25.00], [102.02, 25.00], [102.02, 25.01], [102.00, 25.01], [102.00, 25.00]]]})
    geo.set_boundary(areas.S1C2, square(102.00, 25.01))
    db.session.commit()
    return areas


def embedded(html, element_id):
    match = re.search(rf'data-map="{element_id}" data-map-json="([^"]*)"', html)
    assert match, f"no map data {element_id}"
    return json.loads(unescape(match.group(1)))


def test_filing_page_offers_the_map_and_the_selects(client, people, mapped):
    login(client, "13800000001")
    html = client.get("/").get_data(as_text=True)
    assert 'name="lat"' in html and "data-map-picker" in html and "leaflet.js" in html
    assert 'name="community"' in html and 'name="grid"' in html  # the form without JavaScript
    data = embedded(html, "filing-map")
    names = {f["properties"]["name"] for f in data["areas"]["features"]}
    # The home community's grids and the other communities of its street, no more.
    assert {mapped.S1C1G1.name, mapped.S1C1G2.name, mapped.S1C2.name} <= names
    assert mapped.S1C1.name not in names and data["tiles"] is None and data["points"] == []


def test_a_point_decides_the_grid_and_is_kept(client, people, mapped):
    login(client, "13800000001")
    # The form says community S1C1 and "2号楼" (grid 2), the point lies in S1C2G1: the point wins.
    answer = client.post("/", data=form_data(client, mapped, lat="25.0150", long="102.0050"))
    assert answer.status_code == 302, answer.get_data(as_text=True)
    ticket = Ticket.query.one()
    assert ticket.grid_id == mapped.S1C2G1.id and ticket.community_id == mapped.S1C2.id
    assert (ticket.latitude, ticket.longitude) == (25.015, 102.005)


def test_without_a_point_the_form_works_as_before(client, people, mapped):
    login(client, "13800000001")
    assert client.post("/", data=form_data(client, mapped, lat="", long="")).status_code == 302
    ticket = Ticket.query.one()
    assert ticket.grid_id == mapped.S1C1G2.id and ticket.latitude is None


@pytest.mark.parametrize("lat,long,words", [("39.9", "116.4", "不在本平台任何网格"),
                                           ("abc", "102", "经纬度必须是数字"),
                                           ("95", "102", "超出范围")])
def test_a_bad_point_files_nothing_and_says_why(client, people, mapped, lat, long, words):
    login(client, "13800000001")
    answer = client.post("/", data=form_data(client, mapped, lat=lat, long=long))
    assert answer.status_code == 400 and words in answer.get_data(as_text=True)
    assert count(Ticket) == 0


def test_locate_answers_the_grid_for_signed_in_people_only(client, people, mapped):
    assert client.get("/areas/locate?lat=25.005&long=102.015").status_code in (302, 401)
    login(client, "13800000001")
    body = client.get("/areas/locate?lat=25.005&long=102.015").get_json()
    assert body["grid"]["id"] == mapped.S1C1G2.id and body["grid"]["community_id"] == mapped.S1C1.id
    assert body["boundary"]["properties"]["highlight"] is True
    outside = client.get("/areas/locate?lat=30&long=120")
    assert outside.status_code == 400 and "不在本平台" in outside.get_json()["error"]["message"]
    assert client.get("/areas/locate?lat=x&long=1").status_code == 400


def test_staff_ticket_page_shows_the_point_and_the_grid(client, people, mapped):
    ticket = file_ticket(people, mapped, now=T0)
    ticket.latitude, ticket.longitude = 25.004, 102.006
    db.session.commit()
    login(client, "grid")
    html = client.get(f"/work/tickets/{ticket.id}").get_data(as_text=True)
    data = embedded(html, "ticket-map")
    assert data["point"]["lat"] == 25.004 and len(data["areas"]["features"]) == 1
    assert data["areas"]["features"][0]["properties"]["id"] == ticket.grid_id
    assert "纬度 25.004000，经度 102.006000" in html  # the text beside the map
    login(client, "grid3")  # another street's grid worker: not theirs to see
    assert client.get(f"/work/tickets/{ticket.id}").status_code == 404


def test_ticket_page_without_geometry_has_no_map(client, people, areas):
    ticket = file_ticket(people, areas, now=T0)
    login(client, "grid")
    html = client.get(f"/work/tickets/{ticket.id}").get_data(as_text=True)
    assert "ticket-map" not in html and "leaflet.js" not in html


def test_street_dashboard_shades_its_grids_with_a_table_beside(app, client, people, mapped):
    first = file_ticket(people, mapped, now=T0)
    first.latitude, first.longitude = 25.004, 102.004
    file_ticket(people, mapped, now=T0)  # no point: counted, not drawn
    db.session.commit()
    rebuild_all(T0)
    db.session.commit()
    login(client, "street")
    html = client.get(f"/stats/units/{mapped.S1.id}").get_data(as_text=True)
    data = embedded(html, "dashboard-map")
    grids = {int(k): v for k, v in data["outlines"]["properties"].items()}
    assert set(grids) == {mapped.S1C1G1.id, mapped.S1C1G2.id, mapped.S1C2G1.id}
    assert data["areas"]["features"] == []  # the outlines come apart (grids.json)
    outlines = client.get(data["outlines"]["url"]).get_json()
    assert {f["properties"]["id"] for f in outlines["features"]} == set(grids)
    assert data["points"] == [[25.004, 102.004, 0]] and data["point_labels"] == ["养老"]
    table = html[html.index('id="map-table"'):]
    assert mapped.S1C1G1.name in table and "<caption>" in table
    busiest = max(grids.values(), key=lambda p: p["label"])
    assert busiest["shade"] is not None
    for figure in ("overdue", "satisfaction"):
        page = client.get(f"/stats/units/{mapped.S1.id}?map={figure}").get_data(as_text=True)
        shown = embedded(page, "dashboard-map")
        if figure == "satisfaction":  # no valid rating anywhere: all under the sample rule
            assert all(p["few"] and p["shade"] is None for p in shown["outlines"]["properties"].values())
            assert "样本不足" in page
    assert client.get(f"/stats/units/{mapped.S1.id}?map=nonsense").status_code == 200


def test_community_dashboard_has_no_grid_map_and_other_streets_see_nothing(client, people, mapped):
    login(client, "community")
    assert "dashboard-map" not in client.get(f"/stats/units/{mapped.S1C1.id}").get_data(as_text=True)
    login(client, "street2")
    assert client.get(f"/stats/units/{mapped.S1.id}").status_code == 404


def test_grid_outlines_are_the_dashboards_and_the_browser_keeps_them(client, people, mapped):
    login(client, "street")
    url = embedded(client.get(f"/stats/units/{mapped.S1.id}").get_data(as_text=True),
                   "dashboard-map")["outlines"]["url"]
    first = client.get(url)
    assert first.status_code == 200 and first.headers["Cache-Control"] == "private, max-age=86400"
    square = next(f for f in first.get_json()["features"] if f["properties"]["id"] == mapped.S1C1G1.id)
    assert square["geometry"] == json.loads(mapped.S1C1G1.boundary)
    assert square["properties"] == {"id": mapped.S1C1G1.id, "code": "S1C1G1", "name": mapped.S1C1G1.name}
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    # A unit changed: a new version, so a new address and new outlines in every process.
    geo.set_boundary(mapped.S1C1G1, square_at(102.05, 25.05))
    db.session.commit()
    moved_url = embedded(client.get(f"/stats/units/{mapped.S1.id}").get_data(as_text=True),
                         "dashboard-map")["outlines"]["url"]
    assert moved_url != url
    moved = client.get(moved_url)
    assert moved.headers["ETag"] != first.headers["ETag"]
    square = next(f for f in moved.get_json()["features"] if f["properties"]["id"] == mapped.S1C1G1.id)
    assert square["geometry"] == json.loads(mapped.S1C1G1.boundary)
    assert "102.05" in mapped.S1C1G1.boundary
    assert client.get(f"/stats/units/{mapped.C.id}/grids.json").status_code == 404  # above the street


@pytest.mark.parametrize("who, status", [("street2", 404), ("community", 404), ("grid", 404),
                                         ("dept", 404), ("13800000001", 404), (None, 302)])
def test_grid_outlines_are_refused_to_whoever_may_not_see_the_dashboard(client, people, mapped, who, status):
    if who:
        login(client, who)
    assert client.get(f"/stats/units/{mapped.S1.id}").status_code == status  # as the page
    assert client.get(f"/stats/units/{mapped.S1.id}/grids.json").status_code == status
    login(client, "county")  # the county above sees its street's grids; a community has no map
    assert client.get(f"/stats/units/{mapped.S1.id}/grids.json").status_code == 200
    assert client.get(f"/stats/units/{mapped.S1C1.id}/grids.json").status_code == 404


def test_public_map_shades_communities_and_has_no_points(client, people, mapped):
    ticket = file_ticket(people, mapped, now=T0)
    ticket.latitude, ticket.longitude = 25.004, 102.004
    db.session.commit()
    for figure in ("satisfaction_rate", "solve_rate", "valid_ratings", "bogus"):
        html = client.get(f"/public?map={figure}").get_data(as_text=True)
        data = embedded(html, "public-map")
        assert data["points"] == [] and data["point"] is None  # privacy: areas only
        assert {f["properties"]["id"] for f in data["areas"]["features"]} == {mapped.S1C1.id, mapped.S1C2.id}
        assert "25.004" not in html
    assert "各社区的" in html


def test_tile_server_only_when_configured(app, client, people, mapped):
    assert "img-src 'self' data:;" in content_security_policy(app)
    app.config["COMMUNITY_MAP_TILE_URL"] = "https://{s}.tiles.example.cn/{z}/{x}/{y}.png"
    try:
        assert "img-src 'self' data: https://*.tiles.example.cn;" in content_security_policy(app)
        login(client, "13800000001")
        html = client.get("/").get_data(as_text=True)
        assert embedded(html, "filing-map")["tiles"]["url"].startswith("https://{s}.tiles")
    finally:
        app.config["COMMUNITY_MAP_TILE_URL"] = ""


def test_staff_filing_map_starts_with_their_own_areas_parts(client, people, mapped):
    geo.set_boundary(mapped.S1, square(102.00, 25.00))
    geo.set_boundary(mapped.S2, square(102.10, 25.00))
    geo.set_boundary(mapped.C, square(102.00, 25.00))
    db.session.commit()

    def outlined(who):
        login(client, who)
        data = embedded(client.get("/").get_data(as_text=True), "filing-map")
        return {f["properties"]["id"] for f in data["areas"]["features"]}

    assert outlined("county") == outlined("dept") == {mapped.S1.id, mapped.S2.id}
    assert outlined("street") == {mapped.S1C1.id, mapped.S1C2.id}  # its communities
    assert outlined("admin") == {mapped.C.id}
    # Staff in a community start there, as a resident does: its grids and its neighbours.
    assert outlined("grid") == outlined("13800000001") == {mapped.S1C1G1.id, mapped.S1C1G2.id, mapped.S1C2.id}
