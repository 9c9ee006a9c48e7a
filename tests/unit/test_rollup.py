"""The rollup, kept current by outbox jobs, always equals a recomputation from raw rows."""
from collections import defaultdict
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from community.extensions import db
from community.ratings import appeals, cases, services
from community.ratings.models import BAD_LEVELS, Rating, Resolution
from community.stats.models import COUNTS, StatCategoryDaily, StatDaily
from community.stats.rollup import local_day, rebuild_all, rebuild_day
from community.stats.updates import drain
from community.tickets.models import Ticket, TicketEvent
from community.tickets.services import cancel
from community.workqueue import actions, routing

from .. import factories
from ..ticketing import T0, file_ticket

H = timedelta(hours=1)
LEVELS = ["very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied"]
FATES = ["waiting", "cancelled", "returned", "accepted", "resolved", "rated", "bad_case",
         "appealed", "reopened"]

ticket_plan = st.tuples(
    st.sampled_from(["grid", "grid2", "grid3"]),      # where (and who handles it)
    st.integers(0, 3), st.integers(0, 40),          # filed: day offset, hour offset
    st.sampled_from(FATES), st.sampled_from(LEVELS), st.sampled_from(["yes", "partly", "no"]),
    st.integers(1, 200),                            # hours until resolution (some late)
    st.booleans(),                                  # case closed in time / appeal upheld
)


def naive_rollup() -> dict:
    """An independent recomputation, straight from the raw rows, in plain Python."""
    out = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    returned = {e.ticket_id for e in db.session.scalars(
        select(TicketEvent).where(TicketEvent.action == "return"))}

    def add(holder, day, **values):
        for col in ("grid_id", "community_id", "street_id", "county_id"):
            row = out[(getattr(holder, col), day)]
            for name, value in values.items():
                row[name] += int(value)

    for t in db.session.scalars(select(Ticket)):
        add(t, local_day(t.submitted_at), filed=1,
            response_due=not (t.state == "cancelled" and t.first_response_at is None),
            responded_in_time=bool(t.first_response_at and t.first_response_at <= t.response_due_at),
            arrived=not (t.accepted_at is None and t.state in ("cancelled", "merged")),
            accepted_in_time=bool(t.accepted_at and t.accept_due_at and t.accepted_at <= t.accept_due_at),
            returned=t.id in returned)
    for r in db.session.scalars(select(Resolution)):
        values = {"resolved": 1, "resolved_in_time": r.in_time, "reopened": r.reopened_at is not None}
        rating = r.rating
        if rating is not None:
            values["rated"] = 1
            if rating.excluded:
                values["appeals_upheld"] = 1
            else:
                values[rating.level] = 1
                values[f"solved_{rating.solved}"] = 1
                case = rating.case
                values["bad_rectified_in_time"] = bool(
                    rating.level in BAD_LEVELS and case and case.closed_in_time)
        add(r, local_day(r.resolved_at), **values)
    return {key: counts for key, counts in out.items()}


def stored_rollup() -> dict:
    return {(row.unit_id, row.day): row.counts() for row in db.session.scalars(
        select(StatDaily).where(StatDaily.unit_kind != "department"))}


def play(people, areas, plan, step):
    """Drive one request to its fate; `step` runs after each change."""
    where, day, hour, fate, level, solved, hours, flag = plan
    handler = getattr(people, where)
    at = T0 + timedelta(days=day, hours=hour)
    grid = next(u for u in vars(areas).values() if u.id == handler.unit_id)
    resident = people.resident3 if where == "grid3" else people.resident
    ticket = file_ticket(people, areas, grid=grid, now=at, resident=resident)
    step()
    if fate == "waiting":
        return
    if fate == "cancelled":
        cancel(ticket, resident, at + H)
        return step()
    if fate == "returned":
        routing.return_ticket(ticket, handler, at + H / 2, "不属于本网格")
        return step()
    actions.accept(ticket, handler, at + H * (1 if flag else 30))
    step()
    if fate == "accepted":
        return
    done = at + H * (30 + hours)
    actions.resolve(ticket, handler, done, "solved")
    step()
    if fate == "resolved":
        return
    rating = services.rate(ticket, resident, done + H, solved, level)
    step()
    if fate == "bad_case" and rating.case is not None:
        cases.record_callback(rating.case, handler, done + 2 * H, True, "回访")
        cases.explain(rating.case, handler, done + 3 * H, "说明")
        street = people.street2 if where == "grid3" else people.street
        cases.close_case(rating.case, street, done + (H if flag else timedelta(days=20)))
        step()
    elif fate == "appealed":
        appeal = appeals.file_appeal(rating, handler, done + 2 * H, "与本诉求无关")
        street = people.street2 if where == "grid3" else people.street
        appeals.decide_appeal(appeal, street, done + 3 * H, flag)
        step()
    elif fate == "reopened":
        actions.reopen(ticket, resident, done + 2 * H, "没修好")
        step()
        actions.accept(ticket, handler, done + 3 * H) if ticket.state == "submitted" else None
        actions.resolve(ticket, handler, done + 4 * H, "solved")
        step()
        services.rate(ticket, resident, done + 5 * H, "yes", "satisfied")
        step()


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(ticket_plan, min_size=1, max_size=5))
def test_incremental_rollup_equals_recomputation(app, plans):
    factories.reset_database()
    areas = factories.make_areas()
    people = factories.make_people(areas)

    def step():
        db.session.flush()  # one transaction per request: commits are slow on a busy disk

    for plan in plans:
        play(people, areas, plan, step)
        db.session.commit()
        drain(T0)  # the jobs of this request's changes, some days already done before
        db.session.commit()
    incremental = stored_rollup()
    expected = naive_rollup()
    assert incremental == expected
    rebuild_all(T0)
    db.session.commit()
    assert stored_rollup() == expected
    db.session.remove()


def test_rebuilding_a_day_twice_changes_nothing(ctx, people, areas):
    ticket = file_ticket(people, areas)
    actions.accept(ticket, people.grid, T0 + H)
    actions.resolve(ticket, people.grid, T0 + 2 * H, "solved")
    services.rate(ticket, people.resident, T0 + 3 * H, "partly", "basic")
    db.session.commit()
    day = local_day(T0)
    rebuild_day(day, T0)
    first = stored_rollup()
    rebuild_day(day, T0)
    db.session.commit()
    assert stored_rollup() == first
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
