"""三项清单 对接 (a need linked to a resource, an unmet need turned into a proposal,
capacity against demand, the public version) and the residents' notices through the outbox."""
import pytest
from sqlalchemy import select

from community.core.errors import NotAllowed, ValidationFailed
from community.core.extensions import db
from community.outbox.models import OutboxRow
from community.outbox.services import run_row
from community.projects import deliberation, lists, services
from community.projects.models import NeedLink, Project
from community.workqueue.models import Notification
from tests.factories import DAY, T0, approved, count, csrf_from, file_ticket, login, proposal


FROZEN_AT = T0 + 5 * DAY
pytestmark = pytest.mark.usefixtures("frozen")


def _post(client, url, data, page_url):
    return client.post(url, data=dict(data, csrf_token=csrf_from(client.get(page_url))))


def test_the_office_links_a_need_to_a_resource_and_sees_capacity_against_demand(client, people,
                                                                                 areas):
    for day in (1, 2, 3, 4):
        file_ticket(people, areas, category="ELD", now=T0 - day * 7 * DAY)  # 4 in 8 weeks
    food = lists.save_resource(people.community, T0, kind="facility", name="长者食堂",
                               hours="11:00-13:00", capacity=0, contact="13800009999")
    db.session.commit()
    match = next(m for m in lists.matching(areas.S1C1.id, T0) if m.category.code == "ELD")
    assert match.unmet and match.short and match.demand == pytest.approx(0.5)
    login(client, "community")
    page = f"/projects/lists?community={areas.S1C1.id}"
    assert "/projects/new?need=ELD" in client.get(page).get_data(as_text=True)
    response = _post(client, "/projects/lists/links", {"category": "ELD", "resource": str(food.id),
                                                      "note": "每周二送餐"}, page)
    assert response.status_code == 302 and count(NeedLink) == 1
    assert _post(client, "/projects/lists/links", {"category": "ELD", "resource": str(food.id)},
                 page).status_code == 422  # once
    match = next(m for m in lists.matching(areas.S1C1.id, T0) if m.category.code == "ELD")
    assert not match.unmet and match.capacity == 0 and match.short
    food.capacity = 3
    db.session.commit()
    match = next(m for m in lists.matching(areas.S1C1.id, T0) if m.category.code == "ELD")
    assert match.capacity == 3 and not match.short
    with pytest.raises(NotAllowed):
        lists.link_need(people.grid, T0, category_code="ELD", resource_id=food.id)
    with pytest.raises(ValidationFailed):  # another community's resource
        lists.link_need(people.community2, T0, category_code="ELD", resource_id=food.id)


def test_an_unmet_need_becomes_a_proposal(client, people, areas):
    file_ticket(people, areas, category="ENV", now=T0)
    login(client, "community")
    new = "/projects/new?need=ENV"
    form = client.get(new).get_data(as_text=True)
    assert "环境卫生" in form or "ENV" in form
    assert _post(client, new, {"title": "垃圾分类亭", "description": "设两处分类亭。",
                               "category": "ENV"}, new).status_code == 302
    project = db.session.scalar(select(Project))
    assert project.category.code == "ENV" and project.events[0].note == "来自居民需求清单"
    match = next(m for m in lists.matching(areas.S1C1.id, T0) if m.category.code == "ENV")
    assert not match.unmet
    login(client, "13800000001")
    assert client.get(new).status_code == 404  # the office's step


def test_the_public_lists_carry_no_personal_data(client, people, areas):
    file_ticket(people, areas, category="LIF", now=T0)
    lists.save_resource(people.community, T0, kind="volunteer", name="李四", skills="理发",
                        capacity=5, contact="13800009999", categories=["LIF"])
    lists.save_resource(people.community, T0, kind="volunteer", name="理发志愿服务队", capacity=5,
                        categories=["LIF"])
    proposal(people, title="便民理发 联系13912345678", category_code="LIF")
    body = client.get(f"/public/communities/{areas.S1C1.code}/lists").get_data(as_text=True)
    for secret in ("李四", "13800009999", "13912345678", "楼道灯坏了"):
        assert secret not in body, secret
    assert "李*" in body and "理发志愿服务队" in body and "139****5678" in body
    assert f"/public/communities/{areas.S1C1.code}/lists" in client.get(
        f"/public/communities/{areas.S1C1.code}/projects").get_data(as_text=True)


def _run_notices():
    for row in db.session.scalars(select(OutboxRow).where(OutboxRow.kind == "projects.notice",
                                                          OutboxRow.done_at.is_(None))).all():
        run_row(row.id, T0 + 10 * DAY)
    db.session.commit()


def test_residents_hear_of_deliberation_a_meeting_and_judging_through_the_outbox(people, areas):
    project = proposal(people)
    services.open_deliberation(project, people.community, T0)
    db.session.commit()
    assert count(Notification) == 0  # promised, not yet written: the worker writes them
    assert db.session.scalar(select(OutboxRow).where(OutboxRow.kind == "projects.notice")) is not None
    _run_notices()
    told = {n.user_id for n in db.session.scalars(select(Notification))}
    assert told == {people.resident.id, people.resident2.id}  # verified in S1C1; not resident3
    assert all(n.project_id == project.id and n.phone for n in db.session.scalars(select(Notification)))
    deliberation.announce_meeting(project, people.community, T0, when="12月5日 19:00", place="活动室")
    db.session.commit()
    _run_notices()
    texts = [n.text for n in db.session.scalars(select(Notification).order_by(Notification.id))]
    assert len(texts) == 4 and "活动室" in texts[-1]
    _run_notices()  # run again: nothing more
    assert count(Notification) == 4
    with pytest.raises(NotAllowed):
        deliberation.announce_meeting(project, people.community2, T0, when="x", place="y")


def test_judging_start_is_announced(people, areas):
    project = approved(people, areas)
    services.start(project, people.community, T0 + 4 * DAY)
    services.complete(project, people.community, T0 + 5 * DAY)
    db.session.commit()
    _run_notices()
    last = db.session.scalars(select(Notification).order_by(Notification.id.desc())).first()
    assert "评判" in last.text and last.user_id in (people.resident.id, people.resident2.id)
