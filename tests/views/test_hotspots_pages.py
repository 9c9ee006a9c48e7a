"""Hotspot pages end to end: a proactive task from a hotspot to its residents told,
a 每月一题 from proposal to public result, and who is refused what."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from community.core.extensions import db
from community.hotspots import tasks
from community.hotspots.detect import find_hotspots
from community.hotspots.models import Hotspot, HotspotState, MonthlyTopic, ProactiveTask, TopicProject
from community.projects.services import propose
from community.stats.rollup import rebuild_all
from community.tickets.models import TicketEvent
from community.core.timeutil import to_local
from community.workqueue.models import Notification

from ..factories import count, csrf_from, login
from ..factories import T0, file_ticket

DAY = timedelta(days=1)
FROZEN_AT = T0 + 3 * DAY
pytestmark = pytest.mark.usefixtures("frozen")


def _hotspot(people, areas):
    made = [file_ticket(people, areas, category="ELD", now=T0, resident=people.resident),
            file_ticket(people, areas, category="ELD", now=T0 + DAY, resident=people.resident),
            file_ticket(people, areas, category="ELD", now=T0 + 2 * DAY, resident=people.resident2)]
    find_hotspots(FROZEN_AT)
    db.session.commit()
    return db.session.scalar(select(Hotspot)), made


def _told():
    return list(db.session.scalars(select(Notification).where(Notification.template == "PROACTIVE_DONE")))


def _post(client, page_url, url, data):
    token = csrf_from(client.get(page_url))
    return client.post(url, data={**data, "csrf_token": token})


def test_a_proactive_task_from_hotspot_to_residents_told(client, people, areas):
    hotspot, made = _hotspot(people, areas)
    login(client, "community")
    page = client.get("/hotspots")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f"/hotspots/{hotspot.id}" in html and "<table" in html
    assert 'data-geojson="/hotspots.geojson' in html
    layer = json.loads(client.get("/hotspots.geojson").get_data(as_text=True))
    assert [f["id"] for f in layer["features"]] == [hotspot.id]
    assert layer["features"][0]["properties"]["count"] == 3

    show = f"/hotspots/{hotspot.id}"
    due = (to_local(FROZEN_AT).date() + 7 * DAY).isoformat()
    # Bad input: an owner outside the opening community, a day gone by; nothing changes.
    refused = _post(client, show, f"{show}/task", {"owner": people.grid3.id, "due_on": due})
    assert refused.status_code == 422 and count(ProactiveTask) == 0
    refused = _post(client, show, f"{show}/task", {"owner": people.grid.id, "due_on": "2020-01-01"})
    assert refused.status_code == 422 and count(ProactiveTask) == 0
    opened = _post(client, show, f"{show}/task", {"owner": people.grid.id, "due_on": due, "plan": "加装扶手"})
    assert opened.status_code == 302
    task = db.session.scalar(select(ProactiveTask))
    assert task.owner_id == people.grid.id and db.session.get(Hotspot, hotspot.id).state == HotspotState.TASKED
    assert _post(client, show, f"{show}/task", {"owner": people.grid.id, "due_on": due}).status_code == 409

    client.post("/logout", data={"csrf_token": csrf_from(client.get("/hotspots"))})
    login(client, "grid2")  # a grid worker of the same community, not the owner
    assert client.get(show).status_code == 403
    assert client.get("/hotspots").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/"))})
    login(client, "grid")  # the owner: no hotspot list, but their task and its hotspot
    assert client.get("/hotspots").status_code == 403
    assert "完成并通知居民" in client.get(show).get_data(as_text=True)
    empty = _post(client, show, f"/hotspots/tasks/{task.id}/done", {"result": " "})
    assert empty.status_code == 422 and _told() == []
    task_id = task.id
    done = _post(client, show, f"/hotspots/tasks/{task_id}/done", {"result": "已在楼道加装扶手"})
    assert done.status_code == 302
    task = db.session.get(ProactiveTask, task_id)
    assert task.state == "done" and task.done_on_time and task.told == 2
    notes = _told()
    assert sorted(n.user_id for n in notes) == sorted([people.resident.id, people.resident2.id])
    assert all(n.phone and "已在楼道加装扶手" in n.text for n in notes)  # in-app copy; the text is the template
    events = list(db.session.scalars(select(TicketEvent).where(TicketEvent.action == "proactive_done")))
    assert sorted(e.ticket_id for e in events) == sorted(t.id for t in made) and all(e.public for e in events)
    assert "已在楼道加装扶手" in client.get(f"/t/{made[0].tracking_code}").get_data(as_text=True)

    assert client.get("/hotspots/figures").status_code == 403  # a grid has no figures page
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/"))})
    login(client, "street")
    figures = client.get("/hotspots/figures").get_data(as_text=True)
    assert 'id="task-figures"' in figures and "100%" in figures
    later = file_ticket(people, areas, category="ELD", now=FROZEN_AT + DAY)
    assert later.id
    f = tasks.figures(people.community, to_local(T0).date(), to_local(FROZEN_AT).date(), FROZEN_AT + 40 * DAY)
    assert (f.opened, f.done, f.done_on_time, f.repeats, f.followed, f.without_repeat) == (1, 1, 1, 1, 1, 0)


def test_hotspot_refusals_by_scope(client, people, areas):
    hotspot, _made = _hotspot(people, areas)
    show = f"/hotspots/{hotspot.id}"
    for user, status in (("community2", 404), ("street2", 404), ("street", 200), ("county", 200),
                         ("grid", 403), ("dept", 403)):
        login(client, user)
        assert client.get(show).status_code == status, user
        listed = client.get("/hotspots.geojson")
        if status == 200:
            assert [f["id"] for f in listed.json["features"]] == [hotspot.id]
        elif status == 404:
            assert listed.json["features"] == []
        else:
            assert listed.status_code == 403
        client.post("/logout", data={"csrf_token": csrf_from(client.get("/"))})
    login(client, "13800000001")  # a resident: only public results
    assert client.get("/hotspots").status_code == 403
    assert client.get("/topics").status_code == 403
    assert client.get(show).status_code == 403
    assert client.get("/public/topics").status_code == 200
    # A street may not open a task in another street; a 404 leaks nothing.
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/"))})
    login(client, "street2")
    token = csrf_from(client.get("/hotspots"))
    assert client.post(f"{show}/task", data={"owner": people.street2.id, "due_on": "2027-01-01",
                                             "csrf_token": token}).status_code == 404
    assert count(ProactiveTask) == 0


def test_a_monthly_topic_from_proposal_to_public_result(client, people, areas):
    for i in range(3):
        file_ticket(people, areas, category="ENV", now=T0 - i * DAY)
    file_ticket(people, areas, category="ELD", now=T0)
    rebuild_all(FROZEN_AT)  # the proposals count from the county's category rollups
    db.session.commit()
    login(client, "county")
    page = client.get("/topics/new")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="proposals"' in html
    assert "环境卫生" in html and ">3<" in html  # the top category with its count

    due = (to_local(FROZEN_AT).date() + 20 * DAY).isoformat()
    form = {"title": "垃圾清运不及时", "category": "ENV", "count": "3", "due_on": due}
    no_leads = _post(client, "/topics/new", "/topics/new", form)
    assert no_leads.status_code == 422 and count(MonthlyTopic) == 0
    created = _post(client, "/topics/new", "/topics/new", {**form, "leads": [areas.S1.id, areas.D1.id]})
    assert created.status_code == 302
    topic = db.session.scalar(select(MonthlyTopic))
    assert topic.lead_ids == {areas.S1.id, areas.D1.id} and topic.proposed_count == 3
    again = _post(client, "/topics/new", "/topics/new", {**form, "leads": [areas.S1.id]})
    assert again.status_code == 409 and count(MonthlyTopic) == 1

    url = f"/topics/{topic.id}"
    assert client.get("/public/topics").get_data(as_text=True).count("垃圾清运不及时") == 0
    assert client.get(f"/public/topics/{topic.id}").status_code == 404  # not public before its result
    for user, status in (("street2", 403), ("community", 403), ("street", 302)):
        client.post("/logout", data={"csrf_token": csrf_from(client.get("/"))})
        login(client, user)
        assert _post(client, url, f"{url}/update", {"note": "已排查 12 处垃圾点"}).status_code == status, user
    project = propose(people.community, FROZEN_AT, title="增设分类垃圾亭", description="翠湖小区增设两处垃圾亭")
    db.session.commit()
    assert _post(client, url, f"{url}/project", {"project": project.id}).status_code == 302
    assert _post(client, url, f"{url}/project", {"project": 999}).status_code == 422
    assert _post(client, url, f"{url}/done", {"result": "不行"}).status_code == 403  # the county closes it
    assert count(TopicProject) == 1

    client.post("/logout", data={"csrf_token": csrf_from(client.get("/"))})
    login(client, "county")
    assert _post(client, url, f"{url}/done", {"result": ""}).status_code == 422
    assert _post(client, url, f"{url}/done", {"result": "新增清运车 2 辆，投诉电话 13812345678"}).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/"))})
    listing = client.get("/public/topics").get_data(as_text=True)
    assert "垃圾清运不及时" in listing
    public = client.get(f"/public/topics/{topic.id}").get_data(as_text=True)
    assert "新增清运车 2 辆" in public and "13812345678" not in public  # masked like every public text
    assert f"/public/projects/{project.id}" in public and "已排查" not in public  # progress notes stay inside


def test_topic_proposals_count_the_months_by_local_day(app, ctx, people, areas):
    """COMMUNITY_TOPIC_MONTHS (3) whole months and this one, from the local midnight the
    first of them starts (Asia/Shanghai): 1 August 00:30 counts, 31 July 23:30 does not."""
    from datetime import datetime, timezone

    from community.hotspots.topics import proposals

    for at in (datetime(2026, 7, 31, 15, 30, tzinfo=timezone.utc),   # 31 July 23:30 local
               datetime(2026, 7, 31, 16, 30, tzinfo=timezone.utc),   # 1 August 00:30 local
               T0):
        file_ticket(people, areas, category="ENV", now=at)
    file_ticket(people, areas, category="ELD", now=T0)
    rebuild_all(FROZEN_AT)
    db.session.commit()
    found = [(p.kind, p.category.code, p.count) for p in proposals(areas.C, FROZEN_AT)]
    assert found == [("category", "ENV", 2), ("category", "ELD", 1)]
