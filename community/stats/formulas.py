"""Every published rate, computed from summed counts (DOMAIN.md "Figures").

This is the one place a rate is defined. Change a formula here and bump
FORMULA_VERSION: every published figure names the version it was made with.
Weights come from configuration (COMMUNITY_*), read by `Params.from_config`.
"""
import math
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from .models import COUNTS

# F2026.2: late is late (a breached deadline stays breached), 签收 per stay at each unit,
# clocks counted in the period where they end, departments and workers measured,
# 吹哨 assist figures; every rate carries its sample and Wilson band.
FORMULA_VERSION = "F2026.2"


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


def parts(c: dict, p: Params) -> dict:
    """Each rate as (successes, sample): what it counts over what it divides by."""
    valid = valid_ratings(c)
    bad = c["dissatisfied"] + c["very_dissatisfied"]
    return {
        "response_rate": (c["responded_in_time"], c["response_due"]),
        "accept_rate": (c["accepted_in_time"], c["arrived"]),
        "ontime_rate": (c["resolved_in_time"], c["resolved"]),
        "solve_rate": (c["solved_yes"] + p.partly_weight * c["solved_partly"],
                       c["solved_yes"] + c["solved_partly"] + c["solved_no"]),
        "satisfaction_rate": (satisfied_weight(c, p), valid),
        "good_rate": (c["very_satisfied"] + c["satisfied"], valid),
        "bad_rate": (bad, valid),
        "rectify_rate": (c["bad_rectified_in_time"], bad),
        "participation_rate": (c["rated"], c["resolved"]),
        "return_rate": (c["returned"], c["filed"]),
        "reopen_rate": (c["reopened"], c["resolved"]),
        "assist_report_rate": (c["assist_reported_in_time"], c["assist_report_due"]),
        "assist_ontime_rate": (c["assist_finished_in_time"], c["assist_finish_due"]),
    }


def rate_of(c: dict, key: str, p: Params) -> tuple[float | None, int]:
    """One rate of figures() and its sample, from the same parts(), without the others and
    their Wilson bands (a county map's 780 grids need only their 满意率)."""
    hits, n = parts(c, p)[key]
    return _ratio(hits, n), n


def figures(c: dict, p: Params) -> dict:
    """All rates of DOMAIN.md from one unit's summed counts; None where nothing to divide.
    Each rate also has its sample (`<rate>_n`) and Wilson band (`<rate>_low`, `_high`)."""
    valid = valid_ratings(c)
    out = {"valid_ratings": valid, "bad_ratings": c["dissatisfied"] + c["very_dissatisfied"]}
    for key, (hits, n) in parts(c, p).items():
        out[key] = _ratio(hits, n)
        out[f"{key}_n"] = n
        out[f"{key}_low"], out[f"{key}_high"] = wilson(hits, n, p.z)
    rates = (out["response_rate"], out["solve_rate"], out["satisfaction_rate"])
    out["composite"] = None if None in rates else (
        p.w_response * rates[0] + p.w_solve * rates[1] + p.w_satisfaction * rates[2])
    out["composite_n"] = valid  # the sample that decides whether it may be ranked
    out["satisfaction_low"], out["satisfaction_high"] = (out["satisfaction_rate_low"],
                                                         out["satisfaction_rate_high"])
    # 双向考核: the summoning units' mean score of a department's help, 1–5.
    out["assist_score"] = _ratio(c["assist_score_total"], c["assist_scored"])
    out["assist_score_n"] = c["assist_scored"]
    out["ranked"] = valid >= p.min_sample
    out["few"] = not out["ranked"]  # drawn hollow and grey on charts, with its n
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
# A department's 吹哨报到 figures, beside the rates above.
ASSIST_RATES = ("assist_report_rate", "assist_ontime_rate")

RATE_LABELS = {
    "response_rate": _l("响应率"), "accept_rate": _l("及时签收率"), "ontime_rate": _l("按时办结率"),
    "solve_rate": _l("解决率"), "satisfaction_rate": _l("满意率"), "good_rate": _l("好评率"),
    "bad_rate": _l("差评率"), "rectify_rate": _l("差评整改率"), "participation_rate": _l("参评率"),
    "return_rate": _l("退单率"), "reopen_rate": _l("重办率"), "composite": _l("综合得分"),
    "assist_report_rate": _l("报到及时率"), "assist_ontime_rate": _l("协办按时完成率"),
    "assist_score": _l("协办评分"),
}


def formula_text(p: Params) -> list[tuple[str, str]]:
    """The published formulas in words, with this configuration's weights filled in,
    and the counting rules behind them (DOMAIN.md "Clocks", "Figures")."""
    return [
        (RATE_LABELS["response_rate"], _l("在时限内首次响应的诉求数 ÷ 应响应的诉求数。时限届满或已响应的才算“应响应”，"
                                          "计入时限结束（响应或到期）的那一天；到期前撤回或合并且未响应的不计。")),
        (RATE_LABELS["accept_rate"], _l("按时签收的次数 ÷ 到达的次数。诉求每到一个单位算一次到达，按该单位自己的签收时限评判，"
                                        "之后的上报不会抹去之前的按时签收；到期前被上报、退单、撤回或合并而未签收的不计。")),
        (RATE_LABELS["ontime_rate"], _l("按时办结数 ÷ 办结数。诉求在本轮（上次办结之后）任何一个办结期限被超过，即使上报后有了新的期限，"
                                        "这次办结也算超时；期限届满前批准的延期计入期限，届满后才批准的不能挽回。")),
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
        (RATE_LABELS["assist_report_rate"], _l("部门被吹哨召集后按时报到的任务数 ÷ 应报到的任务数（报到时限届满或已报到的）。")),
        (RATE_LABELS["assist_ontime_rate"], _l("部门在协办期限内完成的任务数 ÷ 应完成的任务数；诉求结束时取消的任务不计。")),
        (RATE_LABELS["assist_score"], _l("发起吹哨的街道或区县对部门协办的 1–5 分评分的平均值（双向考核）。")),
        (_l("单位与个人"), _l("网格、社区、街道、区县按辖区内的诉求计算；部门按自己办理的诉求计算（到过该部门的诉求、该部门的签收与办结、"
                           "该部门持有诉求时结束的响应时限）。个人按本人办结的诉求和本人作出的首次响应计算，只给本人和上级看，不公开。")),
        (_l("有效评价"), _l("申诉成立的评价不计入，但保留在记录中。排名只列出有效评价不少于 %(n)d 条的单位，并给出满意率的 95%% 置信区间（Wilson）。"
                         "图表中样本不足的点和柱画成空心灰色并标出样本数，每个比率都给出其样本数和 95%% 区间。",
                         n=p.min_sample)),
    ]


def _num(x: float) -> str:
    return f"{x:g}"
