"""The dashboard's open 整改 cases, by the unit's columns and the live states (issue 30)."""
from sqlalchemy import func, select

from community.core.extensions import db
from community.ratings import services
from community.ratings.models import CaseState, RectificationCase
from community.stats import queries

from ..factories import H, T0, resolved_ticket


def _bad_rating(people, areas):
    ticket = resolved_ticket(people, areas)
    rating = services.rate(ticket, people.resident, T0 + 3 * H, "no", "very_dissatisfied", "没人来",
                           reasons=["not_solved"])
    db.session.commit()
    return rating.case


def test_open_cases_are_counted_for_the_units_above_the_request_only(ctx, people, areas):
    case = _bad_rating(people, areas)
    for unit in (areas.C, areas.S1, areas.S1C1, areas.S1C1G1):
        count, rows = queries.open_cases(unit)
        assert (count, [r.id for r in rows]) == (1, [case.id]), unit.code
    for unit in (areas.S2, areas.S1C2, areas.S1C1G2, areas.D1):
        assert queries.open_cases(unit) == (0, []), unit.code
    case.state = CaseState.CLOSED
    db.session.commit()
    assert queries.open_cases(areas.C) == (0, [])


def test_every_state_but_closed_is_open(ctx, people, areas):
    """The live states are named (for the indexes): a state added later must be named too."""
    case = _bad_rating(people, areas)
    for state in CaseState:
        case.state = state
        db.session.commit()
        live = db.session.scalar(select(func.count()).select_from(RectificationCase)
                                 .where(RectificationCase.state != CaseState.CLOSED))
        assert queries.open_cases(areas.C)[0] == live, state
