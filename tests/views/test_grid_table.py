"""The grids beside a street's or county's map (issue 30): the dashboard lists the first
COMMUNITY_DASHBOARD_GRID_ROWS in maps.ORDER (the grids to look at first) and links the
grids page, which pages through all of them; same rows, same numbers, same refusals as
the dashboard (stats.queries.visible_unit)."""
import re
from datetime import timedelta

import pytest

from community.areas import geo
from community.core.extensions import db
from community.core.timeutil import to_local
from community.stats.models import StatDaily
from community.stats.rollup import rebuild_all
from tests.api.conftest import square
from tests.factories import H, T0, file_ticket, login

from .test_maps import embedded

pytestmark = pytest.mark.usefixtures("frozen")
FROZEN_AT = T0 + 4 * H
GRIDS = ("S1C1G1", "S1C1G2", "S1C2G1", "S1C2G2", "S2C1G1", "S2C1G2", "S2C2G1", "S2C2G2")


@pytest.fixture
def drawn(areas):
    """Every grid of county C with a boundary: eight squares in a row."""
    for n, code in enumerate(GRIDS):
        geo.set_boundary(getattr(areas, code), square(102.00 + 0.01 * n, 25.00))
    db.session.commit()
    return areas


@pytest.fixture
def few_rows(app, monkeypatch):
    monkeypatch.setitem(app.config, "COMMUNITY_DASHBOARD_GRID_ROWS", 3)
    monkeypatch.setitem(app.config, "COMMUNITY_PAGE_SIZE", 3)


def _file(people, areas, counts: dict):
    for code, n in counts.items():
        for _ in range(n):
            file_ticket(people, areas, grid=getattr(areas, code), now=T0)
    rebuild_all(T0)
    db.session.commit()


def _rows(html: str, table_id: str) -> list[tuple[str, str]]:
    """(grid name, figure text) of each row of the table."""
    table = html[html.index(f'id="{table_id}"'):]
    table = table[:table.index("</table>")]
    return re.findall(r'data-label="网格"><a href="[^"]+">([^<]+)</a></td><td class="num" '
                      r'data-label="[^"]+">([^<]+)</td>', table)


def _name(areas, code):
    return getattr(areas, code).name


def test_county_dashboard_lists_the_busiest_grids_and_links_every_one(client, people, drawn, few_rows):
    _file(people, drawn, {"S2C1G1": 3, "S1C1G2": 2, "S1C2G1": 1})
    login(client, "county")
    html = client.get(f"/stats/units/{drawn.C.id}").get_data(as_text=True)
    busiest = [(_name(drawn, "S2C1G1"), "3"), (_name(drawn, "S1C1G2"), "2"), (_name(drawn, "S1C2G1"), "1")]
    assert _rows(html, "map-table") == busiest
    assert "共 8 个网格，这里列出前 3 个。" in html and "诉求量最多的在前" in html
    # The map still shades every grid, with the numbers the tables show.
    properties = embedded(html, "dashboard-map")["outlines"]["properties"]
    labels = {int(k): p["label"] for k, p in properties.items()}
    assert len(labels) == 8 and labels[drawn.S2C1G1.id] == "3" and labels[drawn.S1C1G1.id] == "0"
    link = re.search(r'href="([^"]*/grids\?[^"]*)">查看全部网格', html).group(1).replace("&amp;", "&")

    pages = [client.get(link), client.get(link + "&page=2"), client.get(link + "&page=3")]
    assert [p.status_code for p in pages] == [200, 200, 200]
    shown = [_rows(p.get_data(as_text=True), "grid-table") for p in pages]
    assert shown[0] == busiest  # the dashboard's first rows, the same numbers
    # Then the rest, busiest first and by code among equals: every grid once.
    rest = [(_name(drawn, code), "0") for code in ("S1C1G1", "S1C2G2", "S2C1G2", "S2C2G1", "S2C2G2")]
    assert shown[1] + shown[2] == rest
    assert "第 3 / 3 页，共 8 个网格" in pages[2].get_data(as_text=True)
    first, last = (p.get_data(as_text=True) for p in (pages[0], pages[2]))
    assert 'rel="next"' in first and 'rel="next"' not in last
    # A grid's name opens its dashboard, which the county may see.
    grid_link = re.search(r'data-label="网格"><a href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert client.get(grid_link).status_code == 200


def test_a_street_with_few_grids_lists_them_all_without_a_link(client, people, drawn):
    _file(people, drawn, {"S1C2G2": 1})
    login(client, "street")
    html = client.get(f"/stats/units/{drawn.S1.id}").get_data(as_text=True)
    assert [name for name, _ in _rows(html, "map-table")] == [
        _name(drawn, code) for code in ("S1C2G2", "S1C1G1", "S1C1G2", "S1C2G1")]
    assert "查看全部网格" not in html and "这里列出前" not in html


def test_lowest_satisfaction_first_and_small_samples_last(client, people, drawn, few_rows):
    day = to_local(T0).date() - timedelta(days=1)
    # valid ratings: S1C1G1 30 (60 % 满意), S2C2G2 40 (90 %), S1C2G1 5 (all 不满意: too few).
    for code, satisfied, dissatisfied in (("S1C1G1", 18, 12), ("S2C2G2", 36, 4), ("S1C2G1", 0, 5)):
        db.session.add(StatDaily(day=day, unit_id=getattr(drawn, code).id, unit_kind="grid",
                                 updated_at=T0, satisfied=satisfied, dissatisfied=dissatisfied,
                                 rated=satisfied + dissatisfied))
    db.session.commit()
    login(client, "county")
    html = client.get(f"/stats/units/{drawn.C.id}?map=satisfaction").get_data(as_text=True)
    assert _rows(html, "map-table") == [(_name(drawn, "S1C1G1"), "60.0%"), (_name(drawn, "S2C2G2"), "90.0%"),
                                        (_name(drawn, "S1C2G1"), "0.0%（样本不足）")]
    assert "满意率最低的在前，样本不足的排在最后" in html
    page = client.get(f"/stats/units/{drawn.C.id}/grids?map=satisfaction").get_data(as_text=True)
    assert _rows(page, "grid-table") == _rows(html, "map-table")
    last = client.get(f"/stats/units/{drawn.C.id}/grids?map=satisfaction&page=3").get_data(as_text=True)
    assert [text for _, text in _rows(last, "grid-table")] == ["—（样本不足）"] * 2  # no rating at all


@pytest.mark.parametrize("who, status", [("street2", 404), ("community", 404), ("grid", 404),
                                         ("dept", 404), ("13800000001", 404), (None, 302)])
def test_the_grids_page_is_refused_as_the_dashboard_is(client, people, drawn, who, status):
    if who:
        login(client, who)
    assert client.get(f"/stats/units/{drawn.S1.id}").status_code == status
    assert client.get(f"/stats/units/{drawn.S1.id}/grids").status_code == status
    assert client.get(f"/stats/units/{drawn.C.id}/grids").status_code == status


@pytest.mark.parametrize("who", ["county", "admin", "kaoheban"])
def test_the_county_its_supervisor_and_the_admin_see_the_grids_of_its_streets(client, people, drawn, who):
    if who == "kaoheban":
        from tests.factories.people import make_supervisor

        make_supervisor(drawn)
    login(client, who)
    assert client.get(f"/stats/units/{drawn.C.id}/grids").status_code == 200
    assert client.get(f"/stats/units/{drawn.S1.id}/grids").status_code == 200
    # A community's or a grid's dashboard has no map, so no grids page.
    assert client.get(f"/stats/units/{drawn.S1C1.id}/grids").status_code == 404
    assert client.get(f"/stats/units/{drawn.S1C1G1.id}/grids").status_code == 404
    assert client.get("/stats/units/999999/grids").status_code == 404


@pytest.mark.parametrize("page, words", [("abc", "页码应为从 1 起的整数。"), ("0", "页码应为从 1 起的整数。"),
                                         ("-1", "页码应为从 1 起的整数。"), ("4", "页码应在 1 到 3 之间。")])
def test_a_bad_page_number_is_refused_with_why(client, people, drawn, few_rows, page, words):
    login(client, "county")
    answer = client.get(f"/stats/units/{drawn.C.id}/grids?page={page}")
    assert answer.status_code == 422 and words in answer.get_data(as_text=True)
