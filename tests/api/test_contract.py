"""Contracts that generated clients can trust (issue 27 §3): what the server does
matches what /api/v1/openapi.json and docs/api.md say."""
import base64
from datetime import timedelta

from community.core.extensions import db
from community.tickets.models import Ticket
from tests.factories import T0, file_ticket

from .test_requests import FILING


def test_an_empty_idempotency_key_is_refused_and_nothing_filed(client, people, areas, token):
    for empty in ("", "   "):
        answer = client.post("/api/v1/requests", json=FILING,
                             headers=token("resident") | {"Idempotency-Key": empty})
        assert answer.status_code == 422
        assert "Idempotency-Key" in answer.get_json()["error"]["fields"]
    assert db.session.query(Ticket).count() == 0


def test_a_forged_cursor_is_a_bad_cursor(client, people, areas, token, ctx):
    for i in range(3):
        file_ticket(people, areas, now=T0 + timedelta(minutes=i))
    headers = token("grid")
    first = client.get("/api/v1/requests?limit=1", headers=headers).get_json()
    assert client.get(f"/api/v1/requests?limit=1&cursor={first['next_cursor']}",
                      headers=headers).status_code == 200
    forged = base64.urlsafe_b64encode(b"2030-01-01T00:00:00+00:00|999999").decode().rstrip("=")
    tampered = first["next_cursor"][:-2] + ("AA" if not first["next_cursor"].endswith("AA") else "BB")
    for cursor in (forged, tampered, "!!!"):
        bad = client.get(f"/api/v1/requests?cursor={cursor}", headers=headers)
        assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_cursor"


def test_405_names_the_allowed_methods(client, people, areas, token):
    api = client.delete("/api/v1/categories")
    assert api.status_code == 405 and "GET" in api.headers["Allow"]
    assert api.get_json()["error"]["code"] == "method_not_allowed"
    o311 = client.delete("/open311/v2/services.json")
    assert o311.status_code == 405 and "GET" in o311.headers["Allow"]


def test_queue_says_how_many_and_whether_more_follow(app, client, people, areas, token, ctx):
    app.config["COMMUNITY_PAGE_SIZE"] = 2
    try:
        for i in range(3):
            file_ticket(people, areas, now=T0 + timedelta(minutes=i))
        headers = token("grid")
        one = client.get("/api/v1/queue", headers=headers).get_json()
        assert (len(one["items"]), one["total"], one["has_next"]) == (2, 3, True)
        two = client.get("/api/v1/queue?page=2", headers=headers).get_json()
        assert (len(two["items"]), two["total"], two["has_next"]) == (1, 3, False)
    finally:
        app.config["COMMUNITY_PAGE_SIZE"] = 30


def test_figures_as_admin_without_a_unit_says_a_unit_is_needed(client, people, areas, token):
    answer = client.get("/api/v1/figures", headers=token("admin"))
    assert answer.status_code == 422 and "unit" in answer.get_json()["error"]["fields"]
    assert client.get(f"/api/v1/figures?unit={areas.S1.code}", headers=token("admin")).status_code == 200
