"""Every action of the tiered workflow, allowed and refused, through the services."""
from datetime import timedelta

import pytest

from community.core.errors import InvalidTransition, NotAllowed, ValidationFailed
from community.core.extensions import db
from community.tickets.models import TicketEvent
from community.tickets.services import transition
from community.tickets.states import ALLOWED_TRANSITIONS, State
from community.workqueue import actions, assist, contact, extensions, routing
from community.workqueue.models import AssistState, ContactReveal, Notification
from tests.factories import T0, count, file_ticket

H = timedelta(hours=1)


@pytest.mark.parametrize("from_state", list(State))
@pytest.mark.parametrize("to_state", list(State))
def test_transition_follows_the_one_table(ctx, people, areas, from_state, to_state):
    ticket = file_ticket(people, areas)
    ticket.state = from_state
    db.session.flush()
    events = count(TicketEvent)
    if to_state in ALLOWED_TRANSITIONS[from_state]:
        event = transition(ticket, to_state, people.grid, T0, action="test")
        assert (event.from_state, event.to_state, event.actor) == (from_state, to_state, people.grid)
        assert ticket.state == to_state
    else:
        with pytest.raises(InvalidTransition):
            transition(ticket, to_state, people.grid, T0, action="test")
        assert ticket.state == from_state and count(TicketEvent) == events


def test_accept_starts_work_and_resolution_clock(ctx, people, areas):
    ticket = file_ticket(people, areas)
    actions.accept(ticket, people.grid, T0 + H)
    assert ticket.state == State.ACCEPTED and ticket.assignee == people.grid
    assert ticket.first_response_at == T0 + H and ticket.resolve_due_at > T0 + H
    assert ticket.next_due_at is None or ticket.next_due_at >= T0  # flushed below
    db.session.commit()
    assert ticket.next_due_at == ticket.resolve_due_at


def test_accept_refused_outside_the_handling_unit_and_twice(ctx, people, areas):
    ticket = file_ticket(people, areas)
    with pytest.raises(NotAllowed):
        actions.accept(ticket, people.grid2, T0)  # neighbouring grid
    with pytest.raises(NotAllowed):
        actions.accept(ticket, people.community, T0)  # the tier above is not the handler
    actions.accept(ticket, people.grid, T0)
    with pytest.raises(InvalidTransition):
        actions.accept(ticket, people.grid, T0)


def test_respond_moves_accepted_work_in_progress(ctx, people, areas):
    ticket = file_ticket(people, areas)
    actions.respond(ticket, people.grid, T0, "已收到，明天上门查看。")
    assert ticket.state == State.SUBMITTED and ticket.first_response_at == T0
    actions.accept(ticket, people.grid, T0 + H)
    actions.respond(ticket, people.grid, T0 + 2 * H, "师傅已联系。")
    assert ticket.state == State.IN_PROGRESS
    with pytest.raises(ValidationFailed):
        actions.respond(ticket, people.grid, T0, "   ")


def test_ask_info_is_public_and_notifies(ctx, people, areas):
    ticket = file_ticket(people, areas)
    event = actions.ask_info(ticket, people.grid, T0, "请问是几单元？")
    db.session.commit()
    assert event.public and event.action == "ask_info"
    assert Notification.query.filter_by(user_id=people.resident.id).count() == 1


def test_resolve_results_and_explanations(ctx, people, areas):
    ticket = file_ticket(people, areas)
    with pytest.raises(InvalidTransition):
        actions.resolve(ticket, people.grid, T0, "solved", "已办好。")  # not accepted yet
    actions.accept(ticket, people.grid, T0)
    with pytest.raises(ValidationFailed):
        actions.resolve(ticket, people.grid, T0, "partly", "")  # must explain
    with pytest.raises(ValidationFailed):
        actions.resolve(ticket, people.grid, T0, "great", "")
    actions.resolve(ticket, people.grid, T0 + H, "partly", "灯已换，线路需物业改造。")
    assert ticket.state == State.RESOLVED and ticket.result == "partly"
    assert ticket.resolved_at == T0 + H


def test_consult_answered_on_the_spot(ctx, people, areas):
    ticket = file_ticket(people, areas, kind="consult", category="GOV")
    actions.resolve(ticket, people.grid, T0, "solved", "带身份证和租房合同到社区办理。")
    assert ticket.state == State.RESOLVED and ticket.accepted_at == T0


def test_escalation_chain_to_county_and_level(ctx, people, areas):
    ticket = file_ticket(people, areas)
    actions.accept(ticket, people.grid, T0)
    routing.escalate(ticket, people.grid, T0, "需要社区协调物业")
    assert (ticket.state, ticket.tier, ticket.handling_unit_id, ticket.level) == (
        State.ESCALATED, "community", areas.S1C1.id, 1)
    assert ticket.accepted_at is None and ticket.assignee is None
    routing.escalate(ticket, people.community, T0, "需要街道协调")
    assert (ticket.tier, ticket.level, ticket.handling_unit_id) == ("street", 2, areas.S1.id)
    actions.accept(ticket, people.street, T0)
    routing.escalate(ticket, people.street, T0, "需要区级部门")
    assert (ticket.tier, ticket.level, ticket.handling_unit_id) == ("county", 3, areas.C.id)
    with pytest.raises(InvalidTransition):
        routing.escalate(ticket, people.county, T0, "再往上")
    assert ticket.tier == "county"


def test_escalate_straight_to_a_named_tier(ctx, people, areas):
    ticket = file_ticket(people, areas)
    routing.escalate(ticket, people.grid, T0, "涉及多个社区", to_tier="street")
    assert ticket.handling_unit_id == areas.S1.id and ticket.level == 2
    with pytest.raises(ValidationFailed):
        routing.escalate(ticket, people.street, T0, "往下", to_tier="grid")
    with pytest.raises(ValidationFailed):
        routing.escalate(ticket, people.street, T0, "")  # a reason is required


def test_return_within_the_window_then_reroute(ctx, people, areas):
    ticket = file_ticket(people, areas)
    routing.return_ticket(ticket, people.grid, T0 + H, "地址在第二网格")
    assert ticket.state == State.RETURNED and ticket.handling_unit_id == areas.S1C1.id
    with pytest.raises(ValidationFailed):
        routing.reroute(ticket, people.community, T0, areas.S2C1G1.id)  # not below the community
    routing.reroute(ticket, people.community, T0 + 2 * H, areas.S1C1G2.id)
    assert ticket.state == State.SUBMITTED
    assert ticket.handling_unit_id == ticket.grid_id == areas.S1C1G2.id


def test_return_refused_after_the_window_or_after_acceptance(ctx, people, areas):
    ticket = file_ticket(people, areas)
    with pytest.raises(NotAllowed):
        routing.return_ticket(ticket, people.grid, T0 + 3 * H, "不是我们的")
    actions.accept(ticket, people.grid, T0)
    with pytest.raises(InvalidTransition):
        routing.return_ticket(ticket, people.grid, T0, "不是我们的")


def test_reassign_inside_the_unit_only(ctx, people, areas):
    from community.auth.models import Role, User
    from tests.factories import hashed_password

    colleague = User(username="grid-b", role=Role.GRID, unit=areas.S1C1G1,
                     password_hash=hashed_password(), created_at=T0)
    db.session.add(colleague)
    ticket = file_ticket(people, areas)
    actions.accept(ticket, people.grid, T0)
    with pytest.raises(ValidationFailed):
        actions.reassign(ticket, people.grid, T0, people.grid2.id)
    event = actions.reassign(ticket, people.grid, T0, colleague.id)
    assert ticket.assignee == colleague and not event.public


def test_merge_into_an_open_request(ctx, people, areas):
    first = file_ticket(people, areas)
    duplicate = file_ticket(people, areas, resident=people.resident2)
    with pytest.raises(ValidationFailed):
        routing.merge(duplicate, people.grid, T0, duplicate.tracking_code)
    routing.merge(duplicate, people.grid, T0, first.tracking_code.lower())
    assert duplicate.state == State.MERGED and duplicate.merged_into == first
    with pytest.raises(InvalidTransition):
        routing.merge(duplicate, people.grid, T0, first.tracking_code)


def test_extension_requested_and_approved_by_the_tier_above(ctx, people, areas):
    ticket = file_ticket(people, areas)
    with pytest.raises(InvalidTransition):
        extensions.request_extension(ticket, people.grid, T0, 3, "等配件")
    actions.accept(ticket, people.grid, T0)
    due = ticket.resolve_due_at
    with pytest.raises(ValidationFailed):
        extensions.request_extension(ticket, people.grid, T0, 99, "等配件")
    extensions.request_extension(ticket, people.grid, T0, 3, "等配件")
    with pytest.raises(NotAllowed):
        extensions.decide_extension(ticket, people.grid, T0, True)  # not the supervisor
    with pytest.raises(NotAllowed):
        extensions.decide_extension(ticket, people.community2, T0, True)  # neighbour community
    event = extensions.decide_extension(ticket, people.community, T0, True)
    assert event.public and "等配件" in event.note
    assert ticket.resolve_due_at > due and ticket.extension_count == 1
    with pytest.raises(NotAllowed):
        extensions.request_extension(ticket, people.grid, T0, 2, "还要等")  # once by default


def test_rejected_extension_needs_a_reason(ctx, people, areas):
    ticket = file_ticket(people, areas)
    actions.accept(ticket, people.grid, T0)
    extensions.request_extension(ticket, people.grid, T0, 3, "等配件")
    with pytest.raises(ValidationFailed):
        extensions.decide_extension(ticket, people.community, T0, False, "")
    extensions.decide_extension(ticket, people.community, T0, False, "配件当天可到")
    assert ticket.extension_count == 0


def test_reopen_by_the_resident_within_the_window(ctx, people, areas):
    ticket = file_ticket(people, areas)
    actions.accept(ticket, people.grid, T0)
    actions.resolve(ticket, people.grid, T0, "solved", "已办好。")
    with pytest.raises(NotAllowed):
        actions.reopen(ticket, people.resident, T0 + timedelta(days=8), "灯又坏了")
    actions.reopen(ticket, people.resident, T0 + timedelta(days=2), "灯又坏了")
    assert ticket.state == State.REOPENED and ticket.reopen_count == 1
    assert ticket.result is None and ticket.resolve_due_at > T0
    with pytest.raises(InvalidTransition):
        actions.reopen(ticket, people.resident, T0, "again")


def test_reopen_by_staff_is_for_street_or_county(ctx, people, areas):
    ticket = file_ticket(people, areas)
    actions.accept(ticket, people.grid, T0)
    actions.resolve(ticket, people.grid, T0, "solved", "已办好。")
    with pytest.raises(NotAllowed):
        actions.reopen(ticket, people.grid, T0, "自己重办")
    with pytest.raises(NotAllowed):
        actions.reopen(ticket, people.street2, T0, "邻街")
    actions.reopen(ticket, people.street, T0 + timedelta(days=30), "差评复核后重办")
    assert ticket.state == State.REOPENED


def test_department_duty_never_ends_with_the_community(ctx, people, areas):
    from community.tickets.models import Category

    category = Category.query.filter_by(code="ENV").one()
    category.default_tier = "grid"  # say the grid worker looks first
    db.session.commit()
    ticket = file_ticket(people, areas, category="ENV")
    actions.accept(ticket, people.grid, T0)
    with pytest.raises(NotAllowed):
        actions.resolve(ticket, people.grid, T0, "solved", "已办好。")
    routing.escalate(ticket, people.grid, T0, "城管职责")
    actions.accept(ticket, people.community, T0)
    with pytest.raises(NotAllowed):
        actions.resolve(ticket, people.community, T0, "solved", "已办好。")
    routing.escalate(ticket, people.community, T0, "城管职责")
    actions.accept(ticket, people.street, T0)
    actions.resolve(ticket, people.street, T0, "solved", "已办好。")
    assert ticket.state == State.RESOLVED


def test_summon_departments_from_street_and_county(ctx, people, areas):
    ticket = file_ticket(people, areas)
    with pytest.raises(NotAllowed):
        assist.summon(ticket, people.grid, T0, [areas.D1.id], "需要城管")  # grid tier
    routing.escalate(ticket, people.grid, T0, "需要街道", to_tier="street")
    actions.accept(ticket, people.street, T0)
    with pytest.raises(ValidationFailed):
        assist.summon(ticket, people.street, T0, [areas.S1C1.id], "不是部门")
    tasks = assist.summon(ticket, people.street, T0, [areas.D1.id, areas.D2.id], "占道经营")
    assert {t.department_id for t in tasks} == {areas.D1.id, areas.D2.id}
    assert all(t.due_at > T0 and t.state == AssistState.OPEN for t in tasks)
    with pytest.raises(ValidationFailed):
        assist.summon(ticket, people.street, T0, [areas.D1.id], "再叫一次")
    with pytest.raises(NotAllowed):
        assist.report_in(people.dept2, tasks[0].id if tasks[0].department_id == areas.D1.id
                         else tasks[1].id, T0)
    own = next(t for t in tasks if t.department_id == areas.D1.id)
    assist.report_in(people.dept, own.id, T0 + H)
    assist.finish_assist(people.dept, own.id, T0 + 2 * H, "已清理占道摊点")
    assert own.state == AssistState.DONE and own.done_at == T0 + 2 * H


def test_county_request_can_still_summon(ctx, people, areas):
    ticket = file_ticket(people, areas)
    routing.escalate(ticket, people.grid, T0, "区级", to_tier="county")
    actions.accept(ticket, people.county, T0)
    assert assist.summon(ticket, people.county, T0, [areas.D1.id], "区级协调")


def test_contact_is_masked_and_each_reveal_logged(ctx, people, areas):
    ticket = file_ticket(people, areas)
    assert contact.masked_contact(ticket) == "138****0001"
    with pytest.raises(NotAllowed):
        contact.reveal_contact(ticket, people.community, T0)
    assert contact.reveal_contact(ticket, people.grid, T0) == "13800000001"
    db.session.commit()
    assert ContactReveal.query.filter_by(user_id=people.grid.id).count() == 1


def test_resident_is_notified_of_each_public_step(ctx, people, areas):
    ticket = file_ticket(people, areas)
    actions.accept(ticket, people.grid, T0)
    routing.escalate(ticket, people.grid, T0, "需要社区")
    actions.accept(ticket, people.community, T0)
    actions.resolve(ticket, people.community, T0, "solved", "已办好。")
    db.session.commit()
    texts = [n.text for n in Notification.query.order_by(Notification.id)]
    assert len(texts) == 4 and all(ticket.tracking_code in t for t in texts)


def test_delivery_sends_pending_messages_once(ctx, people, areas, caplog):
    from community.workqueue.notifications import deliver_pending

    ticket = file_ticket(people, areas)
    actions.accept(ticket, people.grid, T0)
    db.session.commit()
    with caplog.at_level("INFO", logger="community.messaging"):
        assert deliver_pending(T0) == 1
        db.session.commit()
        assert deliver_pending(T0) == 0
    assert sum("13800000001" in r.getMessage() for r in caplog.records) == 1
