"""/api/v1 public reference data: categories, areas, locating a point; the caller."""
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
