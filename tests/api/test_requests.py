"""/api/v1 requests: filing, scoped lists with cursors, 404 outside scope, timeline."""
from datetime import timedelta

import pytest

from community.core.extensions import db
from community.tickets.models import Ticket
from tests.factories import T0, file_ticket

NOW = T0 + timedelta(minutes=30)
FILING = {"kind": "help", "category": "ELD", "text": "楼道灯坏了，请尽快修理。"}
# Requests are built at T0; tokens, pages and windows read the clock stopped
# at T0 + 30 min (conftest `frozen`), whatever day the suite runs.
pytestmark = pytest.mark.usefixtures("frozen")


def codes(answer):
    return [item["tracking_code"] for item in answer.get_json()["items"]]


# -- filing -------------------------------------------------------------------

def test_a_resident_files_in_their_home_community(client, people, areas, token):
    answer = client.post("/api/v1/requests", json=FILING, headers=token("resident"))
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["channel"] == "api" and body["state"] == "submitted"
    assert body["community"]["code"] == "S1C1" and body["handling_unit"]["code"] == "S1C1G1"
    assert body["contact_phone"] == "138****0001" and body["actions"] == ["cancel", "info"]
    ticket = db.session.get(Ticket, 1)
    assert ticket.resident_id == people.resident.id and ticket.tracking_code == body["tracking_code"]


def test_an_idempotency_key_makes_a_retry_safe(client, people, areas, token):
    headers = dict(token("resident"), **{"Idempotency-Key": "order-42"})
    first = client.post("/api/v1/requests", json=FILING, headers=headers)
    again = client.post("/api/v1/requests", json=FILING, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["tracking_code"] == again.get_json()["tracking_code"]
    other = client.post("/api/v1/requests", json=FILING, headers=token("resident2") | {
        "Idempotency-Key": "order-42"})  # the same key from someone else is their own
    assert other.status_code == 201
    assert db.session.query(Ticket).count() == 2


def test_filing_by_grid_code_or_point(client, people, mapped, token):
    headers = token("resident")
    by_grid = client.post("/api/v1/requests", json=FILING | {"grid": "S1C1G2"}, headers=headers)
    assert by_grid.get_json()["grid"]["code"] == "S1C1G2"
    by_point = client.post("/api/v1/requests", json=FILING | {"lat": 25.005, "long": 102.015},
                           headers=headers)
    body = by_point.get_json()
    assert by_point.status_code == 201 and body["grid"]["code"] == "S1C1G2"
    assert (body["lat"], body["long"]) == (25.005, 102.015)
    by_centre = client.post("/api/v1/requests", json=FILING | {"lat": 25.005, "long": 102.052},
                            headers=headers)
    assert by_centre.get_json()["grid"]["code"] == "S2C1G1"
    outside = client.post("/api/v1/requests", json=FILING | {"lat": 40.0, "long": 116.0},
                          headers=headers)
    assert outside.status_code == 422 and "40.000000" in outside.get_json()["error"]["message"]
    mismatch = client.post("/api/v1/requests", headers=headers,
                           json=FILING | {"lat": 25.005, "long": 102.005, "community": "S1C2"})
    assert mismatch.status_code == 422
    half = client.post("/api/v1/requests", json=FILING | {"lat": 25.0}, headers=headers)
    assert half.status_code == 422


@pytest.mark.parametrize("change, field", [
    ({"kind": "gossip"}, "kind"),
    ({"category": "NOPE"}, "category"),
    ({"text": ""}, "text"),
    ({"text": "x" * 4001}, "text"),
    ({"text": "bad\x00byte"}, "text"),
    ({"community": "S1C1G1"}, "community"),
    ({"grid": "NOPE"}, "grid"),
    ({"lat": 200, "long": 1}, "lat"),
    ({"urgency": "panic"}, "urgency"),
    ({"surprise": 1}, "surprise"),
])
def test_bad_filings_are_422_with_the_field(client, people, areas, token, change, field):
    answer = client.post("/api/v1/requests", json=FILING | change, headers=token("resident"))
    assert answer.status_code == 422, answer.get_json()
    error = answer.get_json()["error"]
    assert error["code"] == "validation_failed"
    assert field in error.get("fields", {}) or field in error["message"] or field == "category"
    assert db.session.query(Ticket).count() == 0


def test_staff_file_for_a_resident_with_phone_and_channel(client, people, areas, token):
    headers = token("grid")
    missing = client.post("/api/v1/requests", json=FILING | {"grid": "S1C1G1"}, headers=headers)
    assert missing.status_code == 422
    answer = client.post("/api/v1/requests", headers=headers, json=FILING | {
        "grid": "S1C1G1", "contact_phone": "13800000002", "contact_name": "李阿姨",
        "channel": "hotline"})
    assert answer.status_code == 201 and answer.get_json()["channel"] == "hotline"
    assert db.session.get(Ticket, 1).resident_id == people.resident2.id
    elsewhere = client.post("/api/v1/requests", headers=headers, json=FILING | {
        "grid": "S2C1G1", "contact_phone": "13800000003", "channel": "hotline"})
    assert elsewhere.status_code == 403


def test_anonymous_callers_cannot_file_or_list(client, areas):
    assert client.post("/api/v1/requests", json=FILING).status_code == 401
    assert client.get("/api/v1/requests").status_code == 401


# -- reading, scoped as on the web --------------------------------------------

def test_a_grid_worker_sees_only_their_grid(client, people, areas, token, ctx):
    mine = file_ticket(people, areas)
    neighbour = file_ticket(people, areas, grid=areas.S1C1G2)
    other_street = file_ticket(people, areas, grid=areas.S2C1G1, resident=people.resident3)
    headers = token("grid")
    assert codes(client.get("/api/v1/requests", headers=headers)) == [mine.tracking_code]
    for ticket in (neighbour, other_street):
        for path in ("", "/timeline"):
            answer = client.get(f"/api/v1/requests/{ticket.tracking_code}{path}", headers=headers)
            assert answer.status_code == 404  # not 403: an outsider learns nothing
            assert answer.get_json()["error"]["code"] == "not_found"
        acted = client.post(f"/api/v1/requests/{ticket.tracking_code}/accept", headers=headers)
        assert acted.status_code == 404
    assert client.get(f"/api/v1/requests/{mine.tracking_code}", headers=headers).status_code == 200
    community = codes(client.get("/api/v1/requests", headers=token("community")))
    assert set(community) == {mine.tracking_code, neighbour.tracking_code}
    assert len(codes(client.get("/api/v1/requests", headers=token("county")))) == 3
    assert codes(client.get("/api/v1/requests", headers=token("street2"))) == [
        other_street.tracking_code]


def test_residents_see_their_own_requests_only(client, people, areas, token, ctx):
    own = file_ticket(people, areas)
    theirs = file_ticket(people, areas, resident=people.resident2)
    headers = token("resident")
    assert codes(client.get("/api/v1/requests", headers=headers)) == [own.tracking_code]
    assert client.get(f"/api/v1/requests/{theirs.tracking_code}", headers=headers).status_code == 404
    assert client.post(f"/api/v1/requests/{theirs.tracking_code}/cancel", json={},
                       headers=headers).status_code == 404
    assert client.get("/api/v1/queue", headers=headers).status_code == 403


def test_cursor_pagination_walks_every_request_once(client, people, areas, token, ctx):
    made = [file_ticket(people, areas, now=T0 + timedelta(minutes=i % 3)).tracking_code
            for i in range(7)]  # equal timestamps too: the id breaks ties
    headers, seen, cursor = token("grid"), [], None
    for _page in range(10):
        url = "/api/v1/requests?limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url, headers=headers).get_json()
        seen += [item["tracking_code"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(made) and len(seen) == 7
    bad = client.get("/api/v1/requests?cursor=!!!", headers=headers)
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_cursor"


def test_list_filters(client, people, areas, token, ctx):
    light = file_ticket(people, areas)
    water = file_ticket(people, areas, grid=areas.S1C1G2, category="UTL", kind="complaint")
    headers = token("community")
    assert codes(client.get("/api/v1/requests?category=UTL", headers=headers)) == [water.tracking_code]
    assert codes(client.get("/api/v1/requests?kind=help", headers=headers)) == [light.tracking_code]
    assert codes(client.get("/api/v1/requests?unit=S1C1G1", headers=headers)) == [light.tracking_code]
    assert codes(client.get("/api/v1/requests?state=finished", headers=headers)) == []
    assert client.get("/api/v1/requests?unit=NOPE", headers=headers).status_code == 422
    assert client.get("/api/v1/requests?state=sideways", headers=headers).status_code == 422
    after = (T0 + timedelta(hours=1)).isoformat()
    assert codes(client.get("/api/v1/requests", query_string={"submitted_from": after},
                            headers=headers)) == []


def test_the_timeline_hides_internal_steps_from_the_resident(client, people, areas, token, ctx,
                                                             frozen):
    ticket = file_ticket(people, areas)
    staff = token("grid")
    code = ticket.tracking_code
    assert client.post(f"/api/v1/requests/{code}/reassign", json={"assignee": "grid2"},
                       headers=staff).status_code == 422  # not a colleague in the unit
    assert client.post(f"/api/v1/requests/{code}/reassign", json={"assignee": "grid"},
                       headers=staff).status_code == 200  # an internal step
    answer = client.post(f"/api/v1/requests/{code}/accept", headers=staff)
    assert answer.status_code == 200
    client.post(f"/api/v1/requests/{code}/reveal-contact", headers=staff)
    staff_view = client.get(f"/api/v1/requests/{code}/timeline", headers=staff).get_json()
    resident_view = client.get(f"/api/v1/requests/{code}/timeline",
                               headers=token("resident")).get_json()
    assert [e["action"] for e in staff_view["events"]] == [
        "submit", "reassign", "accept", "contact_revealed"]
    assert [e["action"] for e in resident_view["events"]] == ["submit", "accept"]
    assert staff_view["events"][2]["actor"] == "grid"
    assert resident_view["events"][1]["actor"] is None
