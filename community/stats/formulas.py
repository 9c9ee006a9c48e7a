"""Every published rate, computed from summed counts (DOMAIN.md "Figures").

This is the one place a rate is defined. Change a formula here and bump
FORMULA_VERSION: every published figure names the version it was made with.
Weights come from configuration (COMMUNITY_*), read by `Params.from_config`.
"""
import math
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from .models import COUNTS

FORMULA_VERSION = "F2026.1"


@dataclass(frozen=True)
class Params:
    basic_weight: float = 0.6        # k: 基本满意 counts as k of a satisfied rating
    partly_weight: float = 0.5       # "partly solved" counts as this much of solved
    w_response: float = 0.30
    w_solve: float = 0.35
    w_satisfaction: float = 0.35
    min_sample: int = 30             # valid ratings before a unit is ranked
    z: float = 1.96                  # Wilson interval, 95 %

    @classmethod
    def from_config(cls, config) -> "Params":
        weights = config.get("COMMUNITY_COMPOSITE_WEIGHTS") or {}
        return cls(
            basic_weight=float(config.get("COMMUNITY_SATISFACTION_BASIC_WEIGHT", 0.6)),
            partly_weight=float(config.get("COMMUNITY_PARTLY_SOLVED_WEIGHT", 0.5)),
            w_response=float(weights.get("response", 0.30)),
            w_solve=float(weights.get("solve", 0.35)),
            w_satisfaction=float(weights.get("satisfaction", 0.35)),
            min_sample=int(config.get("COMMUNITY_RANKING_MIN_RATINGS", 30)),
        )


def _ratio(num, den):
    return None if not den else num / den


def valid_ratings(c: dict) -> int:
    return (c["very_satisfied"] + c["satisfied"] + c["basic"] + c["dissatisfied"]
            + c["very_dissatisfied"])


def satisfied_weight(c: dict, p: Params) -> float:
    return c["very_satisfied"] + c["satisfied"] + p.basic_weight * c["basic"]


def figures(c: dict, p: Params) -> dict:
    """All rates of DOMAIN.md from one unit's summed counts; None where nothing to divide."""
    valid = valid_ratings(c)
    bad = c["dissatisfied"] + c["very_dissatisfied"]
    solved_answers = c["solved_yes"] + c["solved_partly"] + c["solved_no"]
    out = {
        "response_rate": _ratio(c["responded_in_time"], c["response_due"]),
        "accept_rate": _ratio(c["accepted_in_time"], c["arrived"]),
        "ontime_rate": _ratio(c["resolved_in_time"], c["resolved"]),
        "solve_rate": _ratio(c["solved_yes"] + p.partly_weight * c["solved_partly"], solved_answers),
        "satisfaction_rate": _ratio(satisfied_weight(c, p), valid),
        "good_rate": _ratio(c["very_satisfied"] + c["satisfied"], valid),
        "bad_rate": _ratio(bad, valid),
        "rectify_rate": _ratio(c["bad_rectified_in_time"], bad),
        "participation_rate": _ratio(c["rated"], c["resolved"]),
        "return_rate": _ratio(c["returned"], c["filed"]),
        "reopen_rate": _ratio(c["reopened"], c["resolved"]),
        "valid_ratings": valid,
        "bad_ratings": bad,
    }
    parts = (out["response_rate"], out["solve_rate"], out["satisfaction_rate"])
    out["composite"] = None if None in parts else (
        p.w_response * parts[0] + p.w_solve * parts[1] + p.w_satisfaction * parts[2])
    low, high = wilson(satisfied_weight(c, p), valid, p.z)
    out["satisfaction_low"], out["satisfaction_high"] = low, high
    out["ranked"] = valid >= p.min_sample
    return out


def wilson(successes: float, n: int, z: float = 1.96):
    """Wilson score interval for a proportion; (None, None) with no observations."""
    if n <= 0:
        return None, None
    phat = successes / n
    denom = 1 + z * z / n
    centre = (phat + z * z / (2 * n)) / denom
    half = z * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def add_counts(rows) -> dict:
    """Sum count dicts (or rollup rows) into one."""
    total = dict.fromkeys(COUNTS, 0)
    for row in rows:
        values = row if isinstance(row, dict) else row.counts()
        for name in COUNTS:
            total[name] += values.get(name, 0) or 0
    return total


RATES = ("response_rate", "accept_rate", "ontime_rate", "solve_rate", "satisfaction_rate",
         "good_rate", "bad_rate", "rectify_rate", "participation_rate", "return_rate",
         "reopen_rate", "composite")

RATE_LABELS = {
    "response_rate": _l("响应率"), "accept_rate": _l("及时签收率"), "ontime_rate": _l("按时办结率"),
    "solve_rate": _l("解决率"), "satisfaction_rate": _l("满意率"), "good_rate": _l("好评率"),
    "bad_rate": _l("差评率"), "rectify_rate": _l("差评整改率"), "participation_rate": _l("参评率"),
    "return_rate": _l("退单率"), "reopen_rate": _l("重办率"), "composite": _l("综合得分"),
}


def formula_text(p: Params) -> list[tuple[str, str]]:
    """The published formulas, with this configuration's weights filled in."""
    return [
        (RATE_LABELS["response_rate"], _l("按时响应的诉求数 ÷ 应响应的诉求数（撤回且未响应的不计）")),
        (RATE_LABELS["accept_rate"], _l("按时签收数 ÷ 到达数")),
        (RATE_LABELS["ontime_rate"], _l("按时办结数（批准的延期计入期限） ÷ 办结数")),
        (RATE_LABELS["solve_rate"], _l("（“已解决” + %(w)s × “部分解决”） ÷ 有效评价数", w=_num(p.partly_weight))),
        (RATE_LABELS["satisfaction_rate"], _l("（非常满意 + 满意 + %(k)s × 基本满意） ÷ 有效评价数",
                                              k=_num(p.basic_weight))),
        (RATE_LABELS["good_rate"], _l("（非常满意 + 满意） ÷ 有效评价数")),
        (RATE_LABELS["bad_rate"], _l("（不满意 + 非常不满意） ÷ 有效评价数")),
        (RATE_LABELS["rectify_rate"], _l("在整改时限内办结的差评数 ÷ 差评数")),
        (RATE_LABELS["participation_rate"], _l("评价数 ÷ 办结数（未评价的不计为满意）")),
        (RATE_LABELS["return_rate"], _l("退单的诉求数 ÷ 诉求数")),
        (RATE_LABELS["reopen_rate"], _l("被重办的办结数 ÷ 办结数")),
        (RATE_LABELS["composite"], _l("%(a)s × 响应率 + %(b)s × 解决率 + %(c)s × 满意率",
                                      a=_num(p.w_response), b=_num(p.w_solve), c=_num(p.w_satisfaction))),
        (_l("有效评价"), _l("申诉成立的评价不计入，但保留在记录中。排名只列出有效评价不少于 %(n)d 条的单位，并给出满意率的 95%% 置信区间（Wilson）。",
                         n=p.min_sample)),
    ]


def _num(x: float) -> str:
    return f"{x:g}"
