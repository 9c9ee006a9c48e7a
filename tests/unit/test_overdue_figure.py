"""A dashboard's 超期 figure counts the open requests past their nearest deadline: a
request has next_due_at only while a clock runs (clock.deadlines.next_due), so the count
needs no state test and reads the (unit, next_due_at) index alone (issue 30)."""
from datetime import timedelta

from community.core.extensions import db
from community.stats.queries import overdue_now
from community.workqueue import actions
from tests.factories import T0, file_ticket

LATER = T0 + timedelta(days=30)


def test_only_open_requests_past_due_are_counted_for_every_kind_of_unit(app, people, areas, ctx):
    still_open = file_ticket(people, areas)
    done = file_ticket(people, areas)
    actions.accept(done, people.grid, T0)
    actions.resolve(done, people.grid, T0 + timedelta(hours=1), "solved", "已修好。")
    db.session.commit()
    assert done.next_due_at is None and still_open.next_due_at is not None
    file_ticket(people, areas, grid=areas.S2C1G1, now=LATER)  # another street's, not yet due
    for unit in (areas.S1C1G1, areas.S1C1, areas.S1, areas.C):
        count, rows = overdue_now(unit, LATER)
        assert (count, [t.id for t in rows]) == (1, [still_open.id]), unit.name
    assert overdue_now(areas.S2, LATER)[0] == 0
    assert overdue_now(areas.C, T0)[0] == 0  # nothing past due yet
