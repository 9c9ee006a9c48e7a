"""The rollup, kept current by outbox jobs, always equals a recomputation from raw rows."""
from collections import defaultdict
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from community.core.extensions import db
from community.ratings import appeals, cases, services
from community.ratings.models import BAD_LEVELS, Rating, Resolution
from community.areas.models import Unit
from community.tally.models import Arrival
from community.stats.models import COUNTS, StatCategoryDaily, StatDaily, StatWorkerDaily
from community.core.timeutil import utcnow
from community.workqueue import assist
from community.workqueue.models import AssistTask
from community.stats.rollup import local_day, rebuild_all, rebuild_day
from community.sla.sweep import sweep
from community.stats.updates import drain
from community.tickets.models import Category, Ticket, TicketEvent
from community.tickets.services import cancel
from community.workqueue import actions, routing

from .. import factories
from ..factories import T0, file_ticket

H = timedelta(hours=1)
LEVELS = ["very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied"]
FATES = ["waiting", "cancelled", "returned", "accepted", "resolved", "rated", "bad_case",
         "appealed", "reopened", "escalated_late", "department", "summoned"]

ticket_plan = st.tuples(
    st.sampled_from(["grid", "grid2", "grid3"]),      # where (and who handles it)
    st.integers(0, 3), st.integers(0, 40),          # filed: day offset, hour offset
    st.sampled_from(FATES), st.sampled_from(LEVELS), st.sampled_from(["yes", "partly", "no"]),
    st.integers(1, 200),                            # hours until resolution (some late)
    st.booleans(),                                  # case closed in time / appeal upheld / on time
)
RESPONSES = ("accept", "respond", "ask_info", "resolve")


def naive_rollup(now) -> tuple[dict, dict]:
    """An independent recomputation, straight from the raw rows, in plain Python: per
    (unit, day) and per (unit, worker, day), with the clocks ended by `now`."""
    out = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    workers = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    departments = {u.id for u in db.session.scalars(select(Unit).where(Unit.kind == "department"))}
    events = defaultdict(list)
    for e in db.session.scalars(select(TicketEvent).order_by(TicketEvent.at, TicketEvent.id)):
        events[e.ticket_id].append(e)
    stays = defaultdict(list)
    for a in db.session.scalars(select(Arrival).order_by(Arrival.arrived_at, Arrival.id)):
        stays[a.ticket_id].append(a)

    def add(t, moment, dept=None, worker=None, **values):
        if moment > now:
            return
        day = local_day(moment)
        targets = [out[(getattr(t, col), day)] for col in ("grid_id", "community_id", "street_id",
                                                           "county_id")]
        if dept in departments:
            targets.append(out[(dept, day)])
        if worker is not None and worker[1] is not None:
            targets.append(workers[(worker[0], worker[1], day)])
        for row in targets:
            for name, value in values.items():
                row[name] += int(value)

    def holder(t, moment):
        for a in stays[t.id]:
            if a.arrived_at <= moment < a.left_at:
                return a.unit_id
        return t.handling_unit_id

    for t in db.session.scalars(select(Ticket)):
        returned = any(e.action == "return" for e in events[t.id])
        add(t, t.submitted_at, filed=1, returned=returned)
        visited = {a.unit_id: False for a in stays[t.id]}
        for a in stays[t.id]:
            visited[a.unit_id] = visited[a.unit_id] or a.left_by == "return"
        visited.setdefault(t.handling_unit_id, False)
        for unit, by_it in visited.items():
            if unit in departments:
                day = local_day(t.submitted_at)
                out[(unit, day)]["filed"] += 1
                out[(unit, day)]["returned"] += int(by_it)
        # the first response: answered in time, or missed at its deadline
        due, first = t.response_due_at, t.first_response_at
        author = next((e.actor_id for e in events[t.id] if e.at == first and e.action in RESPONSES), None)
        if first is not None and first <= due:
            add(t, first, holder(t, first), (holder(t, first), author), response_due=1, responded_in_time=1)
        elif not (first is None and t.state in ("cancelled", "merged") and t.closed_at < due):
            add(t, due, holder(t, due), (holder(t, first), author) if first else None, response_due=1)
        # 签收, stay by stay
        ends = [(a.unit_id, a.due_at, a.accepted_at, a.left_at) for a in stays[t.id]]
        ends.append((t.handling_unit_id, t.accept_due_at, t.accepted_at,
                     t.closed_at if t.accepted_at is None and t.state in ("cancelled", "merged") else None))
        for unit, due, accepted, ended in ends:
            if accepted is not None and accepted <= due:
                add(t, accepted, unit, arrived=1, accepted_in_time=1)
            elif accepted is None and ended is not None and ended < due:
                continue
            else:
                add(t, due, unit, arrived=1)
    for r in db.session.scalars(select(Resolution)):
        values = {"resolved": 1, "resolved_in_time": r.in_time, "reopened": r.reopened_at is not None}
        rating = r.rating
        if rating is not None:
            values["rated"] = 1
            values["appealed"] = rating.appeal is not None
            if rating.excluded:
                values["appeals_upheld"] = 1
            else:
                values[rating.level] = 1
                values[f"solved_{rating.solved}"] = 1
                case = rating.case
                values["bad_rectified_in_time"] = bool(
                    rating.level in BAD_LEVELS and case and case.closed_in_time)
        add(r, r.resolved_at, r.unit_id, (r.unit_id, r.handler_id), **values)
    for task in db.session.scalars(select(AssistTask)):
        for due, done, name in ((task.report_due_at, task.accepted_at, "reported"),
                                (task.due_at, task.done_at, "finished")):
            key = {"reported": ("assist_report_due", "assist_reported_in_time"),
                   "finished": ("assist_finish_due", "assist_finished_in_time")}[name]
            if done is not None and done <= due:
                moment, hit = done, 1
            elif done is None and task.state == "cancelled":
                continue
            else:
                moment, hit = due, 0
            if moment <= now:
                row = out[(task.department_id, local_day(moment))]
                row[key[0]] += 1
                row[key[1]] += hit
        if task.score is not None:
            row = out[(task.department_id, local_day(task.scored_at))]
            row["assist_scored"] += 1
            row["assist_score_total"] += task.score
    nonzero = lambda rows: {k: v for k, v in rows.items() if any(v.values())}  # noqa: E731
    return nonzero(out), nonzero(workers)


def stored_rollup() -> tuple[dict, dict]:
    units = {(row.unit_id, row.day): row.counts() for row in db.session.scalars(select(StatDaily))}
    workers = {(row.unit_id, row.user_id, row.day): row.counts()
               for row in db.session.scalars(select(StatWorkerDaily))}
    nonzero = lambda rows: {k: v for k, v in rows.items() if any(v.values())}  # noqa: E731
    return nonzero(units), nonzero(workers)


def play(people, areas, plan, step):
    """Drive one request to its fate; `step` runs after each change."""
    where, day, hour, fate, level, solved, hours, flag = plan
    handler = getattr(people, where)
    at = T0 + timedelta(days=day, hours=hour)
    grid = next(u for u in vars(areas).values() if u.id == handler.unit_id)
    resident = people.resident3 if where == "grid3" else people.resident
    street = people.street2 if where == "grid3" else people.street
    if fate == "department":  # routed to D1 at filing (a county-tier category with a department)
        ticket = file_ticket(people, areas, grid=grid, now=at, resident=resident, category="ENV")
        handler = people.dept
    else:
        ticket = file_ticket(people, areas, grid=grid, now=at, resident=resident)
    step()
    if fate == "waiting":
        return
    if fate == "cancelled":
        cancel(ticket, resident, at + H * (1 if flag else 30))
        return step()
    if fate == "returned":
        routing.return_ticket(ticket, handler, at + H / 2, "不属于本网格")
        step()
        if flag and where != "grid3":  # the community dispatches it back to a grid
            routing.reroute(ticket, people.community, at + H, handler.unit_id)
            return step()
        return
    if fate == "summoned":  # at the street, D1 and D2 summoned; D1 reports in and finishes
        routing.escalate(ticket, handler, at + H, "需要街道", to_tier="street")
        actions.accept(ticket, street, at + 2 * H)
        tasks = assist.summon(ticket, street, at + 3 * H, [people.dept.unit_id, people.dept2.unit_id],
                              "占道")
        step()
        assist.report_in(people.dept, tasks[0].id if tasks[0].department_id == people.dept.unit_id
                         else tasks[1].id, at + H * (4 if flag else 40))
        done = next(t for t in tasks if t.department_id == people.dept.unit_id)
        assist.finish_assist(people.dept, done.id, at + H * (5 + hours), "已清理")
        step()
        assist.score_assist(street, done.id, at + H * (6 + hours), 1 + hours % 5)
        return step()
    actions.accept(ticket, handler, at + H * (1 if flag else 30))
    step()
    if fate == "accepted":
        return
    if fate == "escalated_late":  # the resolution deadline passes, then an escalation
        routing.escalate(ticket, handler, at + H * (30 + hours), "办不了", to_tier="street")
        step()
        handler = street
        actions.accept(ticket, handler, at + H * (31 + hours))
    done = at + H * (30 + hours + (2 if fate == "escalated_late" else 0))
    actions.resolve(ticket, handler, done, "solved", "已办好。")
    step()
    if fate == "resolved":
        return
    rating = services.rate(ticket, resident, done + H, solved, level, reasons=["too_slow"])
    step()
    if fate == "bad_case" and rating.case is not None:
        cases.record_callback(rating.case, handler, done + 2 * H, True, "回访")
        cases.explain(rating.case, handler, done + 3 * H, "说明")
        cases.close_case(rating.case, street, done + (H if flag else timedelta(days=20)))
        step()
    elif fate == "appealed":
        appeal = appeals.file_appeal(rating, handler, done + 2 * H, "与本诉求无关")
        appeals.decide_appeal(appeal, street, done + 3 * H, flag)
        step()
    elif fate == "reopened":
        actions.reopen(ticket, resident, done + 2 * H, "没修好")
        step()
        actions.accept(ticket, handler, done + 3 * H) if ticket.state == "submitted" else None
        actions.resolve(ticket, handler, done + 4 * H, "solved", "已办好。")
        step()
        services.rate(ticket, resident, done + 5 * H, "yes", "satisfied")
        step()


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(ticket_plan, min_size=1, max_size=5))
def test_incremental_rollup_equals_recomputation(app, plans):
    factories.reset_database()
    areas = factories.make_areas()
    people = factories.make_people(areas)
    _department_category(areas)

    def step():
        db.session.flush()  # one transaction per request: commits are slow on a busy disk

    for plan in plans:
        play(people, areas, plan, step)
        db.session.commit()
        drain(T0)  # the jobs of this request's changes, some days already done before
        db.session.commit()
    # The sweep records what time alone ended (a deadline passed unmet), as the workers do.
    sweep(utcnow())
    db.session.commit()
    drain(T0)
    db.session.commit()
    now = utcnow()
    incremental = stored_rollup()
    expected = naive_rollup(now)
    assert incremental == expected
    rebuild_all(now)
    db.session.commit()
    assert stored_rollup() == expected
    db.session.remove()


def _department_category(areas):
    env = db.session.scalar(select(Category).where(Category.code == "ENV"))
    env.default_tier, env.department_id = "county", areas.D1.id
    db.session.commit()


def test_rebuilding_a_day_twice_changes_nothing(ctx, people, areas):
    ticket = file_ticket(people, areas)
    actions.accept(ticket, people.grid, T0 + H)
    actions.resolve(ticket, people.grid, T0 + 2 * H, "solved", "已办好。")
    services.rate(ticket, people.resident, T0 + 3 * H, "partly", "basic")
    db.session.commit()
    day = local_day(T0)
    rebuild_day(day, T0)
    first = stored_rollup()[0]
    rebuild_day(day, T0)
    db.session.commit()
    assert stored_rollup()[0] == first
    row = first[(areas.S1.id, day)]
    assert (row["filed"], row["resolved"], row["rated"], row["basic"], row["solved_partly"]) == \
        (1, 1, 1, 1, 1)
    categories = db.session.scalars(select(StatCategoryDaily)).all()
    assert {c.unit_id for c in categories} == {areas.S1.id, areas.C.id}
    assert db.session.scalar(select(Rating.id))


def test_one_rebuild_answers_every_waiting_change_of_its_day(ctx, people, areas):
    from community.outbox.models import OutboxRow
    from community.outbox.services import run_row

    first = file_ticket(people, areas)
    db.session.commit()
    second = file_ticket(people, areas, now=T0 + H)  # the same local day, its own transaction
    db.session.commit()
    other_day = file_ticket(people, areas, now=T0 + 30 * H)
    db.session.commit()

    def waiting(day):
        return list(db.session.scalars(select(OutboxRow).where(
            OutboxRow.done_at.is_(None), OutboxRow.key.startswith(f"stats:{day.isoformat()}:"))))

    day, later = local_day(T0), local_day(T0 + 30 * H)
    rows = waiting(day)
    assert len(rows) == 2 and len(waiting(later)) == 1
    assert run_row(rows[0].id, T0 + 2 * H)
    db.session.commit()
    assert waiting(day) == []  # the second change was read by the same rebuild
    assert not run_row(rows[1].id, T0 + 2 * H)  # its own job then finds nothing to do
    assert len(waiting(later)) == 1  # another day waits for its own rebuild
    filed = db.session.scalar(select(StatDaily.filed).where(
        StatDaily.day == day, StatDaily.unit_id == first.grid_id))
    assert filed == 2 and second.grid_id == first.grid_id
    assert other_day.id


def test_a_backlog_of_one_day_is_answered_in_slices(ctx, people, areas, monkeypatch):
    """Tens of thousands of a day's rows may wait (a worker was down): they are marked
    done in slices, each one array, not one IN list with a parameter per row."""
    from community.outbox.models import OutboxRow
    from community.outbox.services import emit_fresh, run_row
    from community.stats import updates

    monkeypatch.setattr(updates, "COVER_SLICE", 3)
    file_ticket(people, areas)
    db.session.commit()
    day = local_day(T0)
    for n in range(10):
        emit_fresh(updates.KIND, f"stats:{day.isoformat()}:backlog{n}", {"day": day.isoformat()}, now=T0)
    db.session.commit()
    waiting = list(db.session.scalars(select(OutboxRow).where(OutboxRow.done_at.is_(None))))
    assert len(waiting) == 11
    assert run_row(waiting[0].id, T0 + H)
    db.session.commit()
    db.session.expire_all()
    assert all(r.done_at is not None and r.attempts == 1 for r in db.session.scalars(select(OutboxRow)))
