"""The sweep's other clocks (community.sla.side): 差评 rectification cases and
吹哨报到 assist tasks — warnings at 75 %, breaches on working-day deadlines,
catch-up, idempotence, who is told."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from community.core.extensions import db
from community.ratings import cases, services
from community.ratings.models import RectificationCase
from community.sla import side
from community.sla.sweep import sweep, sweep_locked
from community.tickets.models import TicketEvent
from community.workqueue import actions, assist, routing
from community.workqueue.models import AssistTask, Notification
from tests.factories import H, T0, file_ticket, resolved_ticket
from workers import jobs

UTC = timezone.utc
# Wednesday 30 September 2026, 10:00 in Shanghai: National Day (1–7 October) follows,
# and Saturday 10 October is a 调休 working day.
EVE = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)
START_DUE = datetime(2026, 10, 8, 16, 0, tzinfo=UTC)    # end of Thu 8 Oct, the 1st working day
CLOSE_DUE = datetime(2026, 10, 13, 16, 0, tzinfo=UTC)   # end of Tue 13 Oct: 8, 9, 10, 12, 13
START_WARN = EVE + (START_DUE - EVE) * 0.75             # Tue 6 Oct 12:30 UTC
CLOSE_WARN = EVE + (CLOSE_DUE - EVE) * 0.75             # Sat 10 Oct 06:30 UTC


def bad_case(people, areas, at=EVE - 3 * H) -> RectificationCase:
    """A resolved request rated 差评 at EVE: the case opens then."""
    ticket = resolved_ticket(people, areas, at=at)
    case = services.rate(ticket, people.resident, EVE, "no", "dissatisfied", "没解决", reasons=["not_solved"]).case
    db.session.commit()
    return case


def events(ticket, *names):
    query = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
    if names:
        query = query.where(TicketEvent.action.in_(names))
    return list(db.session.scalars(query.order_by(TicketEvent.at, TicketEvent.id)))


def told(word):
    """Who received staff messages containing `word`, by username."""
    from community.auth.models import User

    return sorted(db.session.scalars(select(User.username).join(
        Notification, Notification.user_id == User.id).where(Notification.text.contains(word))))


def test_case_deadlines_are_working_days_across_the_holiday(people, areas):
    case = bad_case(people, areas)
    assert (case.start_due_at, case.close_due_at) == (START_DUE, CLOSE_DUE)
    assert case.check_at == START_WARN and case.sla_flags == 0


def test_case_warning_at_75_percent_then_breach_to_the_street(people, areas):
    case = bad_case(people, areas)
    ticket = case.ticket
    assert dict(sweep(START_WARN - timedelta(minutes=1))) == {}
    counts = sweep(START_WARN)
    assert counts["case_start_warning"] == 1 and counts["cases"] == 1
    db.session.refresh(case)
    assert case.sla_flags == side.START_WARNED and case.check_at == START_DUE
    assert told("整改") == ["community"]  # the community office does the callback
    assert events(ticket, "case_overdue") == []  # a warning is a message, not an event

    counts = sweep(START_DUE)
    db.session.refresh(case)
    assert counts["case_start_breach"] == 1
    breach = events(ticket, "case_overdue")
    assert [(e.at, e.note_params, e.public, e.actor_id) for e in breach] == [(START_DUE, '{"clock": "start"}', False, None)]
    # Escalated to the street head: the street's staff, not the other street's, not the grid.
    assert told("整改") == ["community", "street"]
    assert case.check_at == CLOSE_WARN  # the close clock still runs


def test_callback_stops_the_start_clock_and_closing_in_time_flags_nothing(people, areas):
    case = bad_case(people, areas)
    cases.record_callback(case, people.community, EVE + 2 * H, True, "已回访")
    db.session.commit()
    assert case.check_at == CLOSE_WARN  # the start clock is settled
    cases.explain(case, people.community, EVE + 3 * H, "已说明")
    cases.close_case(case, people.street, EVE + 4 * H, "同意")
    db.session.commit()
    assert case.check_at is None
    assert dict(sweep(CLOSE_DUE + timedelta(days=30))).get("cases") is None
    db.session.refresh(case)
    assert case.sla_flags == 0 and events(case.ticket, "case_overdue") == []
    assert told("整改") == []


def test_late_callback_before_any_sweep_is_still_a_breach(people, areas):
    case = bad_case(people, areas)
    late = START_DUE + 2 * H  # nobody swept during the holiday
    cases.record_callback(case, people.community, late, True, "节后回访")
    db.session.commit()
    assert case.check_at == START_WARN  # the start clock ran past its marks
    counts = sweep(late + H)
    db.session.refresh(case)
    assert counts["case_start_warning"] == 1 and counts["case_start_breach"] == 1
    assert case.sla_flags == side.START_WARNED | side.START_BREACHED
    assert case.check_at == CLOSE_WARN
    # The callback is done: no late warning, but the breach goes to the street.
    assert told("整改") == ["street"]


def _case_state(case):
    db.session.refresh(case)
    row = (case.state, case.sla_flags, case.check_at, case.callback_at, case.closed_at)
    return row, [(e.action, e.at, e.note, e.public, e.unit_id) for e in events(case.ticket)]


def test_one_catch_up_sweep_equals_sweeping_every_17_minutes(people, areas):
    # Called back late (between sweeps), explained, never closed by the street.
    called = START_DUE + 5 * H
    end = CLOSE_DUE + timedelta(days=1)

    often = bad_case(people, areas)
    at = EVE
    while at <= end:
        if at <= called < at + timedelta(minutes=17):
            sweep(at)
            cases.record_callback(often, people.community, called, True, "节后回访")
            cases.explain(often, people.community, called, "已说明")
            db.session.commit()
        else:
            sweep(at)
        at += timedelta(minutes=17)
    sweep(end)
    once = bad_case(people, areas)  # three days and more of downtime, then one sweep
    cases.record_callback(once, people.community, called, True, "节后回访")
    cases.explain(once, people.community, called, "已说明")
    db.session.commit()
    sweep(end)
    assert _case_state(often) == _case_state(once)
    assert once.sla_flags == side.START_WARNED | side.START_BREACHED | side.CLOSE_WARNED \
        | side.CLOSE_BREACHED and once.check_at is None
    assert [e.note_params for e in events(once.ticket, "case_overdue")] == ['{"clock": "start"}', '{"clock": "close"}']
    # The catch-up told the street once per breach… of the latest one only.
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.ticket_id == once.ticket_id, Notification.text.contains("整改"))) == 1


def test_second_sweep_at_the_same_now_changes_nothing(people, areas):
    case = bad_case(people, areas)
    now = CLOSE_DUE + H
    first = sweep(now)
    assert first["case_close_breach"] == 1 and first["case_start_breach"] == 1
    before = (_case_state(case), db.session.scalar(select(func.count()).select_from(Notification)))
    assert dict(sweep(now)) == {}
    assert (_case_state(case), db.session.scalar(select(func.count()).select_from(Notification))) \
        == before


def summoned(people, areas, at=T0):
    """A request at the street, D1 summoned at `at` (3 working days: due end of Thursday)."""
    ticket = file_ticket(people, areas, now=at)
    routing.escalate(ticket, people.grid, at, "需要街道", to_tier="street")
    actions.accept(ticket, people.street, at)
    task, = assist.summon(ticket, people.street, at, [areas.D1.id], "占道经营")
    db.session.commit()
    return task


TASK_DUE = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)  # end of Thu 26 Nov in Shanghai
TASK_WARN = T0 + (TASK_DUE - T0) * 0.75


def test_assist_task_warning_then_breach_reaches_department_and_summoner(people, areas):
    task = summoned(people, areas)
    assert (task.due_at, task.check_at) == (TASK_DUE, TASK_WARN)
    counts = sweep(TASK_WARN)
    assert counts["assist_warning"] == 1
    assert told("协办") == ["dept"]  # D1 only, not D2
    counts = sweep(TASK_DUE)
    db.session.refresh(task)
    assert counts["assist_breach"] == 1 and task.check_at is None
    assert task.sla_flags == side.ASSIST_WARNED | side.ASSIST_BREACHED
    assert told("协办") == ["dept", "dept", "street"]  # and the street that summoned it
    overdue = events(task.ticket, "assist_overdue")
    assert [(e.at, e.note, e.public) for e in overdue] == [(TASK_DUE, "城管局", False)]
    assert dict(sweep(TASK_DUE)).get("assist_tasks") is None


def test_reporting_in_keeps_the_clock_done_stops_it(people, areas):
    task = summoned(people, areas)
    assist.report_in(people.dept, task.id, T0 + H)
    db.session.commit()
    assert task.check_at == TASK_WARN  # 报到 is not the end of the task
    assist.finish_assist(people.dept, task.id, T0 + 2 * H, "已清理")
    db.session.commit()
    assert task.check_at is None
    sweep(TASK_DUE + timedelta(days=3))
    db.session.refresh(task)
    assert task.sla_flags == 0 and told("协办") == [] and events(task.ticket, "assist_overdue") == []


def test_cancelled_task_is_not_watched(people, areas):
    task = summoned(people, areas)
    task.state = "cancelled"
    db.session.commit()
    assert task.check_at is None


def test_the_cli_lock_and_the_periodic_job_sweep_them_too(app, people, areas):
    bad_case(people, areas)
    summoned(people, areas)
    jobs.use_app(app)
    counts = jobs.sla_sweep_job(CLOSE_DUE.isoformat())  # the workers' periodic job
    assert counts["case_start_breach"] == 1 and counts["case_close_breach"] == 1
    assert "assist_warning" not in counts
    assert sweep_locked(TASK_DUE)["assist_breach"] == 1  # `flask sla sweep`
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(AssistTask)
                             .where(AssistTask.check_at.is_not(None))) == 0


def test_a_breach_leaves_the_request_row_alone(people, areas):
    case = bad_case(people, areas)
    ticket = case.ticket
    sweep(START_DUE - timedelta(minutes=1))  # the request closes after its window meanwhile
    db.session.refresh(ticket)
    before = (ticket.version, ticket.updated_at)
    sweep(START_DUE)
    db.session.refresh(ticket)
    # An internal note, not a step: a handler's form opened before it still saves.
    assert (ticket.version, ticket.updated_at) == before and events(ticket, "case_overdue")


def test_case_pages_show_time_left_and_late_steps(client, people, areas, frozen):
    from tests.factories import login

    frozen.move_to(EVE)
    late = bad_case(people, areas)
    cases.record_callback(late, people.community, START_DUE + H, True, "节后回访")
    db.session.commit()
    frozen.move_to(CLOSE_DUE + H)  # the pages are read after the close clock ran out
    login(client, "street")
    page = client.get("/ratings/cases").get_data(as_text=True)
    assert "回访超时" in page and "已超时" in page  # the close clock is past due
    assert "回访超时" in client.get(f"/ratings/cases/{late.id}").get_data(as_text=True)


def test_a_request_that_ends_cancels_its_open_summons(people, areas):
    task = summoned(people, areas)
    other = file_ticket(people, areas, now=T0)
    routing.merge(task.ticket, people.street, T0 + H, other.tracking_code)  # a duplicate
    db.session.commit()
    db.session.refresh(task)
    assert (task.ticket.state, task.state, task.check_at) == ("merged", "cancelled", None)
    sweep(TASK_DUE + timedelta(days=3))
    assert told("协办") == [] and events(task.ticket, "assist_overdue") == []


@pytest.mark.parametrize("fast", [True, False])
def test_the_sweep_closing_a_resolved_request_cancels_its_open_summons(people, areas, fast):
    task = summoned(people, areas)
    actions.resolve(task.ticket, people.street, T0 + H, "solved", "已办好。")
    db.session.commit()
    sweep(T0 + timedelta(days=8), fast=fast)  # the reopen window is over: closed
    db.session.refresh(task)
    assert task.ticket.state == "closed"
    assert (task.state, task.check_at) == ("cancelled", None)
