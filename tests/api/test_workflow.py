"""/api/v1 workflow actions and queue: the same services and rules as the staff pages."""
from datetime import timedelta

from sqlalchemy import select

from community.core.extensions import db
from community.workqueue.models import AssistTask, ContactReveal
from tests.factories import T0, file_ticket

NOW = T0 + timedelta(minutes=30)


def act(client, ticket, action, headers, **body):
    return client.post(f"/api/v1/requests/{ticket.tracking_code}/{action}", json=body,
                       headers=headers)


def test_accept_respond_resolve(client, people, areas, token, ctx, frozen):
    ticket = file_ticket(people, areas)
    grid = token("grid")
    detail = client.get(f"/api/v1/requests/{ticket.tracking_code}", headers=grid).get_json()
    assert "accept" in detail["actions"] and "resolve" not in detail["actions"]
    accepted = act(client, ticket, "accept", grid)
    assert accepted.status_code == 200, accepted.get_json()
    body = accepted.get_json()
    assert body["state"] == "accepted" and body["assignee"] == "grid" and body["resolve_due_at"]
    assert act(client, ticket, "accept", grid).status_code == 409
    assert act(client, ticket, "respond", grid, text="已联系物业").get_json()["state"] == "in_progress"
    assert act(client, ticket, "resolve", grid, result="partly").status_code == 422  # needs a note
    done = act(client, ticket, "resolve", grid, result="solved", note="已更换灯泡")
    assert done.get_json()["state"] == "resolved" and done.get_json()["result"] == "solved"
    mine = token("resident")
    assert "reopen" in client.get(f"/api/v1/requests/{ticket.tracking_code}",
                                  headers=mine).get_json()["actions"]
    reopened = act(client, ticket, "reopen", mine, reason="灯又坏了")
    assert reopened.status_code == 200 and reopened.get_json()["state"] == "reopened"


def test_seeing_is_not_handling(client, people, areas, token, ctx, frozen):
    ticket = file_ticket(people, areas)
    community = token("community")  # sees the grid's request, does not handle it
    refused = act(client, ticket, "accept", community)
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "not_allowed"
    assert act(client, ticket, "accept", token("resident")).status_code == 403
    assert act(client, ticket, "reveal-contact", community).status_code == 403
    assert client.post(f"/api/v1/requests/{ticket.tracking_code}/reveal-contact",
                       headers=token("grid")).get_json() == {"phone": "13800000001"}
    assert db.session.scalar(select(ContactReveal.user_id)) == people.grid.id


def test_escalate_extension_and_the_tier_above(client, people, areas, token, ctx, frozen):
    ticket = file_ticket(people, areas)
    grid, community = token("grid"), token("community")
    assert act(client, ticket, "escalate", grid, reason="需要社区协调",
               to_tier="grid").status_code == 422
    up = act(client, ticket, "escalate", grid, reason="需要社区协调")
    assert up.get_json()["handling_unit"]["code"] == "S1C1" and up.get_json()["state"] == "escalated"
    assert act(client, ticket, "accept", community).status_code == 200
    asked = act(client, ticket, "extension", community, days=3, reason="等待施工队")
    assert asked.status_code == 200
    assert act(client, ticket, "extension-decision", community, approve=True).status_code == 403
    decided = act(client, ticket, "extension-decision", token("street"), approve=True)
    assert decided.status_code == 200 and decided.get_json()["extension_count"] == 1


def test_summon_and_the_departments_side(client, people, areas, token, ctx, frozen):
    ticket = file_ticket(people, areas, category="ENV")
    grid, street = token("grid"), token("street")
    act(client, ticket, "escalate", grid, reason="需要街道", to_tier="street")
    act(client, ticket, "accept", street)
    assert act(client, ticket, "summon", street, departments=["NOPE"],
               reason="x").status_code == 422
    summoned = act(client, ticket, "summon", street, departments=["D1"], reason="占道经营")
    assert summoned.status_code == 200
    task_id = db.session.scalar(select(AssistTask.id))
    dept, dept2 = token("dept"), token("dept2")
    listed = client.get("/api/v1/assist", headers=dept).get_json()
    assert [t["tracking_code"] for t in listed] == [ticket.tracking_code]
    assert client.get("/api/v1/assist", headers=dept2).get_json() == []
    assert client.post(f"/api/v1/assist/{task_id}/report-in", headers=dept2).status_code == 404
    assert client.post(f"/api/v1/assist/{task_id}/report-in", headers=dept).get_json()["state"] == \
        "accepted"
    finished = client.post(f"/api/v1/assist/{task_id}/finish", json={"report": "已清理"},
                           headers=dept)
    assert finished.status_code == 200 and finished.get_json()["state"] == "done"
    assert client.get(f"/api/v1/requests/{ticket.tracking_code}", headers=dept).status_code == 200
    assert client.get(f"/api/v1/requests/{ticket.tracking_code}", headers=dept2).status_code == 404


def test_return_reroute_merge(client, people, areas, token, ctx, frozen):
    ticket = file_ticket(people, areas)
    twin = file_ticket(people, areas, resident=people.resident2)
    grid, community = token("grid"), token("community")
    assert act(client, ticket, "return", grid, reason="不属于本网格").get_json()["state"] == "returned"
    assert act(client, ticket, "reroute", community, unit="S2C1G1").status_code == 422
    rerouted = act(client, ticket, "reroute", community, unit="S1C1G2", note="二号网格")
    assert rerouted.get_json()["handling_unit"]["code"] == "S1C1G2"
    assert act(client, twin, "merge", grid, into=ticket.tracking_code).status_code == 403  # not ours
    survivor = file_ticket(people, areas, resident=people.resident2)
    merged = act(client, twin, "merge", grid, into=survivor.tracking_code)
    assert merged.status_code == 200
    assert merged.get_json()["state"] == "merged" and merged.get_json()["merged_into"] == \
        survivor.tracking_code


def test_the_resident_cancels_and_adds_info(client, people, areas, token, ctx, frozen):
    ticket = file_ticket(people, areas)
    mine, grid = token("resident"), token("grid")
    assert act(client, ticket, "cancel", grid).status_code == 403  # staff do not withdraw
    assert act(client, ticket, "info", mine, text="三楼也不亮").status_code == 200
    assert act(client, ticket, "info", mine, text="").status_code == 422
    cancelled = act(client, ticket, "cancel", mine, reason="已自行解决")
    assert cancelled.get_json()["state"] == "cancelled" and cancelled.get_json()["actions"] == []
    assert act(client, ticket, "cancel", mine).status_code == 409


def test_the_queue(client, people, areas, token, ctx, frozen):
    urgent = file_ticket(people, areas, category="SAF", urgency="urgent")
    normal = file_ticket(people, areas)
    file_ticket(people, areas, grid=areas.S1C1G2)
    body = client.get("/api/v1/queue", headers=token("grid")).get_json()
    assert [t["tracking_code"] for t in body["items"]] == [urgent.tracking_code, normal.tracking_code]
    assert body["counts"] == {"submitted": 2} and body["page"] == 1
    frozen.move_to(T0 + timedelta(days=3))
    assert client.get("/api/v1/queue?overdue=1", headers=token("grid")).get_json()["overdue"] == 2
    assert client.get("/api/v1/queue?page=0", headers=token("grid")).status_code == 422


def test_limits_are_per_token(app, client, people, areas, token):
    app.config["COMMUNITY_API_RATE"] = "3 per minute"
    try:
        first, second = token("grid"), token("grid2")
        answers = [client.get("/api/v1/me", headers=first).status_code for _ in range(4)]
        assert answers == [200, 200, 200, 429]
        limited = client.get("/api/v1/me", headers=first)
        assert limited.get_json()["error"]["code"] == "too_many_requests"
        assert "Retry-After" in limited.headers
        assert client.get("/api/v1/me", headers=second).status_code == 200
    finally:
        app.config["COMMUNITY_API_RATE"] = "120 per minute"


def test_no_server_error_for_odd_paths_and_methods(client, people, areas, token):
    headers = token("grid")
    for path in ("/api/v1/requests/%00", "/api/v1/requests/" + "A" * 500,
                 "/api/v1/requests/ILO0ILO0ILO0", "/api/v1/areas/%00", "/api/v1/nothing",
                 "/api/v1/assist/99999999999/finish"):
        answer = client.get(path, headers=headers)
        assert answer.status_code in (404, 405) and "error" in answer.get_json()
    assert client.put("/api/v1/requests", headers=headers).status_code == 405
    answer = client.post("/api/v1/requests", data=b"\xff\xfe", headers=headers,
                         content_type="application/json")
    assert answer.status_code == 400
