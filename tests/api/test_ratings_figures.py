"""/api/v1 ratings and figures: the rating rules and the figures' scope, over the API."""
from datetime import timedelta

import pytest
import time_machine

from community.core.extensions import db
from community.ratings.models import Rating, RectificationCase
from community.stats.rollup import rebuild_all
from community.core.timeutil import utcnow
from tests.factories import T0, count, file_ticket

NOW = T0 + timedelta(minutes=30)
# Requests are built at T0; tokens, pages and windows read the clock stopped
# at T0 + 30 min (conftest `frozen`), whatever day the suite runs.
pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def resolved(client, people, areas, token, ctx):
    with time_machine.travel(NOW, tick=False):
        ticket = file_ticket(people, areas)
        grid = token("grid")
        for action, body in (("accept", {}), ("resolve", {"result": "solved", "note": "已修好"})):
            response = client.post(f"/api/v1/requests/{ticket.tracking_code}/{action}",
                                   json=body, headers=grid)
            assert response.status_code == 200, response.get_json()
    return ticket


def rate(client, ticket, headers, **body):
    return client.post(f"/api/v1/requests/{ticket.tracking_code}/rating",
                       json={"solved": "yes", "level": "dissatisfied", "reasons": ["too_slow"], **body},
                       headers=headers)


def test_resident_rates_once_and_a_bad_rating_opens_a_case(client, resolved, token):
    resident = token("resident")
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        before = client.get(f"/api/v1/requests/{resolved.tracking_code}/rating", headers=resident)
        assert before.get_json()["can_rate"] is True and before.get_json()["level"] is None
        first = rate(client, resolved, resident, comment="还是不亮")
        assert first.status_code == 201, first.get_json()
        assert first.get_json()["level"] == "dissatisfied" and first.get_json()["can_rate"] is False
        again = rate(client, resolved, resident, level="satisfied")
    assert again.status_code == 409 and again.get_json()["error"]["code"]
    assert count(Rating) == 1 and count(RectificationCase) == 1


def test_refusals_change_nothing(client, resolved, token):
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        assert rate(client, resolved, token("grid")).status_code == 403        # staff never rate
        assert rate(client, resolved, token("resident2")).status_code == 404   # not theirs
        bad = rate(client, resolved, token("resident"), level="great")
        assert bad.status_code == 422 and "level" in bad.get_json()["error"]["fields"]
        assert client.post(f"/api/v1/requests/{resolved.tracking_code}/rating",
                           json={"solved": "yes", "level": "satisfied"}).status_code == 401
    with time_machine.travel(NOW + timedelta(days=60), tick=False):
        late = rate(client, resolved, token("resident"))
    assert late.status_code == 403
    assert count(Rating) == 0


def test_unresolved_request_cannot_be_rated(client, people, areas, token, ctx):
    with time_machine.travel(NOW, tick=False):
        ticket = file_ticket(people, areas)
        resident = token("resident")
        view = client.get(f"/api/v1/requests/{ticket.tracking_code}/rating", headers=resident)
        assert view.get_json()["can_rate"] is False and view.get_json()["reason"]
        assert rate(client, ticket, resident).status_code == 403
    assert count(Rating) == 0


def test_figures_follow_the_rollups_and_the_scope(client, resolved, token, areas):
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        assert rate(client, resolved, token("resident"), level="satisfied").status_code == 201
        rebuild_all(utcnow())
        db.session.commit()
        street = token("street")
        body = client.get("/api/v1/figures?start=2026-11-01&end=2026-11-30", headers=street).get_json()
        assert body["unit"]["code"] == areas.S1.code and body["formula_version"]
        assert body["counts"]["rated"] == 1 and body["rates"]["satisfaction_rate"] == 1.0
        kids = {row["unit"]["code"]: row for row in body["children"]}
        assert kids[areas.S1C1.code]["counts"]["rated"] == 1
        assert client.get(f"/api/v1/figures?unit={areas.S1C1G1.code}",
                          headers=street).status_code == 200
        # another street, a resident, a reversed or too long span
        assert client.get(f"/api/v1/figures?unit={areas.S2.code}", headers=street).status_code == 404
        assert client.get("/api/v1/figures", headers=token("resident")).status_code == 403
        assert client.get("/api/v1/figures?start=2026-11-30&end=2026-11-01",
                          headers=street).status_code == 422
        assert client.get("/api/v1/figures?start=2024-01-01&end=2026-11-01",
                          headers=street).status_code == 422
