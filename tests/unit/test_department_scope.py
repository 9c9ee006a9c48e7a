"""A department's ratings, appeals and 整改 cases by the handling unit kept on each row
(issue 30, migration 0036): the same rows for every role as the scope read through the
requests (tickets.access.scope_filter), as the request moves from unit to unit."""
import importlib.util
from pathlib import Path

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import func, select, text, update

from community.core.extensions import db
from community.ratings import appeals, cases, services
from community.ratings.models import Appeal, Rating, RatingReason, RectificationCase, Resolution
from community.ratings.scope import in_scope
from community.sla import bulk
from community.sla.sweep import sweep
from community.stats import queries
from community.stats.reasons import reason_counts
from community.tickets.access import scope_filter
from community.tickets.models import Category, Ticket
from community.workqueue import actions, assist, routing
from tests.factories import H, T0, file_ticket, make_supervisor, resolved_ticket

LATER = T0 + 3 * H
MODELS = (Rating, RectificationCase, Appeal)


def _through_requests(model, user) -> set[int]:
    """The rows `user` may see as the scope was read before 0036: through the requests."""
    query = select(model.id)
    if model is Appeal:
        query = query.join(Rating, Rating.id == Appeal.rating_id)
    ticket_id = Rating.ticket_id if model is Appeal else model.ticket_id
    return set(db.session.scalars(query.join(Ticket, Ticket.id == ticket_id).where(scope_filter(user))))


def _listed(model, user) -> set[int]:
    rows = {Rating: lambda: appeals.ratings_for(user, limit=1000),
            Appeal: lambda: appeals.appeals_for(user, limit=1000),
            RectificationCase: lambda: cases.cases_for(user, open_only=False, limit=1000)}[model]()
    return {row.id for row in rows}


def _staff(people, areas):
    return [people.admin, people.county, people.dept, people.dept2, people.street, people.street2,
            people.community, people.community2, people.grid, people.grid2, people.grid3,
            make_supervisor(areas)]


def _same_rows_as_through_requests(staff):
    for user in staff:
        for model in MODELS:
            assert _listed(model, user) == _through_requests(model, user), (user.username, model.__name__)


def _in_step():
    """Every row's handling unit is its request's."""
    for model in (Rating, RectificationCase):
        rows = db.session.execute(select(model.handling_unit_id, Ticket.handling_unit_id)
                                  .join(Ticket, Ticket.id == model.ticket_id)).all()
        assert rows and all(mine == theirs for mine, theirs in rows), model.__name__
    rows = db.session.execute(select(Appeal.handling_unit_id, Ticket.handling_unit_id)
                              .join(Rating, Rating.id == Appeal.rating_id)
                              .join(Ticket, Ticket.id == Rating.ticket_id)).all()
    assert all(mine == theirs for mine, theirs in rows)
    rows = db.session.execute(select(Rating.resolution_unit_id, Resolution.unit_id)
                              .join(Resolution, Resolution.id == Rating.resolution_id)).all()
    assert rows and all(mine == theirs for mine, theirs in rows)


def _bad_rating_appealed(people, areas, ticket, by, at=LATER):
    rating = services.rate(ticket, people.resident, at, "no", "very_dissatisfied", "没人来",
                           reasons=["not_solved"])
    appeals.file_appeal(rating, by, at, "评价与办理无关")
    db.session.commit()
    return rating


def _department_request(people, areas, department, user, at=T0):
    """A request of a county-tier category that names `department`, resolved by it."""
    category = db.session.scalar(select(Category).where(Category.code == "EDU"))
    category.department_id = department.id
    db.session.commit()
    ticket = file_ticket(people, areas, category="EDU", now=at)
    assert ticket.handling_unit_id == department.id
    actions.accept(ticket, user, at + H)
    actions.resolve(ticket, user, at + 2 * H, "solved", "已协调学校解决。")
    db.session.commit()
    return ticket


def test_each_role_lists_the_rows_it_saw_through_the_requests(ctx, people, areas):
    grid_ticket = resolved_ticket(people, areas)
    _bad_rating_appealed(people, areas, grid_ticket, people.grid)
    elsewhere = file_ticket(people, areas, grid=areas.S2C1G1)  # another street's grid
    actions.accept(elsewhere, people.grid3, T0 + H)
    actions.resolve(elsewhere, people.grid3, T0 + 2 * H, "solved", "已修好。")
    services.rate(elsewhere, people.resident, LATER, "yes", "satisfied")
    d1 = _department_request(people, areas, areas.D1, people.dept)
    _bad_rating_appealed(people, areas, d1, people.dept)
    db.session.commit()
    staff = _staff(people, areas)
    _same_rows_as_through_requests(staff)
    dept_ratings = set(db.session.scalars(select(Rating.id).where(Rating.ticket_id == d1.id)))
    assert _listed(Rating, people.dept) == dept_ratings and len(dept_ratings) == 1
    assert _listed(Appeal, people.dept) and _listed(RectificationCase, people.dept)
    for model in MODELS:
        assert _listed(model, people.dept2) == set(), model.__name__
    # The department's own lists read the rows' own column, never the requests.
    for model in (Rating, RectificationCase):
        sql = str(in_scope(select(model), model, people.dept))
        assert "tickets" not in sql and "handling_unit_id" in sql, model.__name__
    assert "ratings" not in str(appeals.appeals_in_scope(select(Appeal), people.dept))
    # The dashboard's open cases of a department, likewise.
    count, rows = queries.open_cases(areas.D1)
    assert (count, [c.id for c in rows]) == (1, [c.id for c in cases.cases_for(people.dept)])
    assert queries.open_cases(areas.D2) == (0, [])


def test_the_rows_follow_the_request_from_unit_to_unit(ctx, people, areas):
    """Reopened, passed up to the street (which summons D2), returned to the county,
    re-routed to D1, returned again and re-routed to D2: each department lists the
    request's rows exactly while it handles the request or is summoned to it."""
    ticket = resolved_ticket(people, areas)
    rating = _bad_rating_appealed(people, areas, ticket, people.grid)
    staff = _staff(people, areas)
    at = LATER + H
    actions.reopen(ticket, people.resident, at, "灯还是不亮")
    routing.escalate(ticket, people.grid, at + H, "需要街道协调", to_tier="street")
    db.session.commit()
    _same_rows_as_through_requests(staff)
    assert _listed(Rating, people.dept2) == set()
    assist.summon(ticket, people.street, at + 2 * H, [areas.D2.id], "需要民政配合")
    db.session.commit()
    assert _listed(Rating, people.dept2) == {rating.id}  # summoned: 吹哨报到
    assert _listed(Appeal, people.dept2) == {rating.appeal.id}
    _same_rows_as_through_requests(staff)
    routing.return_ticket(ticket, people.street, at + 3 * H, "不属于街道职责")
    routing.reroute(ticket, people.county, at + 4 * H, areas.D1.id, "城管")
    db.session.commit()
    _in_step()
    assert _listed(Rating, people.dept) == {rating.id}
    assert _listed(RectificationCase, people.dept) == {rating.case.id}
    _same_rows_as_through_requests(staff)
    routing.return_ticket(ticket, people.dept, at + 5 * H, "不属于城管职责")
    db.session.commit()
    _in_step()
    assert _listed(Rating, people.dept) == set()  # the county holds it now
    _same_rows_as_through_requests(staff)


def test_a_department_counts_the_reasons_of_its_own_resolutions(ctx, people, areas):
    """差评 reasons per unit (the dashboard): a department's are those of the ratings of its
    own 办结, found by the rating's copy of the resolution's unit; the grid's earlier 办结
    of the same request stays the grid's."""
    from community.tally.marks import local_day

    ticket = resolved_ticket(people, areas)
    services.rate(ticket, people.resident, LATER, "no", "dissatisfied", reasons=["not_solved"])
    at = LATER + H
    actions.reopen(ticket, people.resident, at, "灯还是不亮")
    routing.escalate(ticket, people.grid, at + H, "需要街道协调", to_tier="street")
    routing.return_ticket(ticket, people.street, at + 2 * H, "不属于街道职责")
    routing.reroute(ticket, people.county, at + 3 * H, areas.D1.id, "城管")
    actions.accept(ticket, people.dept, at + 4 * H)
    actions.resolve(ticket, people.dept, at + 5 * H, "solved", "已整改。")
    services.rate(ticket, people.resident, at + 6 * H, "no", "very_dissatisfied", reasons=["too_slow"])
    db.session.commit()
    _in_step()
    units = [areas.D1, areas.D2, areas.S1C1G1, areas.S1, areas.C]
    day = local_day(at)
    counts = reason_counts(units, day, day)
    assert {r for r, n in counts[areas.D1.id].items() if n} == {"too_slow"}
    assert not any(counts[areas.D2.id].values())
    assert {r for r, n in counts[areas.S1C1G1.id].items() if n} == {"not_solved", "too_slow"}
    # The same counts as through the resolutions, as they were read before 0036.
    for unit in (areas.D1, areas.D2):
        through = dict(db.session.execute(
            select(RatingReason.reason, func.count()).join(Rating, Rating.id == RatingReason.rating_id)
            .join(Resolution, Resolution.id == Rating.resolution_id)
            .where(Resolution.unit_id == unit.id).group_by(RatingReason.reason)).all())
        assert {r: n for r, n in counts[unit.id].items() if n} == through, unit.code


@pytest.mark.parametrize("fast", [True, False])
def test_the_rows_follow_a_request_the_sweep_escalates(ctx, people, areas, fast):
    """The sweep's set-based path moves requests without routing.escalate: its bulk twin
    moves their rows too."""
    ticket = resolved_ticket(people, areas)
    _bad_rating_appealed(people, areas, ticket, people.grid)
    actions.reopen(ticket, people.resident, LATER + H, "灯还是不亮")  # nobody takes it up again
    db.session.commit()
    assert bulk.usable()
    at = LATER + H
    while ticket.handling_unit_id == areas.S1C1G1.id and at < T0 + 60 * 24 * H:
        at += 12 * H
        sweep(at, fast=fast)
        db.session.commit()
        db.session.refresh(ticket)
    assert ticket.handling_unit_id != areas.S1C1G1.id
    db.session.expire_all()
    _in_step()
    _same_rows_as_through_requests(_staff(people, areas))


def test_0036_fills_every_row_from_its_request(app, ctx, people, areas):
    ticket = resolved_ticket(people, areas)
    _bad_rating_appealed(people, areas, ticket, people.grid)
    d1 = _department_request(people, areas, areas.D1, people.dept)
    _bad_rating_appealed(people, areas, d1, people.dept)
    for model in MODELS:
        db.session.execute(update(model).values(handling_unit_id=None))
    db.session.execute(update(Rating).values(resolution_unit_id=None))
    db.session.commit()
    assert appeals.ratings_for(people.dept) == []  # what a department saw before the fill
    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0036_ratings_by_handler.py"
    spec = importlib.util.spec_from_file_location("migration_0036", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        with context.begin_transaction(), Operations.context(context):
            migration.backfill()
        connection.commit()
    db.session.expire_all()
    _in_step()
    unfilled = "SELECT count(*) FROM ratings WHERE handling_unit_id IS NULL OR resolution_unit_id IS NULL"
    assert db.session.execute(text(unfilled)).scalar() == 0
    _same_rows_as_through_requests(_staff(people, areas))
