"""The 三项清单 page a county officer or the admin opens (issue 30): the needs of one page
of communities at a time, narrowed to a county or a street, every community reachable
through the pager, bad page numbers told, filters outside the user's scope refused."""
import re

import pytest

from community.core.extensions import db
from community.areas.models import Unit
from tests.factories import DAY, T0, file_ticket, login

FROZEN_AT = T0 + 2 * DAY
pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def needs(app, people, areas):
    """A request in each of the four communities, one page of one community each."""
    app.config["COMMUNITY_LISTS_PAGE_SIZE"] = 1
    for grid in (areas.S1C1G1, areas.S1C2G1, areas.S2C1G1, areas.S2C2G1):
        file_ticket(people, areas, grid=grid, category="ENV", now=T0)
    db.session.commit()


def _needs_table(body: str) -> str:
    return body[body.index('id="needs"'):]


def _communities_listed(body: str) -> set[str]:
    return set(re.findall(r"社区\d-\d", _needs_table(body)))


def test_a_county_officer_pages_through_every_community(client, needs, areas):
    login(client, "county")
    seen, url = [], "/projects/lists"
    while url:
        response = client.get(url)
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        seen.append(_communities_listed(body))
        found = re.search(r'href="([^"]+)" rel="next"', body)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert seen == [{"社区1-1"}, {"社区1-2"}, {"社区2-1"}, {"社区2-2"}]
    assert "第 2 / 4 页，共 4 个社区" in client.get("/projects/lists?page=2").get_data(as_text=True)


def test_a_street_filter_narrows_the_list_and_keeps_it_in_the_links(client, needs, areas):
    login(client, "county")
    body = client.get(f"/projects/lists?street={areas.S2.id}").get_data(as_text=True)
    assert _communities_listed(body) == {"社区2-1"} and "共 2 个社区" in body
    assert f"street={areas.S2.id}&amp;page=2" in body  # the pager keeps the street
    chosen = client.get(f"/projects/lists?street={areas.S2.id}&page=2&community={areas.S2C2.id}")
    assert "需求与资源、项目对接 · 社区2-2" in chosen.get_data(as_text=True)


def test_the_admin_narrows_to_a_county_then_a_street(client, needs, areas):
    login(client, "admin")
    body = client.get("/projects/lists").get_data(as_text=True)
    assert f'href="/projects/lists?county={areas.C.id}"' in body  # the county tabs
    body = client.get(f"/projects/lists?county={areas.C.id}").get_data(as_text=True)
    assert f'href="/projects/lists?street={areas.S1.id}"' in body and "共 4 个社区" in body
    assert _communities_listed(client.get(f"/projects/lists?street={areas.S1.id}&page=2")
                               .get_data(as_text=True)) == {"社区1-2"}


@pytest.mark.parametrize("query", ["page=5", "page=0", "page=abc", "street=x"])
def test_a_bad_page_or_filter_is_told_and_the_first_page_shown(client, needs, query):
    login(client, "county")
    response = client.get(f"/projects/lists?{query}")
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and 'role="alert"' in body
    assert "页码应在 1 到 4 之间" in body or "数值无效" in body
    assert _communities_listed(body) == {"社区1-1"}


@pytest.mark.parametrize("who, query", [
    ("street", "street={S2}"),     # another street
    ("street", "county={C}"),      # the county above
    ("community", "street={S1}"),  # an office has one community, nothing to narrow
    ("county", "street={S1C1}"),   # not a street
    ("county", "county={S1}"),     # not a county
])
def test_a_filter_outside_the_scope_is_not_found(client, needs, areas, who, query):
    ids = {name: getattr(areas, name).id for name in ("C", "S1", "S2", "S1C1")}
    login(client, who)
    assert client.get("/projects/lists?" + query.format(**ids)).status_code == 404


def test_a_street_officer_sees_only_their_communities_and_no_filters(client, needs, areas):
    login(client, "street")
    body = client.get("/projects/lists").get_data(as_text=True)
    assert 'aria-label="街道"' not in body and "共 2 个社区" in body
    own = client.get(f"/projects/lists?street={areas.S1.id}&page=2")
    assert own.status_code == 200 and 'aria-label="街道"' not in own.get_data(as_text=True)
    assert client.get("/projects/lists?page=3").status_code == 422
    # a community of another street named directly falls back to their own, as before
    other = client.get(f"/projects/lists?community={areas.S2C1.id}").get_data(as_text=True)
    assert "社区2-1" not in other and "需求与资源、项目对接 · 社区1-1" in other


def test_a_street_without_active_communities_shows_an_empty_list(client, needs, areas):
    for unit in (areas.S2C1, areas.S2C2):
        db.session.get(Unit, unit.id).active = False
    db.session.commit()
    login(client, "county")
    response = client.get(f"/projects/lists?street={areas.S2.id}")
    assert response.status_code == 200 and "近期没有需求记录" in response.get_data(as_text=True)
