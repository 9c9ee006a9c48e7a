"""Issue 19 on the pages: charts and tables say how much they know (sample, band, hollow
points under the minimum), departments and workers are measured, and the worker table is
seen only by the worker and their supervisors."""
import html as htmllib
import json
import re

import pytest

from community.core.extensions import db
from community.ratings import services
from community.stats.formulas import FORMULA_VERSION
from community.stats.rollup import rebuild_all
from community.workqueue import actions, assist, routing

from ..factories import H, T0, csrf_from, login, resolved_ticket

FROZEN_AT = T0 + 6 * H
pytestmark = pytest.mark.usefixtures("frozen")


def _history(people, areas):
    ticket = resolved_ticket(people, areas)
    services.rate(ticket, people.resident, T0 + 3 * H, "yes", "very_satisfied")
    db.session.commit()
    rebuild_all(T0 + 5 * H)
    db.session.commit()
    return ticket


def _as(app, name):
    client = app.test_client()
    login(client, name)
    return client


def _charts(page):
    return [json.loads(htmllib.unescape(raw)) for raw in re.findall(r'data-chart="([^"]*)"', page)]


def test_points_under_the_minimum_sample_are_marked_few_with_their_n_and_band(app, client, people, areas):
    _history(people, areas)
    login(client, "street")
    page = client.get(f"/stats/units/{areas.S1.id}").get_data(as_text=True)
    league, trend = _charts(page)[:2]
    satisfaction = next(s for s in trend["series"] if s["name"] == "满意率")
    this_week = satisfaction["data"][-1]
    assert this_week["value"] == 100.0 and this_week["n"] == 1 and this_week["few"] is True
    assert 0 < this_week["low"] < 100 and this_week["high"] == 100.0  # the Wilson band of 1 of 1
    # the league chart draws every child, the unranked ones hollow too
    assert league["labels"] == ["社区1-1", "社区1-2"]
    bars = next(s for s in league["series"] if s["name"] == "满意率")["data"]
    assert [b["few"] for b in bars] == [True, True] and bars[0]["n"] == 1
    # the tables beside the charts: n and band per rate
    assert "n=1 (21%–100%)" in page
    assert f"公式版本 {FORMULA_VERSION}" in page and FORMULA_VERSION == "F2026.2"


def test_county_dashboard_measures_its_departments(app, client, people, areas):
    login(client, "county")
    page = client.get(f"/stats/units/{areas.C.id}").get_data(as_text=True)
    assert "职能部门" in page and "城管局" in page and "报到及时率" in page and "协办按时完成率" in page


def test_worker_table_for_the_worker_and_supervisors_only(app, client, people, areas):
    _history(people, areas)
    grid_page = f"/stats/units/{areas.S1C1G1.id}"
    export = f"{grid_page}/export/workers.csv"
    street = _as(app, "street")  # a supervisor: every worker of the grid
    page = street.get(grid_page).get_data(as_text=True)
    assert 'id="workers"' in page and ">grid<" in page
    body = street.get(export).get_data(as_text=True)
    assert "grid" in body and FORMULA_VERSION in body
    page = _as(app, "grid").get(grid_page).get_data(as_text=True)  # the worker: their own row
    assert 'id="workers"' in page and ">grid<" in page
    other = _as(app, "grid2")  # another grid's worker: not even the page
    assert other.get(grid_page).status_code == 404 and other.get(export).status_code == 404
    public = client.get("/public").get_data(as_text=True)
    assert ">grid<" not in public and "工作人员" not in public  # never published


def test_a_colleague_in_the_same_unit_sees_only_their_own_row(app, client, people, areas):
    from community.auth.models import Role, User
    from community.core.timeutil import utcnow

    colleague = User(username="grid1b", role=Role.GRID, unit_id=areas.S1C1G1.id, name="同事",
                     password_hash=people.grid.password_hash, created_at=utcnow())
    db.session.add(colleague)
    db.session.commit()
    _history(people, areas)
    login(client, "grid1b")
    page = client.get(f"/stats/units/{areas.S1C1G1.id}").get_data(as_text=True)
    assert 'id="workers"' not in page or ">grid<" not in page
    assert "本期暂无个人数据" in page  # the grid worker's row is not theirs to see
    body = client.get(f"/stats/units/{areas.S1C1G1.id}/export/workers.csv").get_data(as_text=True)
    assert "grid" not in body.split("\n", 1)[1]


def test_the_summoning_unit_scores_the_help_once_and_the_department_cannot(app, client, people, areas):
    from ..factories import file_ticket

    ticket = file_ticket(people, areas)
    routing.escalate(ticket, people.grid, T0, "需要街道", to_tier="street")
    actions.accept(ticket, people.street, T0 + H)
    task = assist.summon(ticket, people.street, T0 + H, [areas.D1.id], "占道")[0]
    assist.finish_assist(people.dept, task.id, T0 + 2 * H, "已清理")
    db.session.commit()
    url, ticket_page = f"/work/assist/{task.id}/score", f"/work/tickets/{ticket.id}"
    dept = _as(app, "dept")
    page = dept.get(ticket_page)
    assert "为部门的协办评分" not in page.get_data(as_text=True)
    assert dept.post(url, data={"score": "5", "csrf_token": csrf_from(page)}).status_code == 404
    street = _as(app, "street")
    page = street.get(ticket_page)
    assert "为部门的协办评分" in page.get_data(as_text=True)
    token = csrf_from(page)
    assert street.post(url, data={"score": "9", "csrf_token": token}).status_code == 422
    db.session.refresh(task)
    assert task.score is None
    assert street.post(url, data={"score": "4", "note": "配合及时", "csrf_token": token}).status_code == 302
    db.session.refresh(task)
    assert (task.score, task.score_note, task.scored_by_id) == (4, "配合及时", people.street.id)
    assert street.post(url, data={"score": "5", "csrf_token": token}).status_code == 409
