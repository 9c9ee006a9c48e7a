"""Rating a resolution, 差评 rectification cases and appeals (community.ratings)."""
from datetime import timedelta

import pytest

from community.core.errors import Conflict, InvalidTransition, NotAllowed, ValidationFailed
from community.core.extensions import db
from community.ratings import appeals, cases, services
from community.ratings.models import CaseState, Resolution
from community.workqueue import actions

from ..factories import H, T0, file_ticket, resolved_ticket

LATER = T0 + 3 * H


def test_resident_rates_once_per_resolution(ctx, people, areas):
    ticket = resolved_ticket(people, areas)
    rating = services.rate(ticket, people.resident, LATER, "yes", "satisfied", " 很快 ")
    db.session.commit()
    assert rating.comment == "很快" and rating.case is None and rating.rater_id == people.resident.id
    with pytest.raises(Conflict):
        services.rate(ticket, people.resident, LATER, "yes", "very_satisfied")


def test_reopened_and_resolved_again_gives_a_new_opportunity(ctx, people, areas):
    ticket = resolved_ticket(people, areas)
    services.rate(ticket, people.resident, LATER, "no", "dissatisfied", reasons=["not_solved"])
    actions.reopen(ticket, people.resident, LATER + H, "灯又坏了")
    with pytest.raises(NotAllowed):  # nothing to rate while it is being redone
        services.rate(ticket, people.resident, LATER + H, "yes", "satisfied")
    actions.resolve(ticket, people.grid, LATER + 2 * H, "solved", "已办好。")
    services.rate(ticket, people.resident, LATER + 3 * H, "yes", "satisfied")
    db.session.commit()
    resolutions = db.session.scalars(db.select(Resolution).order_by(Resolution.id)).all()
    assert len(resolutions) == 2 and resolutions[0].reopened_at is not None
    assert [r.rating.level for r in resolutions] == ["dissatisfied", "satisfied"]


def test_rating_outside_the_window_is_refused(ctx, people, areas):
    ticket = resolved_ticket(people, areas)
    too_late = ticket.resolved_at + timedelta(days=7, minutes=1)
    with pytest.raises(NotAllowed):
        services.rate(ticket, people.resident, too_late, "yes", "satisfied")
    resolution, refusal = services.opportunity(ticket, people.resident, too_late)
    assert resolution is not None and "期限" in refusal
    services.rate(ticket, people.resident, ticket.resolved_at + timedelta(days=7), "yes", "basic")


def test_who_may_rate(ctx, people, areas):
    ticket = resolved_ticket(people, areas)
    for outsider in (people.resident2, people.grid, people.street, None):
        with pytest.raises(NotAllowed):  # another resident, staff, the bare link
            services.rate(ticket, outsider, LATER, "yes", "satisfied")
    with pytest.raises(ValidationFailed):
        services.rate(ticket, people.resident, LATER, "yes", "great")
    with pytest.raises(ValidationFailed):
        services.rate(ticket, people.resident, LATER, "maybe", "satisfied")


def test_code_alone_does_not_rate_a_request_filed_without_an_account(ctx, people, areas):
    from community.tickets.services import Filing, submit_ticket

    filing = Filing(kind="help", category_code="ELD", text="老人行动不便", community_id=areas.S1C1.id,
                    grid_id=areas.S1C1G1.id, channel="hotline", contact_phone="13900001111")
    ticket = submit_ticket(filing, people.grid, T0)  # 代办 for a resident with no account
    actions.accept(ticket, people.grid, T0 + H)
    actions.resolve(ticket, people.grid, T0 + 2 * H, "solved", "已办好。")
    assert ticket.resident_id is None
    with pytest.raises(NotAllowed):
        services.rate(ticket, people.grid, LATER, "yes", "satisfied")  # staff never rate
    with pytest.raises(NotAllowed):  # the tracking code alone: issue 20 (the link rates: test_rating_links)
        services.rate(ticket, None, LATER, "yes", "very_satisfied")


def test_bad_rating_opens_a_case_callback_explain_close(ctx, people, areas):
    ticket = resolved_ticket(people, areas)
    rating = services.rate(ticket, people.resident, LATER, "no", "very_dissatisfied", "没人来", reasons=["not_solved"])
    case = rating.case
    assert case.state == CaseState.OPEN and case.close_due_at > case.start_due_at > LATER
    with pytest.raises(InvalidTransition):
        cases.explain(case, people.community, LATER, "说明")  # callback first
    with pytest.raises(NotAllowed):
        cases.record_callback(case, people.grid3, LATER, True, "另一个街道")
    cases.record_callback(case, people.community, LATER + H, True, "居民说灯还是不亮")
    with pytest.raises(NotAllowed):
        cases.order_reopen(case, people.community, LATER + H, "重办")  # the street decides
    with pytest.raises(InvalidTransition):
        cases.close_case(case, people.street, LATER + H)  # not answered yet
    cases.explain(case, people.community, LATER + 2 * H, "线路归供电公司，已转告")
    with pytest.raises(NotAllowed):
        cases.close_case(case, people.street2, LATER + 3 * H)  # another street
    cases.close_case(case, people.street, LATER + 3 * H, "同意")
    assert case.state == CaseState.CLOSED and case.closed_in_time


def test_case_reopen_uses_the_workflow(ctx, people, areas):
    ticket = resolved_ticket(people, areas)
    case = services.rate(ticket, people.resident, LATER, "no", "dissatisfied", reasons=["not_solved"]).case
    cases.record_callback(case, people.grid, LATER + H, False, "电话未接通")
    cases.order_reopen(case, people.street, LATER + 2 * H, "请重新上门")
    assert ticket.state == "reopened" and ticket.reopen_count == 1
    assert case.outcome == "reopen" and case.state == CaseState.ANSWERED
    assert ticket.events[-1].action == "reopen"


def test_appeal_upheld_excludes_rating_but_keeps_it(ctx, people, areas):
    ticket = resolved_ticket(people, areas)
    rating = services.rate(ticket, people.resident, LATER, "no", "very_dissatisfied", "乱评", reasons=["not_solved"])
    with pytest.raises(NotAllowed):
        appeals.file_appeal(rating, people.grid2, LATER, "恶意")  # not the handler
    with pytest.raises(ValidationFailed):
        appeals.file_appeal(rating, people.grid, LATER, "  ")
    appeal = appeals.file_appeal(rating, people.grid, LATER, "评价内容与本诉求无关")
    with pytest.raises(Conflict):
        appeals.file_appeal(rating, people.grid, LATER, "再次申诉")
    with pytest.raises(NotAllowed):
        appeals.decide_appeal(appeal, people.community, LATER, True)  # the street decides
    with pytest.raises(NotAllowed):
        appeals.decide_appeal(appeal, people.street2, LATER, True)
    appeals.decide_appeal(appeal, people.street, LATER + H, True, "核实属实")
    db.session.commit()
    assert rating.excluded and appeal.state == "upheld"
    with pytest.raises(InvalidTransition):
        appeals.decide_appeal(appeal, people.street, LATER + H, False)
    assert rating in appeals.ratings_for(people.grid)  # still in the record


def test_unresolved_request_cannot_be_rated(ctx, people, areas):
    ticket = file_ticket(people, areas)
    with pytest.raises(NotAllowed):
        services.rate(ticket, people.resident, T0, "yes", "satisfied")


def test_units_list_the_ratings_of_their_own_resolutions_newest_first(ctx, people, areas):
    first, second = resolved_ticket(people, areas), resolved_ticket(people, areas)
    older = services.rate(first, people.resident, LATER, "yes", "satisfied")
    newer = services.rate(second, people.resident, LATER + H, "partly", "basic")
    db.session.commit()
    resolution = db.session.get(Resolution, newer.resolution_id)
    assert (newer.grid_id, newer.community_id, newer.street_id, newer.county_id) == (
        resolution.grid_id, resolution.community_id, resolution.street_id, resolution.county_id)
    for user in (people.grid, people.community, people.street, people.county, people.admin):
        assert [r.id for r in appeals.ratings_for(user)] == [newer.id, older.id], user.username
    for outsider in (people.grid2, people.community2, people.street2, people.dept):
        assert appeals.ratings_for(outsider) == [], outsider.username
    assert [r.id for r in appeals.ratings_for(people.street, limit=1)] == [newer.id]


def test_cases_and_appeals_are_listed_for_their_own_units_only(ctx, people, areas):
    ticket = resolved_ticket(people, areas)
    rating = services.rate(ticket, people.resident, LATER, "no", "very_dissatisfied", "没人来", reasons=["not_solved"])
    appeal = appeals.file_appeal(rating, people.grid, LATER, "评价内容与本诉求无关")
    db.session.commit()
    for user in (people.grid, people.community, people.street, people.county, people.admin):
        assert [a.id for a in appeals.appeals_for(user)] == [appeal.id], user.username
        assert [c.id for c in cases.cases_for(user)] == [rating.case.id], user.username
    for outsider in (people.grid2, people.community2, people.street2, people.dept):
        assert appeals.appeals_for(outsider) == [] and cases.cases_for(outsider) == [], outsider.username


def test_ratings_move_with_a_request_routed_to_another_grid(ctx, people, areas):
    from community.workqueue import routing

    ticket = resolved_ticket(people, areas)
    rating = services.rate(ticket, people.resident, LATER, "yes", "satisfied")
    db.session.commit()
    # The street orders 重办, the grid passes it up, the community returns it (not its
    # business as placed), the street sends it to the right grid.
    actions.reopen(ticket, people.street, LATER + H, "请重新上门")
    routing.escalate(ticket, people.grid, LATER + 2 * H, "需要社区协调")
    routing.return_ticket(ticket, people.community, LATER + 3 * H, "不在本社区网格")
    routing.reroute(ticket, people.street, LATER + 4 * H, areas.S1C1G2.id)
    db.session.commit()
    assert ticket.grid_id == areas.S1C1G2.id
    assert [r.id for r in appeals.ratings_for(people.grid2)] == [rating.id]
    assert appeals.ratings_for(people.grid) == []  # who may open the request now is who lists it


def test_a_case_answered_with_reopen_waits_for_the_reopened_work(ctx, people, areas):
    """Issue 24: a 差评 case could be closed while its 重办 was still running."""
    ticket = resolved_ticket(people, areas)
    case = services.rate(ticket, people.resident, LATER, "no", "dissatisfied", reasons=["not_solved"]).case
    cases.record_callback(case, people.grid, LATER + H, True, "灯还是不亮")
    cases.order_reopen(case, people.street, LATER + 2 * H, "请重新上门")
    assert cases.reopen_running(case)
    with pytest.raises(InvalidTransition):
        cases.close_case(case, people.street, LATER + 3 * H, "同意")
    assert case.state == CaseState.ANSWERED and case.closed_at is None
    handler = {"grid": people.grid, "community": people.community, "street": people.street}[ticket.tier]
    if ticket.state == "reopened" and ticket.accepted_at is None:
        actions.accept(ticket, handler, LATER + 3 * H)
    actions.resolve(ticket, handler, LATER + 4 * H, "solved", "换了灯泡", [])
    assert not cases.reopen_running(case)
    cases.close_case(case, people.street, LATER + 5 * H, "同意")
    assert case.state == CaseState.CLOSED


@pytest.mark.parametrize("uphold, says", [(True, "申诉成立"), (False, "申诉不成立")])
def test_the_resident_is_told_how_an_appeal_ended(ctx, people, areas, uphold, says):
    """Issue 24: the resident heard nothing of an appeal against their rating."""
    from community.workqueue.models import Notification

    ticket = resolved_ticket(people, areas)
    rating = services.rate(ticket, people.resident, LATER, "no", "very_dissatisfied", "乱评", reasons=["not_solved"])
    appeal = appeals.file_appeal(rating, people.grid, LATER, "评价内容与本诉求无关")
    db.session.commit()
    before = Notification.query.filter_by(user_id=people.resident.id).count()
    with pytest.raises(NotAllowed):  # a refused decision tells nobody anything
        appeals.decide_appeal(appeal, people.grid, LATER + H, uphold)
    db.session.rollback()
    assert Notification.query.filter_by(user_id=people.resident.id).count() == before
    appeals.decide_appeal(appeal, people.street, LATER + H, uphold, "核实")
    db.session.commit()
    [notice] = Notification.query.filter_by(user_id=people.resident.id).order_by(Notification.id.desc()).limit(1)
    assert says in notice.text and ticket.tracking_code in notice.text and notice.phone == ticket.contact_phone


def test_appeals_are_found_by_the_appeals_street_not_the_units_ratings(ctx, people, areas):
    """Issue 30: a county's list read every rating of the county to find its appeals."""
    from sqlalchemy import select

    from community.ratings.models import Appeal
    from tests.factories import make_supervisor

    ticket = resolved_ticket(people, areas)
    rating = services.rate(ticket, people.resident, LATER, "no", "very_dissatisfied", "没人来", reasons=["not_solved"])
    appeal = appeals.file_appeal(rating, people.grid, LATER, "评价内容与本诉求无关")
    db.session.commit()
    supervisor = make_supervisor(areas)
    for user in (people.county, supervisor, people.street):
        sql = str(appeals.appeals_in_scope(select(Appeal), user))
        assert "ratings" not in sql, user.username  # the appeal's own columns, no rating read
        assert [a.id for a in appeals.appeals_for(user)] == [appeal.id], user.username
    for outsider in (people.street2, people.community2, people.grid2, people.dept):
        assert appeals.appeals_for(outsider) == [], outsider.username


def test_an_appeal_moves_with_its_request_to_another_street(ctx, people, areas):
    from community.core import signals

    ticket = resolved_ticket(people, areas)
    rating = services.rate(ticket, people.resident, LATER, "no", "very_dissatisfied", "没人来", reasons=["not_solved"])
    appeal = appeals.file_appeal(rating, people.grid, LATER, "评价内容与本诉求无关")
    db.session.commit()
    grid = areas.S2C1G1
    ticket.grid_id, ticket.community_id, ticket.street_id = grid.id, grid.community_id, grid.street_id
    signals.ticket_relocated.send(ticket)
    db.session.commit()
    db.session.expire_all()
    assert appeal.street_id == areas.S2.id
    assert [a.id for a in appeals.appeals_for(people.street2)] == [appeal.id]
    for outsider in (people.street, people.community, people.grid):
        assert appeals.appeals_for(outsider) == [], outsider.username
    assert [a.id for a in appeals.appeals_for(people.county)] == [appeal.id]


def test_open_cases_are_listed_by_their_live_states(ctx, people, areas):
    """Issue 30: `state <> 'closed'` walked every closed case of the city in due order
    before the admin's page filled; the live states by name use the indexes. Each role
    still lists the cases it listed before, closed ones only on request."""
    from sqlalchemy import select

    from community.core import signals
    from community.ratings.models import RectificationCase

    made = []
    for _ in range(2):
        ticket = resolved_ticket(people, areas)
        made.append(services.rate(ticket, people.resident, LATER, "no", "dissatisfied",
                                  reasons=["not_solved"]).case)
    closed, live = made
    closed.state = CaseState.CLOSED
    live.ticket.handling_unit_id = areas.D1.id  # a department handles it now
    signals.ticket_moved.send(live.ticket)  # as workqueue.routing does when it moves one
    db.session.commit()
    assert "tickets" not in str(cases.in_scope(select(RectificationCase), RectificationCase, people.admin))
    for user in (people.grid, people.community, people.street, people.county, people.admin, people.dept):
        assert [c.id for c in cases.cases_for(user)] == [live.id], user.username
    for user in (people.grid, people.community, people.street, people.county, people.admin):
        assert {c.id for c in cases.cases_for(user, open_only=False)} == {live.id, closed.id}, user.username
    for outsider in (people.grid2, people.community2, people.street2, people.dept2):
        assert cases.cases_for(outsider, open_only=False) == [], outsider.username


def test_the_0033_indexes_name_the_live_states():
    import importlib.util
    from pathlib import Path

    from community.ratings.models import LIVE_CASES_WHERE
    from community.tickets.models import OPEN_WHERE

    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0033_open_by_due.py"
    spec = importlib.util.spec_from_file_location("migration_0033", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert migration.LIVE == LIVE_CASES_WHERE and migration.OPEN_TICKETS == OPEN_WHERE
