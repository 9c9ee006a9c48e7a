"""Issue 23: a button is shown exactly when the service accepts the step.

For a matrix of requests (every state a staff member meets, at each tier, with and
without a pending or spent extension, a consult, a department's duty, an unsure
grid) × every staff role in and around the request's units × two moments (inside
and past the 退单 window), each staff action is tried through its real service with
valid input inside a savepoint, then rolled back. `available_actions` (what the page
and the API offer) must name exactly the actions the services accepted.
"""
from datetime import timedelta

import pytest

from community.core.errors import DomainError
from community.core.extensions import db
from community.tickets.models import Category
from community.workqueue import actions, assist, extensions, gridfix, routing, rules
from community.workqueue.available import available_actions
from tests.factories import H, make_supervisor
from tests.factories import T0, file_ticket


def _build(people, areas):
    """name -> request, each driven to its state through the services at T0."""
    grid, community = people.grid, people.community
    made = {}

    def new(name, **kwargs):
        made[name] = file_ticket(people, areas, now=T0, **kwargs)
        return made[name]

    new("submitted")
    new("consult", kind="consult")
    actions.accept(new("accepted"), grid, T0)
    t = new("in_progress")
    actions.accept(t, grid, T0)
    actions.respond(t, grid, T0, "已联系物业。")
    routing.escalate(new("at_community"), grid, T0, "需要社区协调")
    routing.escalate(new("at_street"), grid, T0, "需要街道协调", "street")
    routing.escalate(new("at_county"), grid, T0, "需要区里协调", "county")
    actions.accept(made["at_county"], people.county, T0)
    routing.return_ticket(new("returned"), grid, T0, "不属于本网格")
    routing.return_ticket(new("returned_consult", kind="consult"), grid, T0, "不属于本网格")
    t = new("resolved")
    actions.accept(t, grid, T0)
    actions.resolve(t, grid, T0, "solved", "已修好。")
    t = new("closed")
    actions.accept(t, grid, T0)
    actions.resolve(t, grid, T0, "solved", "已修好。")
    actions.close(t, T0)
    t = new("reopened")
    actions.accept(t, grid, T0)
    actions.resolve(t, grid, T0, "solved", "已修好。")
    actions.reopen(t, people.street, T0, "复核后重办")
    t = new("extension_pending")
    actions.accept(t, grid, T0)
    extensions.request_extension(t, grid, T0, 3, "等待材料")
    t = new("extension_spent")
    actions.accept(t, grid, T0)
    extensions.request_extension(t, grid, T0, 3, "等待材料")
    extensions.decide_extension(t, community, T0, True)
    duty = Category.query.filter_by(code="ENV").one()
    duty.default_tier = "grid"  # the grid worker looks first at a department's duty
    actions.accept(new("department_duty", category="ENV"), grid, T0)
    new("grid_unsure").grid_unsure = True
    new("merge_target")
    db.session.commit()
    return made


def _calls(ticket, user, now, areas, target):
    """Each staff action with input its service takes (the refusals left are about who
    acts, the state and the time)."""
    below = routing.reroute_targets(ticket) if ticket.state == "returned" else []
    return {
        "accept": lambda: actions.accept(ticket, user, now),
        "respond": lambda: actions.respond(ticket, user, now, "已联系。"),
        "ask_info": lambda: actions.ask_info(ticket, user, now, "请补充楼号。"),
        "resolve": lambda: actions.resolve(ticket, user, now, "solved", "已修好。"),
        "escalate": lambda: routing.escalate(ticket, user, now, "需要上级协调"),
        "return": lambda: routing.return_ticket(ticket, user, now, "不属于本单位"),
        "reroute": lambda: routing.reroute(ticket, user, now, below[0].id if below else 0, ""),
        "reassign": lambda: actions.reassign(ticket, user, now, user.id),
        "merge": lambda: routing.merge(ticket, user, now, target.tracking_code),
        "extension": lambda: extensions.request_extension(ticket, user, now, 3, "等待材料"),
        "decide_extension": lambda: extensions.decide_extension(ticket, user, now, True),
        "summon": lambda: assist.summon(ticket, user, now, [areas.D1.id], "需要城管"),
        "reopen": lambda: actions.reopen(ticket, user, now, "复核后重办"),
        "confirm_grid": lambda: gridfix.confirm_grid(ticket, user, now),
        "correct_grid": lambda: gridfix.correct_grid(ticket, user, now, ticket.grid_id),
    }


def _accepted(call) -> bool:
    savepoint = db.session.begin_nested()
    try:
        call()
        db.session.flush()
        return True
    except DomainError:
        return False
    finally:
        savepoint.rollback()


STAFF = ("admin", "county", "dept", "street", "street2", "community", "community2", "grid",
         "grid2", "supervisor")


@pytest.fixture
def matrix(ctx, people, areas):
    people.supervisor = make_supervisor(areas)
    return _build(people, areas)


@pytest.mark.parametrize("later", [H, 5 * H], ids=["in the 退单 window", "past it"])
def test_a_button_is_shown_exactly_when_the_service_accepts(matrix, people, areas, later):
    now = T0 + later
    wrong, tried = [], 0
    for name, ticket in matrix.items():
        target = matrix["submitted" if name == "merge_target" else "merge_target"]
        for who in STAFF:
            user = getattr(people, who)
            shown = available_actions(user, ticket, now)
            for action, call in _calls(ticket, user, now, areas, target).items():
                accepted = _accepted(call)
                tried += 1
                if accepted != (action in shown):
                    wrong.append(f"{name} as {who}: {action} shown={action in shown} accepted={accepted}")
    assert tried == len(matrix) * len(STAFF) * len(rules.RULES)
    assert not wrong, "\n".join(wrong)


def test_the_matrix_covers_every_answer(matrix, people, areas):
    """Each action is both offered and refused somewhere in the matrix, so the test above
    compares two live answers, never two constant ones."""
    now = T0 + H
    offered = set().union(*(available_actions(getattr(people, who), ticket, now)
                            for ticket in matrix.values() for who in STAFF))
    assert offered >= set(rules.RULES)
    refused = {action for action in rules.RULES if any(
        action not in available_actions(getattr(people, who), ticket, now)
        for ticket in matrix.values() for who in STAFF)}
    assert refused == set(rules.RULES)


def test_the_return_window_and_the_county_are_the_rule(matrix, people):
    """Two rules available.py used to restate: 退单 only soon after arrival, and nothing
    above the county to escalate to."""
    submitted, at_county = matrix["submitted"], matrix["at_county"]
    assert rules.return_ticket(people.grid, submitted, T0 + H) is None
    assert rules.return_ticket(people.grid, submitted, T0 + 3 * H).status == 403
    assert rules.escalate(people.county, at_county, T0 + H).status == 409
    assert rules.escalate(None, at_county, T0 + H).status == 409  # nor does an expired clock
    assert "escalate" not in available_actions(people.county, at_county, T0 + H)
    assert "summon" in available_actions(people.county, at_county, T0 + H)
