"""/api/v1 public reference data: categories, areas, locating a point; the caller."""
import json

import pytest

from community.core.extensions import db
from tests.factories import login


def test_categories_are_public_and_follow_the_language(client):
    answer = client.get("/api/v1/categories")
    assert answer.status_code == 200 and "no-store" not in answer.headers.get("Cache-Control", "")
    eld = next(c for c in answer.get_json() if c["code"] == "ELD")
    assert eld["name"] == "养老" and eld["default_tier"] == "grid"
    english = client.get("/api/v1/categories", headers={"Accept-Language": "en"}).get_json()
    assert next(c for c in english if c["code"] == "ELD")["name"] == eld["name_en"]


def test_areas_by_kind_and_parent(client, mapped):
    grids = client.get("/api/v1/areas?kind=grid&parent=S1C1").get_json()
    assert [g["code"] for g in grids] == ["S1C1G1", "S1C1G2"]
    assert grids[0]["has_boundary"] and grids[0]["parent"] == "S1C1" and grids[0]["centre"] is None
    centred = client.get("/api/v1/areas?parent=S2C1").get_json()
    assert centred[0]["centre"] == {"lat": 25.005, "long": 102.05}
    assert client.get("/api/v1/areas?parent=NOPE").get_json() == []
    assert client.get("/api/v1/areas?kind=planet").status_code == 422
    one = client.get("/api/v1/areas/S1C1G1").get_json()
    assert one["boundary"]["type"] == "MultiPolygon"
    assert client.get("/api/v1/areas/NOPE").status_code == 404


def test_locate_a_point(client, mapped):
    found = client.get("/api/v1/areas/locate?lat=25.005&long=102.005").get_json()
    assert [found[k]["code"] for k in ("grid", "community", "street", "county")] == [
        "S1C1G1", "S1C1", "S1", "C"]
    outside = client.get("/api/v1/areas/locate?lat=1&long=1")
    assert outside.status_code == 422 and "1.000000" in outside.get_json()["error"]["message"]
    assert client.get("/api/v1/areas/locate?lat=abc&long=1").status_code == 422
    assert client.get("/api/v1/areas/locate?lat=NaN&long=1").status_code == 422


def test_me_through_the_session_gives_a_csrf_token(client, people):
    assert client.get("/api/v1/me").status_code == 401
    login(client, "grid")
    me = client.get("/api/v1/me").get_json()
    assert me["auth"] == "session" and me["csrf_token"] and me["unit"]["code"] == "S1C1G1"
    assert client.get("/api/v1/me").headers["Cache-Control"] == "no-store"


def test_areas_come_in_pages_with_the_total(client, mapped):
    """Issue 30: a city's 12,000 units came in one 2 MB answer; now a page at a time."""
    whole = client.get("/api/v1/areas?page_size=1000")
    everything = [a["code"] for a in whole.get_json()]
    assert everything == sorted(everything) and len(everything) == 17
    assert json.loads(whole.headers["X-Pagination"])["total"] == 17
    pages, page = [], 1
    while True:
        answer = client.get(f"/api/v1/areas?page_size=4&page={page}")
        meta = json.loads(answer.headers["X-Pagination"])
        pages += [a["code"] for a in answer.get_json()]
        if "next_page" not in meta:
            break
        page = meta["next_page"]
    assert pages == everything and meta["total_pages"] == 5
    assert client.get("/api/v1/areas?page=9").get_json() == []
    assert len(client.get("/api/v1/areas").get_json()) == 17  # the default page holds a small city
    streets = client.get("/api/v1/areas?county=C&kind=street").get_json()
    assert [s["code"] for s in streets] == ["S1", "S2"]
    assert client.get("/api/v1/areas?county=S1").get_json() == []  # not a county: nothing inside


def test_areas_answer_304_to_their_etag_until_an_area_changes(client, mapped):
    first = client.get("/api/v1/areas?kind=street")
    tag = first.headers["ETag"]
    again = client.get("/api/v1/areas?kind=street", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == tag
    assert client.get("/api/v1/areas?kind=grid", headers={"If-None-Match": tag}).status_code == 200
    mapped.S2.name = "新街道"
    db.session.commit()
    changed = client.get("/api/v1/areas?kind=street", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    assert [a["name"] for a in changed.get_json()] == ["街道1", "新街道"]


def test_inactive_areas_are_not_listed(client, mapped):
    mapped.S2C2G2.active = False
    db.session.commit()
    codes = [a["code"] for a in client.get("/api/v1/areas?parent=S2C2").get_json()]
    assert codes == ["S2C2G1"]
    assert json.loads(client.get("/api/v1/areas?parent=S2C2").headers["X-Pagination"])["total"] == 1


@pytest.mark.parametrize("query, field", [("page=0", "page"), ("page=abc", "page"), ("page=10001", "page"),
                                          ("page=" + "9" * 30, "page"),
                                          ("page_size=0", "page_size"), ("page_size=1001", "page_size"),
                                          ("county=" + "K" * 33, "county"), ("kind=planet", "kind")])
def test_bad_area_pages_are_422_naming_the_field(client, mapped, query, field):
    answer = client.get(f"/api/v1/areas?{query}")
    assert answer.status_code == 422
    body = answer.get_json()["error"]
    assert body["code"] == "validation_failed" and field in body["fields"]


def test_the_document_says_how_areas_page(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    op = spec["paths"]["/api/v1/areas"]["get"]
    names = {p.get("name") for p in op["parameters"] if isinstance(p, dict)}
    assert {"page", "page_size", "county", "kind", "parent"} <= names
    assert "304" in op["responses"] and "ETag" in op["responses"]["200"].get("headers", {})
    assert "X-Pagination" in op["responses"]["200"].get("headers", {})
