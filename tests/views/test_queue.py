"""The staff pages: queue, request page, actions, and who may see what."""
import re
from datetime import timedelta

import pytest
import time_machine

from community.core.extensions import db
from community.tickets.models import Ticket, TicketEvent
from community.workqueue import actions
from community.workqueue.views import ACTIONS
from tests.factories import T0, count, file_ticket, login


def csrf(client, url):
    body = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)


def post_action(client, ticket_id, action, **data):
    url = f"/work/tickets/{ticket_id}"
    data["csrf_token"] = csrf(client, "/work")
    return client.post(f"{url}/{action}", data=data)


def test_queue_shows_the_grids_requests_nearest_deadline_first(client, people, areas, ctx, frozen):
    urgent = file_ticket(people, areas, category="SAF", urgency="urgent")
    normal = file_ticket(people, areas)
    file_ticket(people, areas, grid=areas.S1C1G2)  # the neighbouring grid
    login(client, "grid")
    body = client.get("/work").get_data(as_text=True)
    assert body.index(urgent.tracking_code) < body.index(normal.tracking_code)
    assert body.count("/work/tickets/") == 2
    assert "剩余" in body


def test_community_sees_all_its_grids_and_filters(client, people, areas, ctx, frozen):
    file_ticket(people, areas)
    file_ticket(people, areas, grid=areas.S1C1G2, category="UTL")
    file_ticket(people, areas, grid=areas.S1C2G1)  # another community
    login(client, "community")
    # the grids hold them: the community oversees them (辖区内), nothing is its own to do
    assert client.get("/work").get_data(as_text=True).count("/work/tickets/") == 0
    assert client.get("/work?view=area").get_data(as_text=True).count("/work/tickets/") == 2
    assert client.get("/work?view=area&category=UTL").get_data(as_text=True).count("/work/tickets/") == 1
    assert client.get("/work?view=area&state=resolved").get_data(as_text=True).count("/work/tickets/") == 0
    assert client.get("/work?view=area&mine=1").get_data(as_text=True).count("/work/tickets/") == 0


def test_overdue_filter_and_label(client, people, areas, ctx):
    ticket = file_ticket(people, areas)
    # Sign in inside the frozen clock: a session cookie signed "later" than the
    # request's clock is refused as not yet valid.
    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        login(client, "grid")
        body = client.get("/work?overdue=1").get_data(as_text=True)
    assert ticket.tracking_code in body and "已超时" in body


def test_residents_cannot_open_the_queue(client, people, areas):
    login(client, "13800000001")
    assert client.get("/work").status_code == 404


ROLES_AND_NEIGHBOURS = [
    # (user who can see it, user of the neighbouring unit who must get 404)
    ("grid", "grid2"), ("community", "community2"), ("street", "street2"), ("dept", "dept2"),
]


@pytest.mark.parametrize("insider,outsider", ROLES_AND_NEIGHBOURS)
def test_neighbouring_unit_gets_404_for_the_page_and_every_action(client, people, areas, ctx,
                                                                 insider, outsider, frozen):
    ticket = file_ticket(people, areas)
    if insider == "dept":  # a department sees what it is summoned to
        from community.workqueue import assist, routing

        routing.escalate(ticket, people.grid, T0, "区级", to_tier="street")
        assist.summon(ticket, people.street, T0, [areas.D1.id], "协助")
        db.session.commit()
    login(client, insider)
    assert client.get(f"/work/tickets/{ticket.id}").status_code == 200
    client.post("/logout", data={"csrf_token": csrf(client, "/work")})
    login(client, outsider)
    events = count(TicketEvent)
    assert client.get(f"/work/tickets/{ticket.id}").status_code == 404
    for action in list(ACTIONS) + ["reveal"]:
        response = post_action(client, ticket.id, action, text="x", reason="x", result="solved")
        assert response.status_code == 404, action
    assert count(TicketEvent) == events


def test_county_sees_everything_in_the_county(client, people, areas, ctx, frozen):
    ticket = file_ticket(people, areas, grid=areas.S2C1G1)
    login(client, "county")
    assert client.get(f"/work/tickets/{ticket.id}").status_code == 200


def test_refused_action_says_why_and_writes_nothing(client, people, areas, ctx, frozen):
    ticket = file_ticket(people, areas)
    login(client, "grid")
    events = count(TicketEvent)
    response = post_action(client, ticket.id, "resolve", result="solved", note="已修好")
    assert response.status_code == 409
    assert "请先签收再办结" in response.get_data(as_text=True)
    assert count(TicketEvent) == events and db.session.get(Ticket, ticket.id).state == "submitted"
    response = post_action(client, ticket.id, "escalate", reason="")
    assert response.status_code == 422 and "请填写说明" in response.get_data(as_text=True)


def test_page_offers_only_allowed_actions(client, people, areas, ctx, frozen):
    ticket = file_ticket(people, areas)
    login(client, "grid")
    body = client.get(f"/work/tickets/{ticket.id}").get_data(as_text=True)
    assert f"/work/tickets/{ticket.id}/accept" in body
    assert f"/work/tickets/{ticket.id}/resolve" not in body
    assert "138****0001" in body and "13800000001" not in body


def test_reveal_shows_the_number_and_is_logged(client, people, areas, ctx, frozen):
    from community.workqueue.models import ContactReveal

    ticket = file_ticket(people, areas)
    login(client, "grid")
    response = post_action(client, ticket.id, "reveal")
    assert "13800000001" in response.get_data(as_text=True)
    assert count(ContactReveal) == 1


def test_full_journey_through_the_pages(client, app, people, areas, ctx, frozen):
    """Accept, escalate grid → community → street → county, resolve, reopen; the
    resident's tracking page shows each step."""
    ticket = file_ticket(people, areas)
    code, tid = ticket.tracking_code, ticket.id
    steps = [("grid", "accept", {}), ("grid", "escalate", {"reason": "需要社区协调"}),
             ("community", "accept", {}), ("community", "escalate", {"reason": "需要街道"}),
             ("street", "accept", {}), ("street", "escalate", {"reason": "需要区里"}),
             ("county", "accept", {}), ("county", "resolve", {"result": "solved", "note": "已修复"})]
    resident = app.test_client()
    seen = 0
    for minute, (user, action, data) in enumerate(steps, start=1):
        frozen.move_to(T0 + timedelta(minutes=minute))
        login(client, user)
        response = post_action(client, tid, action, **data)
        assert response.status_code == 302, (user, action, response.get_data(as_text=True))
        client.post("/logout", data={"csrf_token": csrf(client, "/")})
        page = resident.get(f"/t/{code}").get_data(as_text=True)
        assert page.count('<li>') > seen
        seen = page.count('<li>')
    ticket = db.session.get(Ticket, tid)
    assert (ticket.state, ticket.level, ticket.tier) == ("resolved", 3, "county")
    frozen.move_to(T0 + timedelta(days=1))
    login(resident, "13800000001")  # reopening needs the account it was filed from (issue 20)
    page = resident.get(f"/t/{code}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = resident.post(f"/t/{code}/reopen", data={"csrf_token": token, "reason": "灯又坏了"})
    assert response.status_code == 302
    assert db.session.get(Ticket, tid).state == "reopened"
    assert "重办" in resident.get(f"/t/{code}").get_data(as_text=True)


def test_resident_notifications_page(client, people, areas, ctx, frozen):
    ticket = file_ticket(people, areas)
    actions.accept(ticket, people.grid, T0)
    db.session.commit()
    login(client, "13800000001")
    body = client.get("/notifications").get_data(as_text=True)
    assert ticket.tracking_code in body and "签收" in body


def test_merged_duplicate_follows_the_survivor_without_its_text(client, people, areas, ctx, frozen):
    from community.workqueue import routing

    first = file_ticket(people, areas)
    first.text = "另一位居民的私密描述"
    duplicate = file_ticket(people, areas, resident=people.resident2)
    routing.merge(duplicate, people.grid, T0, first.tracking_code)
    actions.accept(first, people.grid, T0)
    db.session.commit()
    page = client.get(f"/t/{duplicate.tracking_code}").get_data(as_text=True)
    assert "合并办理的进度" in page and "已签收" in page
    assert "另一位居民的私密描述" not in page and first.tracking_code not in page


def test_counts_cover_the_live_states_and_finished_requests_stay_listed(client, people, areas, ctx,
                                                                       frozen):
    from community.workqueue.queue import QueueFilter, queue_for, state_counts

    tickets = [file_ticket(people, areas) for _ in range(5)]
    for ticket, state in zip(tickets[1:], ("resolved", "closed", "cancelled", "merged")):
        ticket.state = state  # the counts read the column; how it got there does not matter
    db.session.commit()
    assert state_counts(people.grid) == {"submitted": 1, "resolved": 1}
    assert state_counts(people.county) == {"submitted": 1, "resolved": 1}
    login(client, "grid")
    chips = client.get("/work").get_data(as_text=True).split('class="counts"')[1].split("</ul>")[0]
    assert "state=submitted" in chips and "state=resolved" in chips
    assert "state=closed" not in chips and "state=cancelled" not in chips
    # A finished request is still one filter away.
    assert tickets[2].tracking_code in client.get("/work?state=closed").get_data(as_text=True)
    assert [t.id for t in queue_for(people.grid, QueueFilter(state="all"), T0)] \
        and len(queue_for(people.grid, QueueFilter(state="all"), T0)) == 5
    body = client.get("/api/v1/queue").get_json()
    assert body["counts"] == {"submitted": 1, "resolved": 1}


def test_a_summoned_department_counts_and_lists_the_request(client, people, areas, ctx, frozen):
    from community.workqueue import assist, routing
    from community.workqueue.queue import QueueFilter, queue_for, state_counts

    ticket = file_ticket(people, areas)
    file_ticket(people, areas)  # not summoned: not the department's
    routing.escalate(ticket, people.grid, T0, "区级", to_tier="street")
    assist.summon(ticket, people.street, T0, [areas.D1.id], "协助")
    db.session.commit()
    assert state_counts(people.dept) == {"escalated": 1}
    assert [t.id for t in queue_for(people.dept, QueueFilter(), T0)] == [ticket.id]
    assert state_counts(people.dept2) == {} and queue_for(people.dept2, QueueFilter(), T0) == []


def test_the_live_index_migration_names_the_live_states():
    import importlib.util
    from pathlib import Path

    from community.tickets.models import LIVE_WHERE

    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0013_live_by_area.py"
    spec = importlib.util.spec_from_file_location("migration_0013", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert migration.LIVE == LIVE_WHERE


def _statements(client, url):
    from tests.statements import recorded

    with recorded() as seen:
        answer = client.get(url)
    assert answer.status_code == 200, url
    return len(seen)


def test_a_queue_of_many_grids_reads_its_units_once(client, app, people, areas, ctx, frozen, monkeypatch):
    """The admin's and a county's queue rows lie in many grids: the grids, units and
    categories a page shows are read in one statement each, not one per row (issue 30).
    (The city's figures counted at each page here, not shared: the total below is live.)"""
    monkeypatch.setitem(app.config, "COMMUNITY_CITY_COUNTS_SECONDS", 0)
    file_ticket(people, areas)
    login(client, "admin")
    for url in ("/work", "/api/v1/queue"):
        client.get(url)  # the process's first visit fills its caches (categories, versions)
    few = {url: _statements(client, url) for url in ("/work", "/api/v1/queue")}
    for grid in (areas.S1C1G2, areas.S1C2G1, areas.S1C2G2, areas.S2C1G1, areas.S2C1G2, areas.S2C2G1):
        file_ticket(people, areas, grid=grid)
    many = {url: _statements(client, url) for url in few}
    assert many == few
    body = client.get("/api/v1/queue").get_json()
    assert len({item["grid"]["code"] for item in body["items"]}) == 7 and body["total"] == 7
    page = client.get("/work").get_data(as_text=True)
    assert "网格2-2-1" in page and "网格1-1-1" in page
