"""Project pages: refusals by scope, votes through the form, minutes uploads, the ticket link,
the 三项清单 page, and public pages without personal data."""
import io

import pytest
from PIL import Image

from community.core.extensions import db
from community.projects import budget, deliberation, services
from community.projects.models import Meeting, Project, Resource, Vote
from tests.factories import DAY, T0, approved, count, csrf_from, deliberating, file_ticket, login, proposal


# Projects are built from T0 over four days (approved on day 3, started on day 4);
# the pages are asked on day 5 with the clock stopped (conftest `frozen`), the day
# the forms below date their spending ("2026-11-28").
FROZEN_AT = T0 + 5 * DAY
pytestmark = pytest.mark.usefixtures("frozen")


def _post(client, url, data, page_url):
    data = dict(data, csrf_token=csrf_from(client.get(page_url)))
    return client.post(url, data=data)


def test_resident_votes_once_through_the_page(client, people, areas):
    project = deliberating(people, areas)
    login(client, "13800000001")
    page = f"/projects/{project.id}"
    assert client.get(page).status_code == 200
    assert _post(client, f"{page}/vote", {"choice": "support"}, page).status_code == 302
    again = _post(client, f"{page}/vote", {"choice": "oppose"}, "/projects")
    assert again.status_code == 409
    assert [v.choice for v in Vote.query.all()] == ["support"]
    assert _post(client, f"{page}/post", {"body": "<script>alert(1)</script>"}, page).status_code == 302
    assert _post(client, f"{page}/post", {"body": "长" * 1001}, page).status_code == 422
    body = client.get(page).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)" in body and "<script>alert(1)" not in body


def test_resident_proposes_for_their_own_community(client, people, areas):
    login(client, "13800000001")
    new = "/projects/new"
    assert _post(client, new, {"title": " ", "description": "内容"}, new).status_code == 422
    assert count(Project) == 0
    assert _post(client, new, {"title": "长椅", "description": "内容", "category": "FAC"},
                 new).status_code == 302
    project = Project.query.one()
    assert project.community_id == areas.S1C1.id and project.proposer_id == people.resident.id


def test_outsiders_get_404_and_insiders_without_the_right_get_403(client, people, areas):
    project = approved(people, areas)
    page = f"/projects/{project.id}"
    login(client, "13800000003")  # a resident of another community
    assert client.get(page).status_code == 404
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/projects"))})
    login(client, "community2")
    assert client.get(page).status_code == 404
    token = csrf_from(client.get("/projects"))
    assert client.post(f"{page}/spending", data={"csrf_token": token, "item": "x", "amount": "1",
                                                 "source": "community",
                                                 "spent_on": "2026-11-28"}).status_code == 404
    client.post("/logout", data={"csrf_token": token})
    login(client, "street")  # sees its community's project, does not manage it
    response = _post(client, f"{page}/spending", {"item": "x", "amount": "1", "source": "community",
                                                  "spent_on": "2026-11-28"}, page)
    assert response.status_code == 403
    assert budget.spent_fen(project) == 0


def test_over_budget_spending_is_refused_on_the_page(client, people, areas):
    project = approved(people, areas, funding="100")
    login(client, "community")
    page = f"/projects/{project.id}"
    services.start(project, people.community, T0 + 4 * DAY)
    db.session.commit()
    response = _post(client, f"{page}/spending", {"item": "长椅", "amount": "150", "source": "community",
                                                  "spent_on": "2026-11-28"}, page)
    assert response.status_code == 422 and "超出" in response.get_data(as_text=True)
    assert budget.spent_fen(project) == 0


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (30, 20), "white").save(out, "PNG")
    return out.getvalue()


def test_minutes_upload_is_checked_stored_randomly_and_sent_safely(client, people, areas, app):
    project = deliberating(people, areas)
    login(client, "community")
    page = f"/projects/{project.id}"
    form = {"held_on": "2026-11-20", "attendees": "20", "supporters": "15", "decision": "agreed",
            "summary": "通过", "signed_name": "记录员", "attest": "y"}
    with app.test_request_context():
        before = set(deliberation.minutes_dir().iterdir())
    evil = dict(form, csrf_token=csrf_from(client.get(page)),
                minutes=(io.BytesIO(b"<html><script>alert(1)</script></html>"), "minutes.pdf"))
    response = client.post(f"{page}/meeting", data=evil, content_type="multipart/form-data")
    assert response.status_code == 422 and count(Meeting) == 0
    good = dict(form, csrf_token=csrf_from(client.get(page)), minutes=(io.BytesIO(_png()), "纪要.png"))
    assert client.post(f"{page}/meeting", data=good,
                       content_type="multipart/form-data").status_code == 302
    meeting = Meeting.query.one()
    assert meeting.minutes_name != "纪要.png" and len(meeting.minutes_name) > 30
    with app.test_request_context():
        assert {p.name for p in set(deliberation.minutes_dir().iterdir()) - before} == {meeting.minutes_name}
    download = client.get(f"{page}/meetings/{meeting.id}/minutes")
    assert download.status_code == 200 and download.mimetype.startswith("image/")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/projects"))})
    assert client.get(f"{page}/meetings/{meeting.id}/minutes").status_code == 302  # sign in first
    login(client, "13800000003")
    assert client.get(f"{page}/meetings/{meeting.id}/minutes").status_code == 404


def test_public_pages_show_no_personal_data(client, people, areas):
    people.resident.name = "张小明"
    people.community.name = "王社工"
    db.session.commit()
    project = proposal(people, description="我家电话13912345678，身份证110101199003071234，欢迎联系。")
    services.open_deliberation(project, people.community, T0)
    deliberation.vote(project, people.resident, T0, "support")
    deliberation.post(project, people.resident, T0, "张小明说：我支持")
    db.session.commit()
    for url in (f"/public/projects/{project.id}", f"/public/communities/{areas.S1C1.code}/projects"):
        response = client.get(url)
        body = response.get_data(as_text=True)
        assert response.status_code == 200
        for secret in ("张小明", "王社工", "13800000001", "13912345678", "110101199003071234"):
            assert secret not in body, (url, secret)
    body = client.get(f"/public/projects/{project.id}").get_data(as_text=True)
    assert "居民" in body and "139****5678" in body and "支持 1" in body
    assert client.get("/public/communities/NOPE/projects").status_code == 404


def test_promoted_ticket_links_to_its_project(client, people, areas):
    ticket = file_ticket(people, areas, category="PRO", kind="suggestion")
    login(client, "community")
    ticket_page = f"/work/tickets/{ticket.id}"
    assert f"/projects/new?ticket={ticket.id}" in client.get(ticket_page).get_data(as_text=True)
    new = f"/projects/new?ticket={ticket.id}"
    response = _post(client, new, {"title": "休息长椅", "description": "增设长椅", "category": "PRO"}, new)
    assert response.status_code == 302
    assert "休息长椅" in client.get(ticket_page).get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/projects"))})
    login(client, "community2")
    assert client.get(new).status_code == 404


def test_three_lists_and_resources(client, people, areas):
    file_ticket(people, areas, category="ENV", now=T0)
    login(client, "community")
    new = "/projects/resources/new"
    response = _post(client, new, {"kind": "volunteer", "name": "理发志愿队", "skills": "理发",
                                   "capacity": "abc", "categories": ["LIF"]}, new)
    assert response.status_code == 422 and count(Resource) == 0
    response = _post(client, new, {"kind": "volunteer", "name": "理发志愿队", "skills": "理发",
                                   "capacity": "10", "categories": ["LIF"]}, new)
    assert response.status_code == 302
    body = client.get("/projects/lists").get_data(as_text=True)
    assert "理发志愿队" in body
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/projects"))})
    login(client, "community2")
    assert client.get(f"/projects/resources/{Resource.query.one().id}").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/projects"))})
    login(client, "13800000001")
    assert client.get("/projects/lists").status_code == 404
