"""Dashboards, exports and the public page: who sees what, and that they read the rollups."""
import io
import re

import pytest
from openpyxl import load_workbook

from community.core.extensions import db
from community.ratings import services
from community.stats.rollup import rebuild_all

from ..factories import H, T0, login, resolved_ticket


def _rated_history(people, areas, app, bad=False):
    ticket = resolved_ticket(people, areas)
    ticket.text_public = False
    ticket.contact_phone = "13812345678"
    services.rate(ticket, people.resident, T0 + 3 * H, "no" if bad else "yes",
                  "very_dissatisfied" if bad else "very_satisfied", "评价人的话", reasons=["not_solved"])
    db.session.commit()
    rebuild_all(T0)
    db.session.commit()
    return ticket


# The whole module runs with the clock stopped on T0's day, 4 hours after T0
# (the conftest `frozen` fixture): the dashboards show the period ending today,
# and the tracking page's rating window is open for requests resolved at T0 + 2 h.
FROZEN_AT = T0 + 4 * H
pytestmark = pytest.mark.usefixtures("frozen")


def test_street_dashboard_shows_its_communities_with_tables(app, client, people, areas):
    _rated_history(people, areas, app, bad=True)
    login(client, "street")
    page = client.get(f"/stats/units/{areas.S1.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "社区1-1" in html and "社区1-2" in html and "样本不足" in html  # 1 rating < 30: unranked
    assert 'data-chart="' in html and "echarts.min.js" in html and "<table" in html
    assert "未结案的差评整改：1" in html
    assert not re.search(r"<script>(?!</script>)", html)  # no inline script (CSP: self only)


def test_unit_under_minimum_sample_is_not_ranked(app, client, people, areas):
    _rated_history(people, areas, app)
    app.config["COMMUNITY_RANKING_MIN_RATINGS"] = 1
    try:
        login(client, "street")
        html = client.get(f"/stats/units/{areas.S1.id}").get_data(as_text=True)
    finally:
        app.config["COMMUNITY_RANKING_MIN_RATINGS"] = 30
    ranked = html.split("样本不足，不参与排名")[0]
    assert "社区1-1" in ranked  # now ranked: 1 valid rating ≥ 1
    assert "社区1-2" in html.split("样本不足，不参与排名")[1]  # no ratings: still unranked


def test_street_cannot_see_another_streets_dashboard_or_export(app, client, people, areas):
    login(client, "street2")
    assert client.get(f"/stats/units/{areas.S1.id}").status_code == 404
    assert client.get(f"/stats/units/{areas.S1C1.id}").status_code == 404
    assert client.get(f"/stats/units/{areas.S1.id}/export/figures.csv").status_code == 404
    assert client.get(f"/stats/units/{areas.S1.id}/export/requests.xlsx").status_code == 404
    assert client.get(f"/stats/units/{areas.C.id}").status_code == 404  # nor the county's
    assert client.get(f"/stats/units/{areas.S2.id}").status_code == 200


def test_grid_worker_sees_own_grid_only_and_residents_none(app, client, people, areas):
    login(client, "grid")
    assert client.get(f"/stats/units/{areas.S1C1G1.id}").status_code == 200
    assert client.get(f"/stats/units/{areas.S1C1G2.id}").status_code == 404
    assert client.get(f"/stats/units/{areas.S1C1.id}").status_code == 404
    assert client.get("/stats").headers["Location"].endswith(f"/stats/units/{areas.S1C1G1.id}")
    client.post("/logout", data={"csrf_token": _token(client)})
    login(client, "13800000001")
    assert client.get(f"/stats/units/{areas.S1C1G1.id}").status_code == 404


def _token(client):
    from ..factories import csrf_from

    return csrf_from(client.get("/t"))


def test_exports_mask_phones(app, client, people, areas):
    ticket = _rated_history(people, areas, app)
    login(client, "street")
    csv = client.get(f"/stats/units/{areas.S1.id}/export/requests.csv")
    text = csv.get_data().decode("utf-8-sig")
    assert csv.status_code == 200 and ticket.tracking_code in text
    assert "138****5678" in text and "13812345678" not in text
    xlsx = client.get(f"/stats/units/{areas.S1.id}/export/figures.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    rows = list(sheet.values)
    assert rows[1][0] == "街道1" and "F20" in rows[1][-1]
    assert {r[0] for r in rows[1:]} == {"街道1", "社区1-1", "社区1-2"}
    assert client.get(f"/stats/units/{areas.S1.id}/export/figures.pdf").status_code == 404


def test_public_page_has_figures_and_formulas_but_no_people(app, client, people, areas):
    ticket = _rated_history(people, areas, app)
    html = client.get("/public").get_data(as_text=True)
    assert "满意率" in html and "F20" in html and "基本满意" in html and "街道1" in html
    for private in ("13812345678", "138****5678", "resident", "评价人的话", ticket.text):
        assert private not in html
    ticket.text_public = True
    db.session.commit()
    assert ticket.text in client.get("/public").get_data(as_text=True)
    # Shown with the resident's consent, yet never with their numbers (issue 21).
    ticket.text = "请联系 139 1234 5678，身份证 110101199003071234，北门小区7栋3单元302。"
    db.session.commit()
    html = client.get("/public").get_data(as_text=True)
    assert "139****5678" in html and "北门小区7栋" in html
    for secret in ("1234 5678", "110101199003071234", "3单元302"):
        assert secret not in html


def test_public_page_is_scoped_to_a_county_and_a_street(app, client, people, areas):
    """A city has thousands of communities: /public lists every county, and one county's
    departments, streets and communities (or one street's) at a time."""
    from community.areas.services import load_areas

    load_areas([{"kind": "county", "code": "K", "name": "邻区", "parent_code": ""},
                {"kind": "street", "code": "KS1", "name": "邻区街道", "parent_code": "K"},
                {"kind": "community", "code": "KS1C1", "name": "邻区社区", "parent_code": "KS1"}])
    db.session.commit()
    html = client.get("/public").get_data(as_text=True)  # two counties: none chosen yet
    assert "测试区" in html and "邻区" in html and "选择一个区县" in html
    assert "街道1" not in html and "社区1-1" not in html and "邻区街道" not in html
    html = client.get("/public?county=C").get_data(as_text=True)
    assert all(name in html for name in ("城管局", "街道1", "街道2", "社区1-1", "社区2-2"))
    assert "邻区街道" not in html and "邻区社区" not in html
    assert 'href="/public?county=C&amp;street=S1' in html  # the street links keep the county
    html = client.get("/public?county=C&street=S1").get_data(as_text=True)
    assert "社区1-1" in html and "社区1-2" in html and "社区2-1" not in html
    assert "街道2" in html  # the streets' league stays whole: it is what a street is ranked in
    html = client.get("/public?county=K").get_data(as_text=True)
    assert "邻区社区" in html and "社区1-1" not in html
    for wrong in ("/public?county=NOPE", "/public?county=C&street=KS1", "/public?county=S1"):
        assert client.get(wrong).status_code == 404, wrong


def test_rating_from_the_tracking_page_in_two_taps(app, client, people, areas):
    ticket = resolved_ticket(people, areas)
    page = client.get(f"/t/{ticket.tracking_code}")
    assert "请登录提交这件诉求的账号后再操作" in page.get_data(as_text=True)  # the code alone
    login(client, "13800000001")
    step1 = client.get(f"/t/{ticket.tracking_code}").get_data(as_text=True)
    assert 'name="solved" value="partly"' in step1
    step2 = client.get(f"/t/{ticket.tracking_code}?solved=partly")
    assert 'name="level" value="basic"' in step2.get_data(as_text=True)
    from ..factories import csrf_from

    token = csrf_from(step2)
    sent = client.post(f"/t/{ticket.tracking_code}/rate", data={
        "csrf_token": token, "solved": "partly", "level": "basic", "comment": ""})
    assert sent.status_code == 302
    again = client.post(f"/t/{ticket.tracking_code}/rate", data={
        "csrf_token": token, "solved": "yes", "level": "very_satisfied"})
    assert again.status_code == 409
    from community.ratings.models import Rating

    assert [(r.solved, r.level) for r in db.session.scalars(db.select(Rating))] == [("partly", "basic")]


def test_another_resident_cannot_rate_by_the_page(app, client, people, areas):
    ticket = resolved_ticket(people, areas)
    login(client, "13800000002")
    token = _token(client)
    refused = client.post(f"/t/{ticket.tracking_code}/rate", data={
        "csrf_token": token, "solved": "yes", "level": "very_satisfied"})
    assert refused.status_code == 403
    from community.ratings.models import Rating

    assert db.session.scalar(db.select(db.func.count(Rating.id))) == 0


def test_case_and_appeal_pages_are_scoped(app, client, people, areas):
    ticket = resolved_ticket(people, areas)
    rating = services.rate(ticket, people.resident, T0 + 3 * H, "no", "dissatisfied", reasons=["not_solved"])
    db.session.commit()
    case_id = rating.case.id
    login(client, "street2")
    assert client.get(f"/ratings/cases/{case_id}").status_code == 404
    assert ticket.tracking_code not in client.get("/ratings/cases").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": _token(client)})
    login(client, "community")
    page = client.get(f"/ratings/cases/{case_id}")
    assert page.status_code == 200 and "记录回访" in page.get_data(as_text=True)
    from ..factories import csrf_from

    token = csrf_from(page)
    done = client.post(f"/ratings/cases/{case_id}/callback",
                       data={"csrf_token": token, "reached": "1", "note": "居民说灯不亮"})
    assert done.status_code == 302
    refused = client.post(f"/ratings/cases/{case_id}/close", data={"csrf_token": token})
    assert refused.status_code == 403 and "整改由街道审核结案" in refused.get_data(as_text=True)
    assert "待街道审核" not in client.get("/ratings/cases").get_data(as_text=True)


def test_public_recent_list_is_the_latest_current_resolutions(app, client, people, areas):
    from community.public.views import recent_resolved
    from community.workqueue import actions

    first = resolved_ticket(people, areas)
    second = resolved_ticket(people, areas, at=T0 + 5 * H)
    third = resolved_ticket(people, areas, at=T0 + 9 * H)
    actions.reopen(first, people.resident, T0 + 10 * H, "没修好")
    db.session.commit()
    assert [t.id for t in recent_resolved(10)] == [third.id, second.id]  # reopened: not listed
    assert [t.id for t in recent_resolved(1)] == [third.id]
    actions.resolve(first, people.grid, T0 + 12 * H, "solved", "已办好。")
    db.session.commit()
    assert [t.id for t in recent_resolved(10)] == [first.id, third.id, second.id]  # once, newest first
