"""The seven findings of issue 22, each replayed over HTTP as the role that found it.

Projects are built from T0 (Monday 23 November 2026); the pages are asked with the
clock stopped at FROZEN_AT (conftest `frozen`), moved where a test needs days to pass.
"""
from datetime import timedelta

import pytest
from sqlalchemy import select

from community.auth.models import Role, User
from community.core.errors import InvalidTransition, NotAllowed
from community.core.extensions import db
from community.projects import budget, deliberation, judging, rectify, services
from community.projects.models import Project, ProjectCase, ProjectRules, SpendingLine
from community.workqueue.models import Notification
from tests.factories import (
    DAY, T0, approved, count, csrf_from, deliberating, delivered, hashed_password, login, proposal,
    street_rules)


FROZEN_AT = T0 + 6 * DAY
pytestmark = pytest.mark.usefixtures("frozen")


def _post(client, url, data, page_url="/projects"):
    return client.post(url, data=dict(data, csrf_token=csrf_from(client.get(page_url))))


def _logout(client):
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/projects"))})


def _residents(people, areas, n):
    """n more residents of S1C1, verified by its office."""
    from community.residency.services import verify

    made, first = [], count(User)
    for i in range(first, first + n):
        user = User(phone=f"1390000{i:04d}", name=f"居民{i}", role=Role.RESIDENT,
                    password_hash=hashed_password(), created_at=T0 - 40 * DAY,
                    home_community=areas.S1C1)
        db.session.add(user)
        db.session.flush()
        verify(people.community, T0 - 30 * DAY, user.id)
        made.append(user)
    db.session.commit()
    return made


# -- 1. the office approving its own project against every resident ---------------------

def test_1_the_office_cannot_lower_the_bar_nor_approve_against_its_residents(client, people, areas):
    street_rules(people, areas, support_min=3, quorum=4)
    four = _residents(people, areas, 4)
    project = deliberating(people, areas, now=T0)
    login(client, "community")
    response = _post(client, "/projects/settings", {"support_min": "0", "meeting_share": "0.01",
                                                    "quorum": "0", "reason": "x"})
    assert response.status_code == 403
    assert count(ProjectRules) == 1  # the street's, untouched
    for resident in four:
        deliberation.vote(project, resident, T0 + DAY, "oppose")
    db.session.commit()
    page = f"/projects/{project.id}"
    meeting = {"held_on": (T0 + DAY).date().isoformat(), "attendees": "100", "supporters": "1",
               "decision": "agreed", "summary": "同意", "signed_name": "记录员", "attest": "y"}
    assert _post(client, f"{page}/meeting", meeting, page).status_code == 302  # a record, nothing more
    response = _post(client, f"{page}/approve", {"note": ""}, page)
    assert response.status_code == 422 and "反对" in response.get_data(as_text=True)
    assert db.session.get(Project, project.id).state == "deliberating"
    public = client.get(f"/public/projects/{project.id}").get_data(as_text=True)
    assert "支持 0</strong> · <strong>反对 4" in public and "协商议事中" in public
    assert "街道1 第 1 版" in public  # the rules the project is decided by, published with it


def test_1_a_change_of_rules_is_a_published_version_and_does_not_move_running_votes(client, people,
                                                                                      areas):
    first = street_rules(people, areas, support_min=2, quorum=2)
    project = deliberating(people, areas)  # fixed to version 1
    login(client, "street")
    response = _post(client, "/projects/settings", {
        "community": str(areas.S1C1.id), "support_min": "0", "quorum": "0",
        "oppose_block_share": "1", "judging_days": "1", "judging_turnout": "0",
        "satisfaction_line": "0", "reason": "放宽试点"}, "/projects/settings")
    assert response.status_code == 302
    second = db.session.scalar(select(ProjectRules).order_by(ProjectRules.version.desc()).limit(1))
    assert (second.version, second.set_by_id, second.reason) == (2, people.street.id, "放宽试点")
    assert db.session.get(Project, project.id).rules_id == first.id
    body = client.get(f"/public/communities/{areas.S1C1.code}/projects").get_data(as_text=True)
    assert "第 2 版" in body and "放宽试点" in body and "第 1 版" in body
    assert _post(client, "/projects/settings", {"support_min": "1e3", "quorum": "1",
                                                "oppose_block_share": "0.5", "judging_days": "14",
                                                "judging_turnout": "1", "satisfaction_line": "0.8",
                                                "reason": "x"}, "/projects/settings").status_code == 422


def test_1_opposition_counts_and_blocks(people, areas):
    street_rules(people, areas, support_min=2, quorum=4, oppose_block_share=0.5)
    others = _residents(people, areas, 3)
    project = deliberating(people, areas)
    for voter, choice in zip([people.resident, people.resident2] + others,
                             ("support", "support", "oppose", "oppose", "support")):
        deliberation.vote(project, voter, T0, choice)
    deliberation.record_meeting(project, people.community, T0, held_on=T0.date(), attendees=5,
                                supporters=5, decision="agreed", signed_name="记录员")
    result = deliberation.deliberation_result(project)
    assert (result.support, result.oppose, result.passed) == (3, 2, True)
    deliberation.vote(project, _residents(people, areas, 1)[0], T0, "oppose")  # 3 : 3
    assert not deliberation.deliberation_result(project).passed


# -- 2. judging that cannot be skipped ----------------------------------------------------

def test_2_judging_runs_its_period_and_turnout_or_ends_as_insufficient(client, people, areas, frozen):
    project = delivered(people, areas)  # completed on day 5; street rules: 14 days, 2 ratings
    login(client, "community")
    page = f"/projects/{project.id}"
    response = _post(client, f"{page}/evaluate", {}, page)
    assert response.status_code == 422 and "14" in response.get_data(as_text=True)
    frozen.move_to(T0 + 20 * DAY)
    login(client, "community")  # a staff session lasts 12 hours; this is a new day
    response = _post(client, f"{page}/evaluate", {}, page)
    assert response.status_code == 422 and "评判不足" in response.get_data(as_text=True)
    assert db.session.get(Project, project.id).state == "completed"
    assert _post(client, f"{page}/evaluate", {"insufficient": "1"}, page).status_code == 302
    assert db.session.get(Project, project.id).judging_result == "insufficient"
    public = client.get(f"/public/projects/{project.id}").get_data(as_text=True)
    assert "评判不足" in public


# -- 3. comments reach the office and the street; under the line opens a 整改 case ---------

def test_3_comments_reach_the_office_and_the_street(client, people, areas):
    project = delivered(people, areas)
    login(client, "13800000001")
    page = f"/projects/{project.id}"
    assert _post(client, f"{page}/rate", {"satisfaction": "dissatisfied", "comment": "椅子不结实"},
                 page).status_code == 302
    told = {n.user_id for n in Notification.query.filter(Notification.project_id == project.id)}
    assert {people.community.id, people.street.id} <= told
    assert people.community2.id not in told and people.resident.id not in told
    _logout(client)
    login(client, "street")
    body = client.get(page).get_data(as_text=True)
    assert "椅子不结实" in body and "13800000001" not in body and "resident" not in body


def test_3_a_result_under_the_line_opens_a_case_on_a_clock(people, areas):
    from community.sla.side import sweep as side_sweep

    project = delivered(people, areas)
    judging.rate(project, people.resident, T0 + 6 * DAY, "dissatisfied")
    judging.rate(project, people.resident2, T0 + 6 * DAY, "basic")
    judging.close(project, people.community, T0 + 20 * DAY)
    db.session.commit()
    case = db.session.scalar(select(ProjectCase))
    assert project.judging_result == "below_line" and case.state == "open"
    assert case.due_at > T0 + 20 * DAY
    assert side_sweep(case.due_at - timedelta(minutes=1)).get("project_cases_overdue") is None
    assert side_sweep(case.due_at + DAY)["project_cases_overdue"] == 1
    assert side_sweep(case.due_at + 2 * DAY).get("project_cases_overdue") is None  # once
    db.session.expire_all()
    case = db.session.get(ProjectCase, case.id)
    assert case.overdue_at == case.due_at
    assert [e.action for e in case.project.events][-1] == "rectify_overdue"
    with pytest.raises(InvalidTransition):
        rectify.review(case.project, people.street, T0 + 40 * DAY, True, "")  # nothing reported
    rectify.report(case.project, people.community, T0 + 40 * DAY, "已加固长椅并回访居民")
    db.session.commit()
    with pytest.raises(NotAllowed):
        rectify.review(case.project, people.community, T0 + 41 * DAY, True, "")  # not its own
    db.session.rollback()
    rectify.review(case.project, people.street, T0 + 41 * DAY, True, "同意结案")
    assert case.state == "closed"


# -- 4. personal data on the public pages -------------------------------------------------

def test_4_titles_descriptions_and_payees_are_masked_everywhere_public(client, people, areas):
    project = approved(people, areas, funding="1000")
    project.title = "3号楼长椅 联系13912345678"
    project.description = "电话 139 1234 5678、139-1234-5678、１３９１２３４５６７８，座机 0871-65551234，住7栋3单元302室"
    db.session.commit()
    services.start(project, people.community, T0 + 4 * DAY)
    db.session.commit()
    login(client, "community")
    page = f"/projects/{project.id}"
    spend = {"spent_on": (T0 + 5 * DAY).date().isoformat(), "item": "长椅", "amount": "100",
             "source": "community", "payee": "张三 13911112222"}
    response = _post(client, f"{page}/spending", dict(spend, payee_kind="organisation"), page)
    assert response.status_code == 422 and count(SpendingLine) == 0  # a person typed as a company
    assert _post(client, f"{page}/spending", dict(spend, payee_kind="person"), page).status_code == 302
    _logout(client)
    for url in (f"/public/projects/{project.id}", f"/public/communities/{areas.S1C1.code}/projects"):
        body = client.get(url).get_data(as_text=True)
        for secret in ("13912345678", "139 1234 5678", "139-1234-5678", "１３９１２３４５６７８",
                       "65551234", "302", "张三", "13911112222"):
            assert secret not in body, (url, secret)
    body = client.get(f"/public/projects/{project.id}").get_data(as_text=True)
    assert "<title>3号楼长椅 联系139****5678" in body and "<h1>3号楼长椅 联系139****5678</h1>" in body
    assert "张*" in body


def test_4_the_office_hides_a_proposal_or_a_post_with_a_public_reason(client, people, areas):
    project = proposal(people, title="给王大妈家修门", description="王大妈电话在群里")
    deliberation.post(project, people.resident, T0, "我家就在隔壁3号楼")
    db.session.commit()
    login(client, "community")
    page = f"/projects/{project.id}"
    post_id = deliberation.thread(project)[0].id
    assert _post(client, f"{page}/hide_post", {"post": str(post_id), "reason": "含住址"},
                 page).status_code == 302
    assert _post(client, f"{page}/hide", {"reason": "涉及个人隐私"}, page).status_code == 302
    _logout(client)
    body = client.get(f"/public/projects/{project.id}").get_data(as_text=True)
    assert "王大妈" not in body and "涉及个人隐私" in body
    listing = client.get(f"/public/communities/{areas.S1C1.code}/projects").get_data(as_text=True)
    assert "王大妈" not in listing and "已隐藏" in listing
    login(client, "13800000002")
    member_page = client.get(page).get_data(as_text=True)
    assert "隔壁3号楼" not in member_page and "含住址" in member_page


# -- 5. votes only where the community verified the resident ------------------------------

def test_5_a_sign_up_community_is_not_a_vote_until_verified(client, people, areas):
    newcomer = User(phone="13955550000", name="新来的", role=Role.RESIDENT,
                    password_hash=hashed_password(), created_at=T0, home_community=areas.S1C1)
    db.session.add(newcomer)
    db.session.commit()
    project = deliberating(people, areas)
    login(client, "13955550000")
    page = f"/projects/{project.id}"
    body = client.get(page).get_data(as_text=True)
    assert 'href="/profile#residency"' in body
    assert _post(client, f"{page}/vote", {"choice": "support"}, page).status_code == 403
    response = _post(client, "/projects/new", {"title": "长椅", "description": "内容"}, "/projects/new")
    assert response.status_code == 422 and "/profile" in response.get_data(as_text=True)
    profile = client.get("/profile")
    assert profile.status_code == 200 and "尚未核实" in profile.get_data(as_text=True)
    assert deliberation.vote_counts(project.id) == {"support": 0, "oppose": 0}
    _logout(client)
    login(client, "grid2")  # a grid worker of the same community verifies in person
    assert "新来的" in client.get("/residency").get_data(as_text=True)
    assert _post(client, "/residency/verify", {"user": str(newcomer.id)}, "/residency").status_code == 302
    _logout(client)
    login(client, "13955550000")
    assert _post(client, f"{page}/vote", {"choice": "support"}, page).status_code == 302
    assert "已核实" in client.get("/profile").get_data(as_text=True)


def test_5_only_the_communitys_own_staff_verify(client, people, areas):
    newcomer = User(phone="13955550001", role=Role.RESIDENT, password_hash=hashed_password(),
                    created_at=T0, home_community=areas.S1C1)
    db.session.add(newcomer)
    db.session.commit()
    for outsider in ("community2", "grid3", "street"):
        login(client, outsider)
        response = _post(client, "/residency/verify", {"user": str(newcomer.id)})
        assert response.status_code == 404, outsider
        _logout(client)
    assert client.get("/residency").status_code == 302  # sign in first


# -- 6. money as an auditable ledger ------------------------------------------------------

@pytest.mark.parametrize("field, value", [("spent_on", "2099-01-01"), ("spent_on", "2001-01-01"),
                                          ("source", "donation"), ("amount", "1e3"),
                                          ("amount", "12.345")])
def test_6_spending_outside_the_plan_or_the_period_is_refused(client, people, areas, field, value):
    project = approved(people, areas, funding="2000")
    login(client, "community")
    page = f"/projects/{project.id}"
    line = {"spent_on": (T0 + 5 * DAY).date().isoformat(), "item": "长椅", "amount": "100",
            "source": "community", "payee": "园林公司", "payee_kind": "organisation"}
    response = _post(client, f"{page}/spending", dict(line, **{field: value}), page)
    assert response.status_code == 422 and count(SpendingLine) == 0


def test_6_a_correction_is_a_reversing_entry_with_a_reason(client, people, areas):
    project = approved(people, areas, funding="2000")
    line = budget.add_spending(project, people.community, T0 + 5 * DAY,
                               spent_on=(T0 + 5 * DAY).date(), item="长椅", amount="1000",
                               source="community", payee="园林公司")
    db.session.commit()
    login(client, "community")
    page = f"/projects/{project.id}"
    assert _post(client, f"{page}/reverse", {"line": str(line.id), "reason": ""}, page).status_code == 422
    assert _post(client, f"{page}/reverse", {"line": str(line.id), "reason": "金额录错，应为 100 元"},
                 page).status_code == 302
    assert _post(client, f"{page}/reverse", {"line": str(line.id), "reason": "再来"}, page).status_code == 409
    rows = SpendingLine.query.order_by(SpendingLine.id).all()
    assert [(r.amount_fen, r.reverses_id) for r in rows] == [(100000, None), (-100000, line.id)]
    assert budget.spent_fen(project) == 0
    public = client.get(f"/public/projects/{project.id}").get_data(as_text=True)
    assert "金额录错" in public and "已冲销" in public


# -- 7. reachable and complete ------------------------------------------------------------

def test_7_public_links_each_communitys_projects(client, people, areas):
    proposal(people)
    body = client.get("/public").get_data(as_text=True)
    for code in ("S1C1", "S1C2", "S2C1", "S2C2"):
        assert f"/public/communities/{code}/projects" in body


def test_7_the_lead_unit_of_a_county_project_sees_and_updates_it(client, people, areas):
    project = proposal(people)
    services.set_plan(project, people.community, T0, level=3, lead_unit_id=areas.D1.id)
    db.session.commit()
    project = approved_at_county(people, areas, project)
    login(client, "dept")
    page = f"/projects/{project.id}"
    assert client.get(page).status_code == 200
    assert f'href="{page}"' in client.get("/projects").get_data(as_text=True)
    assert _post(client, f"{page}/start", {}, page).status_code == 302
    assert _post(client, f"{page}/milestone", {"title": "施工", "due_on": "2026-12-30"},
                 page).status_code == 302
    _logout(client)
    login(client, "dept2")
    assert client.get(page).status_code == 404


def approved_at_county(people, areas, project):
    street_rules(people, areas)
    budget.add_funding(project, people.community, T0, source="county", amount="5000")
    services.open_deliberation(project, people.community, T0)
    deliberation.vote(project, people.resident, T0 + DAY, "support")
    deliberation.vote(project, people.resident2, T0 + DAY, "support")
    deliberation.record_meeting(project, people.community, T0 + DAY, held_on=(T0 + DAY).date(),
                                attendees=9, supporters=9, decision="agreed", signed_name="记录员")
    services.approve(project, people.county, T0 + 2 * DAY)
    db.session.commit()
    return project


def test_7_a_community_cannot_undo_its_streets_approval(client, people, areas):
    project = proposal(people)
    services.set_plan(project, people.community, T0, level=2, lead_unit_id=None)
    db.session.commit()
    street_rules(people, areas)
    services.open_deliberation(project, people.community, T0)
    deliberation.vote(project, people.resident, T0, "support")
    deliberation.vote(project, people.resident2, T0, "support")
    deliberation.record_meeting(project, people.community, T0, held_on=T0.date(), attendees=9,
                                supporters=9, decision="agreed", signed_name="记录员")
    services.approve(project, people.street, T0 + DAY)
    db.session.commit()
    login(client, "community")
    page = f"/projects/{project.id}"
    assert _post(client, f"{page}/reject", {"reason": "不想做了"}, page).status_code == 403
    assert db.session.get(Project, project.id).state == "approved"
    _logout(client)
    login(client, "county")  # the tier above may
    assert _post(client, f"{page}/reject", {"reason": "与区规划冲突"}, page).status_code == 302


@pytest.mark.parametrize("login_name, shown", [("grid", True), ("dept", False), ("community", True),
                                               ("street", True), ("13800000001", False)])
def test_7_menus_link_only_pages_that_open(client, people, areas, login_name, shown):
    login(client, login_name)
    linked = "/projects/lists" in client.get("/projects").get_data(as_text=True)
    assert linked is shown
    assert (client.get("/projects/lists").status_code == 200) is shown
