"""A provider's figures equal a recomputation from the raw rows, and the credit score
follows its published formula."""
import random
from datetime import timedelta

import pytest

from community.core.extensions import db
from community.providers import credit
from community.providers import services as providers
from community.ratings.appeals import decide_appeal, file_appeal
from community.ratings.models import (
    BAD_LEVELS,
    Appeal,
    Rating,
    RectificationCase,
    Resolution,
)
from community.ratings.services import rate
from community.stats.formulas import Params
from community.tickets.models import Ticket
from community.workqueue import actions
from tests.factories import T0

from .helpers import H, provider, resolve, ticket_about

DAY = timedelta(days=1)
LEVELS = ("very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied")


def recompute(provider_row, since, until, k=0.6):
    """The figures by hand, from every row, with none of the service's queries."""
    ids = {t.id for t in Ticket.query.all()
           if (link := db.session.get(credit.TicketProvider, t.id)) and link.provider_id == provider_row.id}
    requests = sum(1 for t in Ticket.query.all() if t.id in ids and since <= t.submitted_at < until)
    resolutions = [r for r in Resolution.query.all() if r.ticket_id in ids and since <= r.resolved_at < until]
    ratings = [r for r in Rating.query.all() if r.ticket_id in ids]
    valid = [r for r in ratings if not r.excluded and since <= r.rated_at < until]
    satisfied = sum(1 for r in valid if r.level in ("very_satisfied", "satisfied")) + \
        k * sum(1 for r in valid if r.level == "basic")
    upheld = 0
    for r in ratings:
        appeal = db.session.query(Appeal).filter_by(rating_id=r.id).one_or_none()
        if r.level not in BAD_LEVELS or r.excluded or (appeal and appeal.state == "pending"):
            continue
        when = appeal.decided_at if appeal else r.rated_at
        upheld += since <= when < until
    late = 0
    for case in RectificationCase.query.all():
        rating = db.session.get(Rating, case.rating_id)
        if case.ticket_id not in ids or rating.excluded or not since <= case.close_due_at < until:
            continue
        late += (case.closed_at or until + DAY) > case.close_due_at
    commendations = sum(1 for c in credit.Commendation.query.all()
                        if c.provider_id == provider_row.id and since <= c.at < until)
    return {"requests": requests, "resolved": len(resolutions),
            "resolved_in_time": sum(1 for r in resolutions if r.in_time),
            "valid_ratings": len(valid), "satisfaction_rate": satisfied / len(valid) if valid else None,
            "upheld_bad": upheld, "late_rectifications": late, "commendations": commendations}


def build_history(people, areas, seed):
    """Requests naming two providers (and none), resolved on time or late, rated at every
    level; some 差评 appealed (upheld, rejected, pending); some commendations."""
    rng = random.Random(seed)
    mine, other = provider(people, areas), provider(people, areas, name="别家物业")
    at = T0
    for i in range(14):
        prov = rng.choice([mine, mine, other, None])
        ticket = ticket_about(people, areas, prov, at=at)
        if rng.random() < 0.85:
            late = rng.random() < 0.3
            actions.accept(ticket, people.grid, at + H)
            done = at + (timedelta(days=12) if late else 2 * H)
            actions.resolve(ticket, people.grid, done, "solved", "已修好。")
            db.session.commit()
            if rng.random() < 0.8:
                level = rng.choice(LEVELS)
                rated = done + H
                rating = rate(ticket, people.resident, rated, "yes" if level not in BAD_LEVELS else "no",
                              level, reasons=["not_solved"] if level in BAD_LEVELS else [])
                db.session.commit()
                if level in BAD_LEVELS and rng.random() < 0.6:
                    appeal = file_appeal(rating, people.grid, rated + H, "与本单位无关")
                    choice = rng.choice(["uphold", "reject", "pending"])
                    if choice != "pending":
                        decide_appeal(appeal, people.street, rated + 2 * H, choice == "uphold", "已核实")
                    db.session.commit()
        at += timedelta(days=3)
    # Always one 差评 that stands (its 整改 left open: late) and one whose appeal failed.
    for appeal_fails in (False, True):
        ticket = ticket_about(people, areas, mine, at=at)
        resolve(ticket, people, at + H)
        rating = rate(ticket, people.resident, at + 3 * H, "no", "dissatisfied", reasons=["too_slow"])
        if appeal_fails:
            appeal = file_appeal(rating, people.grid, at + 4 * H, "不属实")
            decide_appeal(appeal, people.street, at + 5 * H, False, "评价属实")
        db.session.commit()
        at += DAY
    for i in range(3):
        providers.commend(mine, people.community, T0 + i * 5 * DAY, "维修及时")
    db.session.commit()
    return mine


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_figures_equal_a_recomputation_from_raw_rows(app, people, areas, seed):
    mine = build_history(people, areas, seed)
    for since, until in ((T0 - DAY, T0 + 90 * DAY), (T0 + 10 * DAY, T0 + 30 * DAY)):
        got = credit.figures(mine, since, until, Params())
        want = recompute(mine, since, until)
        if until == T0 + 90 * DAY:  # the whole history: every kind of row is in it
            assert want["upheld_bad"] >= 2 and want["late_rectifications"] >= 1
            assert want["valid_ratings"] >= 3 and want["resolved"] > want["resolved_in_time"] - 1
        assert {key: got[key] for key in want} == pytest.approx(want)
        assert got["score"] == credit.score(want["upheld_bad"], want["late_rectifications"],
                                            want["commendations"])


def test_satisfaction_uses_the_unit_formula_and_sample_rule(app, people, areas):
    mine = provider(people, areas)
    for level in ("very_satisfied", "basic", "dissatisfied"):
        ticket = ticket_about(people, areas, mine)
        resolve(ticket, people, T0 + H)
        rate(ticket, people.resident, T0 + 3 * H, "yes", level, reasons=["too_slow"] if level == "dissatisfied" else [])
        db.session.commit()
    got = credit.figures(mine, T0, T0 + 30 * DAY, Params(basic_weight=0.6, min_sample=30))
    assert got["valid_ratings"] == 3 and got["satisfaction_rate"] == pytest.approx((1 + 0.6) / 3)
    assert got["few"] and not got["ranked"]  # three ratings never rank
    assert 0 <= got["satisfaction_low"] < got["satisfaction_rate"] < got["satisfaction_high"] <= 1
    assert credit.figures(mine, T0, T0 + 30 * DAY, Params(min_sample=3))["ranked"]


def test_upheld_appeal_removes_a_bad_rating_from_the_record(app, people, areas):
    mine = provider(people, areas)
    ticket = ticket_about(people, areas, mine)
    resolve(ticket, people, T0 + H)
    rating = rate(ticket, people.resident, T0 + 3 * H, "no", "very_dissatisfied", reasons=["attitude"])
    db.session.commit()
    window = (T0, T0 + 3 * DAY)
    assert credit.figures(mine, *window)["upheld_bad"] == 1
    appeal = file_appeal(rating, people.grid, T0 + 4 * H, "恶意评价")
    db.session.commit()
    assert credit.figures(mine, *window)["upheld_bad"] == 0  # pending: not yet counted
    decide_appeal(appeal, people.street, T0 + 5 * H, True, "属实")
    db.session.commit()
    figures = credit.figures(mine, T0, T0 + 60 * DAY)
    assert figures["upheld_bad"] == 0 and figures["late_rectifications"] == 0
    assert figures["valid_ratings"] == 0


def test_late_rectification_enters_the_record_on_its_due_day(app, people, areas):
    mine = provider(people, areas)
    ticket = ticket_about(people, areas, mine)
    resolve(ticket, people, T0 + H)
    rate(ticket, people.resident, T0 + 3 * H, "no", "dissatisfied", reasons=["not_solved"])
    db.session.commit()
    case = RectificationCase.query.one()
    before = credit.figures(mine, T0, case.close_due_at)
    assert before["late_rectifications"] == 0  # its clock has not run out yet
    after = credit.record(mine, T0, case.close_due_at + H)
    assert [e["kind"] for e in after] == ["late_rectification", "upheld_bad"]
    assert after[0]["at"] == case.close_due_at


def test_score_follows_the_published_formula(app, people, areas):
    mine = provider(people, areas)
    for i in range(2):
        providers.commend(mine, people.community, T0 + i * H, "表扬信")
    db.session.commit()
    assert credit.figures(mine, T0, T0 + DAY)["score"] == 100  # capped at 100
    weights = credit.CreditWeights(base=80, upheld_bad=5, late_rectification=3, commendation=2)
    assert credit.score(2, 1, 3, weights) == 80 - 10 - 3 + 6
    assert credit.score(40, 0, 0, weights) == 0
    with app.test_request_context():
        text = " ".join(str(t) for _label, t in credit.formula_text(weights))
    assert "80 − 5 × " in text and credit.CREDIT_FORMULA_VERSION == "C2026.1"


def test_weights_come_from_configuration(app, people, areas, monkeypatch):
    monkeypatch.setitem(app.config, "COMMUNITY_PROVIDER_CREDIT_WEIGHTS", {"upheld_bad": 10})
    assert credit.score(1, 0, 0) == 90
