"""Hand-computed examples of the published formulas (community.stats.formulas)."""
import pytest

from community.stats.formulas import FORMULA_VERSION, Params, add_counts, figures, parts, rate_of, wilson
from community.stats.models import COUNTS

P = Params()  # DOMAIN.md defaults: k = 0.6, partly = ½, weights .30/.35/.35, 30 ratings


def counts(**values):
    c = dict.fromkeys(COUNTS, 0)
    c.update(values)
    return c


def test_satisfaction_weighs_basic_by_k_and_ignores_the_unrated():
    # 10 resolved, 5 rated: 2 非常满意, 1 满意, 1 基本满意, 1 不满意; 5 silent (未评价).
    c = counts(resolved=10, rated=5, very_satisfied=2, satisfied=1, basic=1, dissatisfied=1,
               solved_yes=3, solved_partly=1, solved_no=1)
    f = figures(c, P)
    assert f["satisfaction_rate"] == pytest.approx((2 + 1 + 0.6) / 5)  # 0.72, not /10
    assert f["participation_rate"] == pytest.approx(5 / 10)
    assert f["good_rate"] == pytest.approx(3 / 5)
    assert f["bad_rate"] == pytest.approx(1 / 5)
    assert f["valid_ratings"] == 5


def test_partly_solved_counts_half_and_is_configurable():
    c = counts(rated=4, satisfied=4, solved_yes=2, solved_partly=2)
    assert figures(c, P)["solve_rate"] == pytest.approx((2 + 0.5 * 2) / 4)  # 0.75
    assert figures(c, Params(partly_weight=0.0))["solve_rate"] == pytest.approx(0.5)
    assert figures(counts(rated=5, basic=5, solved_yes=5), Params(basic_weight=1.0))[
        "satisfaction_rate"] == 1.0


def test_upheld_appeal_is_out_of_the_valid_ratings():
    # 3 ratings, one 非常不满意 excluded by an upheld appeal: only the 2 valid ones count.
    c = counts(resolved=3, rated=3, appeals_upheld=1, very_satisfied=1, satisfied=1,
               solved_yes=2)
    f = figures(c, P)
    assert f["valid_ratings"] == 2
    assert f["satisfaction_rate"] == 1.0
    assert f["bad_rate"] == 0.0
    assert f["participation_rate"] == 1.0  # the resident did rate: it stays in 参评率


def test_composite_and_the_other_rates():
    c = counts(filed=10, response_due=8, responded_in_time=6, arrived=10, accepted_in_time=9,
               returned=1, resolved=8, resolved_in_time=6, reopened=2, rated=4, very_satisfied=2,
               basic=1, very_dissatisfied=1, solved_yes=3, solved_no=1, bad_rectified_in_time=1)
    f = figures(c, P)
    assert f["response_rate"] == 0.75
    assert f["accept_rate"] == 0.9
    assert f["ontime_rate"] == 0.75
    assert f["return_rate"] == 0.1
    assert f["reopen_rate"] == 0.25
    assert f["rectify_rate"] == 1.0
    solve, satisfaction = 3 / 4, (2 + 0.6) / 4
    assert f["composite"] == pytest.approx(0.30 * 0.75 + 0.35 * solve + 0.35 * satisfaction)


def test_nothing_to_divide_gives_no_figure_not_zero():
    f = figures(counts(filed=3), P)
    assert f["satisfaction_rate"] is None and f["composite"] is None
    assert f["satisfaction_low"] is None and not f["ranked"]


def test_ranking_needs_the_minimum_sample_and_wilson_interval():
    few = figures(counts(rated=3, very_satisfied=3, solved_yes=3), P)
    assert few["satisfaction_rate"] == 1.0 and not few["ranked"]
    low, high = few["satisfaction_low"], few["satisfaction_high"]
    assert low == pytest.approx(0.4385, abs=1e-3) and high == 1.0  # Wilson, n=3, p=1
    many = figures(counts(rated=30, very_satisfied=24, dissatisfied=6, solved_yes=30), P)
    assert many["ranked"]
    assert wilson(24, 30) == pytest.approx((0.6268, 0.9045), abs=1e-3)


def test_weights_come_from_configuration():
    p = Params.from_config({"COMMUNITY_SATISFACTION_BASIC_WEIGHT": 0.5,
                            "COMMUNITY_COMPOSITE_WEIGHTS": {"response": 0.2, "solve": 0.4,
                                                            "satisfaction": 0.4},
                            "COMMUNITY_RANKING_MIN_RATINGS": 5})
    assert (p.basic_weight, p.w_response, p.min_sample) == (0.5, 0.2, 5)
    assert FORMULA_VERSION


def test_add_counts_sums_rows():
    total = add_counts([counts(filed=1, rated=2), counts(filed=3)])
    assert total["filed"] == 4 and total["rated"] == 2


@pytest.mark.parametrize("seed", range(5))
def test_one_rate_is_the_figure_that_figures_gives(seed):
    """A county map reads only the 满意率 of its grids (rate_of): the same number and
    sample as the dashboard's figures() for every rate, whatever the counts."""
    import random

    rng = random.Random(seed)
    some = lambda most: rng.randint(0, most)  # noqa: E731
    c = {name: some(40) for name in ("very_satisfied", "satisfied", "basic", "dissatisfied",
                                     "very_dissatisfied", "solved_yes", "solved_partly", "solved_no")}
    bad, rated = c["dissatisfied"] + c["very_dissatisfied"], sum(c.values()) // 2
    resolved, filed = rated + some(50), rated + some(80)
    c.update(filed=filed, returned=some(filed), resolved=resolved, resolved_in_time=some(resolved),
             reopened=some(resolved), rated=rated, bad_rectified_in_time=some(bad), response_due=filed,
             responded_in_time=some(filed), arrived=filed, accepted_in_time=some(filed),
             assist_report_due=3, assist_reported_in_time=some(3), assist_finish_due=2,
             assist_finished_in_time=some(2))
    counts = {name: c.get(name, 0) for name in COUNTS}
    p = Params(basic_weight=rng.choice((0.5, 0.6)), min_sample=5)
    full = figures(counts, p)
    for key in parts(counts, p):
        assert rate_of(counts, key, p) == (full[key], full[f"{key}_n"])
