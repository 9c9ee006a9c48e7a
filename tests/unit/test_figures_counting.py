"""Issue 19, "Late is late" and "Every unit is measured": the counting facts behind the
figures (DOMAIN.md "Clocks" Counting, "Figures"), each checked on the rollup's counts."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from community.core.extensions import db
from community.ratings import appeals, services
from community.ratings.models import Resolution
from community.sla.sweep import sweep
from community.stats.models import COUNTS, StatDaily, StatWorkerDaily
from community.stats.rollup import local_day, rebuild_day
from community.tickets.models import Category
from community.workqueue import actions, assist, extensions, routing

from ..factories import T0, file_ticket

H = timedelta(hours=1)
LATER = T0 + timedelta(days=60)  # every clock of these requests has ended by then


def counts(unit, day, now=LATER):
    rebuild_day(day, now)
    row = db.session.scalar(select(StatDaily).where(StatDaily.unit_id == unit.id, StatDaily.day == day))
    return row.counts() if row is not None else dict.fromkeys(COUNTS, 0)


def resolution(ticket):
    return db.session.scalar(select(Resolution).where(Resolution.ticket_id == ticket.id))


# --- Late is late --------------------------------------------------------------------

def test_escalated_for_lateness_then_resolved_is_late(ctx, people, areas):
    ticket = file_ticket(people, areas)
    actions.accept(ticket, people.grid, T0 + H)
    due = ticket.resolve_due_at
    db.session.commit()
    sweep(due + H)  # the breach escalates to the community, which gets a fresh deadline
    db.session.refresh(ticket)
    assert ticket.state == "escalated" and ticket.resolve_breached_at == due
    actions.accept(ticket, people.community, due + 2 * H)
    actions.resolve(ticket, people.community, due + 3 * H, "solved", "已办好。")
    db.session.commit()
    assert ticket.resolve_due_at > due + 3 * H  # on time against the new deadline …
    assert resolution(ticket).in_time is False  # … but the first one was breached
    assert ticket.resolve_breached_at is None  # the round ended with its 办结
    assert counts(areas.S1, local_day(due + 3 * H))["resolved_in_time"] == 0


def test_an_escalation_after_the_deadline_before_any_sweep_is_late_too(ctx, people, areas):
    ticket = file_ticket(people, areas)
    actions.accept(ticket, people.grid, T0 + H)
    due = ticket.resolve_due_at
    routing.escalate(ticket, people.grid, due + H, "办不了")
    actions.accept(ticket, people.community, due + 2 * H)
    actions.resolve(ticket, people.community, due + 3 * H, "solved", "已办好。")
    db.session.commit()
    assert resolution(ticket).in_time is False


def test_an_escalation_before_the_deadline_leaves_it_on_time(ctx, people, areas):
    ticket = file_ticket(people, areas)
    actions.accept(ticket, people.grid, T0 + H)
    routing.escalate(ticket, people.grid, T0 + 2 * H, "需要社区")
    actions.accept(ticket, people.community, T0 + 3 * H)
    actions.resolve(ticket, people.community, T0 + 4 * H, "solved", "已办好。")
    db.session.commit()
    assert resolution(ticket).in_time is True


def test_an_extension_counts_only_when_approved_before_the_deadline(ctx, people, areas):
    on_time, late = file_ticket(people, areas), file_ticket(people, areas)
    for ticket in (on_time, late):
        actions.accept(ticket, people.grid, T0 + H)
        extensions.request_extension(ticket, people.grid, T0 + 2 * H, 3, "等材料")
    due = on_time.resolve_due_at
    extensions.decide_extension(on_time, people.community, due - H, True)
    extensions.decide_extension(late, people.community, due + H, True)
    for ticket in (on_time, late):
        actions.resolve(ticket, people.grid, due + 2 * H, "solved", "已办好。")
    db.session.commit()
    assert resolution(on_time).in_time is True
    assert resolution(late).in_time is False


def test_reopening_starts_a_new_round(ctx, people, areas):
    ticket = file_ticket(people, areas)
    actions.accept(ticket, people.grid, T0 + H)
    due = ticket.resolve_due_at
    routing.escalate(ticket, people.grid, due + H, "办不了")
    actions.accept(ticket, people.community, due + 2 * H)
    actions.resolve(ticket, people.community, due + 3 * H, "solved", "已办好。")
    actions.reopen(ticket, people.resident, due + 4 * H, "没修好")
    actions.resolve(ticket, people.community, due + 5 * H, "solved", "已办好。")
    db.session.commit()
    first, second = db.session.scalars(select(Resolution).order_by(Resolution.resolved_at)).all()
    assert (first.in_time, second.in_time) == (False, True)


# --- Acceptance per stay ------------------------------------------------------------

def test_a_later_escalation_keeps_an_earlier_on_time_acceptance(ctx, people, areas):
    ticket = file_ticket(people, areas)
    actions.accept(ticket, people.grid, T0 + H)  # the grid: in time
    routing.escalate(ticket, people.grid, T0 + 2 * H, "需要社区")
    actions.accept(ticket, people.community, T0 + 40 * H)  # the community: 24 h clock missed
    db.session.commit()
    day1, day2 = local_day(T0 + H), local_day(T0 + 26 * H)
    street = {k: counts(areas.S1, d)[k] for d in (day1, day2) for k in ("arrived", "accepted_in_time")
              if d == day1}
    assert street == {"arrived": 1, "accepted_in_time": 1}  # the grid's stay, on its day
    missed = counts(areas.S1, day2)
    assert (missed["arrived"], missed["accepted_in_time"]) == (1, 0)  # at the deadline's day


def test_a_stay_passed_on_before_its_deadline_owes_nothing(ctx, people, areas):
    ticket = file_ticket(people, areas)
    routing.escalate(ticket, people.grid, T0 + H, "需要社区")  # not taken on, not late
    actions.accept(ticket, people.community, T0 + 2 * H)
    db.session.commit()
    c = counts(areas.S1, local_day(T0))
    assert (c["arrived"], c["accepted_in_time"]) == (1, 1)


# --- 响应率 at the end of a period ----------------------------------------------------

def test_a_response_clock_still_running_is_not_yet_due(ctx, people, areas):
    late_evening = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)  # 23:00 in Shanghai
    ticket = file_ticket(people, areas, now=late_evening)
    db.session.commit()
    filed_day, next_day = local_day(late_evening), local_day(late_evening + 2 * H)
    midnight = late_evening + 90 * timedelta(minutes=1)  # the filing day is over, the clock runs
    assert counts(areas.S1, filed_day, now=midnight)["response_due"] == 0
    actions.respond(ticket, people.grid, late_evening + 10 * H, "马上安排")
    db.session.commit()
    assert counts(areas.S1, filed_day)["response_due"] == 0
    c = counts(areas.S1, next_day)
    assert (c["response_due"], c["responded_in_time"]) == (1, 1)  # where the clock ended


def test_a_missed_response_counts_on_its_deadline(ctx, people, areas):
    ticket = file_ticket(people, areas)
    db.session.commit()
    due = ticket.response_due_at
    assert counts(areas.S1, local_day(due), now=due - H)["response_due"] == 0
    c = counts(areas.S1, local_day(due), now=due + H)
    assert (c["response_due"], c["responded_in_time"]) == (1, 0)


# --- The level after 退单 -----------------------------------------------------------

def test_a_request_returned_to_the_street_and_rerouted_stays_first_level(ctx, people, areas):
    ticket = file_ticket(people, areas)
    routing.escalate(ticket, people.grid, T0 + H, "需要社区")
    routing.return_ticket(ticket, people.community, T0 + 2 * H, "不属于本社区")
    assert ticket.handling_unit_id == areas.S1.id and ticket.level == 1  # only re-routing
    routing.reroute(ticket, people.street, T0 + 3 * H, areas.S1C2.id)
    db.session.commit()
    assert ticket.level == 1


def test_a_dispatcher_that_takes_a_returned_request_on_raises_its_level(ctx, people, areas):
    ticket = file_ticket(people, areas)
    routing.escalate(ticket, people.grid, T0 + H, "需要社区")
    routing.return_ticket(ticket, people.community, T0 + 2 * H, "需要街道协调")
    actions.accept(ticket, people.street, T0 + 3 * H)
    db.session.commit()
    assert ticket.level == 2


# --- Departments, assist tasks, workers --------------------------------------------

def _department_request(people, areas, at=T0):
    env = db.session.scalar(select(Category).where(Category.code == "ENV"))
    env.default_tier, env.department_id = "county", areas.D1.id
    db.session.commit()
    return file_ticket(people, areas, category="ENV", now=at)


def test_a_department_is_measured_on_the_requests_it_handles(ctx, people, areas):
    ticket = _department_request(people, areas)
    assert ticket.handling_unit_id == areas.D1.id
    actions.accept(ticket, people.dept, T0 + H)
    actions.resolve(ticket, people.dept, T0 + 2 * H, "solved", "已办好。")
    services.rate(ticket, people.resident, T0 + 3 * H, "yes", "satisfied")
    db.session.commit()
    c = counts(areas.D1, local_day(T0))
    assert (c["filed"], c["response_due"], c["responded_in_time"], c["arrived"], c["accepted_in_time"],
            c["resolved"], c["resolved_in_time"], c["satisfied"]) == (1, 1, 1, 1, 1, 1, 1, 1)


def test_assist_tasks_count_on_the_departments_figures(ctx, people, areas):
    ticket = file_ticket(people, areas)
    routing.escalate(ticket, people.grid, T0, "需要街道", to_tier="street")
    actions.accept(ticket, people.street, T0 + H)
    first, second = sorted(assist.summon(ticket, people.street, T0 + 2 * H,
                                         [areas.D1.id, areas.D2.id], "占道"),
                           key=lambda t: t.department_id)
    assert first.unit_id == areas.S1.id and first.report_due_at == T0 + 26 * H
    assist.report_in(people.dept, first.id, T0 + 3 * H)  # in time
    assist.finish_assist(people.dept, first.id, T0 + 4 * H, "已清理")
    assist.finish_assist(people.dept2, second.id, T0 + 30 * H, "已处理")  # 报到 late, done in time
    db.session.commit()
    assert not assist.can_score(people.dept, first)  # the rated never rate themselves
    assert not assist.can_score(people.community, first)
    assert assist.can_score(people.street, first)
    assist.score_assist(people.street, first.id, T0 + 5 * H, 4, "配合及时")
    db.session.commit()
    d1 = counts(areas.D1, local_day(T0))
    assert (d1["assist_report_due"], d1["assist_reported_in_time"], d1["assist_finish_due"],
            d1["assist_finished_in_time"], d1["assist_scored"], d1["assist_score_total"]) == (1, 1, 1, 1, 1, 4)
    d2 = counts(areas.D2, local_day(T0 + 26 * H))  # its missed 报到, on the deadline's day
    assert (d2["assist_report_due"], d2["assist_reported_in_time"]) == (1, 0)


def test_a_worker_has_figures_with_appealed_and_excluded_ratings(ctx, people, areas):
    done = []
    for n in range(3):
        ticket = file_ticket(people, areas, now=T0 + n * H)
        actions.accept(ticket, people.grid, T0 + n * H + H)
        actions.resolve(ticket, people.grid, T0 + n * H + 2 * H, "solved", "已办好。")
        done.append(ticket)
    services.rate(done[0], people.resident, T0 + 5 * H, "yes", "very_satisfied")
    bad = services.rate(done[1], people.resident, T0 + 5 * H, "no", "very_dissatisfied", reasons=["not_solved"])
    other = services.rate(done[2], people.resident, T0 + 5 * H, "no", "dissatisfied", reasons=["not_solved"])
    appeals.decide_appeal(appeals.file_appeal(bad, people.grid, T0 + 6 * H, "与本诉求无关"),
                          people.street, T0 + 7 * H, True)
    appeals.decide_appeal(appeals.file_appeal(other, people.grid, T0 + 6 * H, "恶意差评"),
                          people.street, T0 + 7 * H, False)
    db.session.commit()
    rebuild_day(local_day(T0), LATER)
    row = db.session.scalar(select(StatWorkerDaily).where(StatWorkerDaily.user_id == people.grid.id))
    assert row.unit_id == areas.S1C1G1.id
    assert (row.resolved, row.resolved_in_time, row.response_due, row.responded_in_time,
            row.rated, row.appealed, row.appeals_upheld, row.very_satisfied, row.dissatisfied) == \
        (3, 3, 3, 3, 3, 2, 1, 1, 1)


def test_a_pending_appeal_shows_in_the_workers_figures_at_once(ctx, people, areas):
    from community.stats.updates import drain

    ticket = file_ticket(people, areas)
    actions.accept(ticket, people.grid, T0 + H)
    actions.resolve(ticket, people.grid, T0 + 2 * H, "solved", "已办好。")
    rating = services.rate(ticket, people.resident, T0 + 3 * H, "no", "very_dissatisfied", reasons=["not_solved"])
    db.session.commit()
    drain(T0 + 3 * H)
    db.session.commit()
    appeals.file_appeal(rating, people.grid, T0 + 4 * H, "与本诉求无关")
    db.session.commit()
    drain(T0 + 4 * H)  # the outbox job of the appeal's own transaction
    db.session.commit()
    row = db.session.scalar(select(StatWorkerDaily).where(StatWorkerDaily.user_id == people.grid.id))
    assert (row.rated, row.appealed, row.appeals_upheld) == (1, 1, 0)
