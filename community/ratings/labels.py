"""What users read for rating values (through Flask-Babel)."""
from flask_babel import lazy_gettext as _l

SOLVED = {"yes": _l("已解决"), "partly": _l("部分解决"), "no": _l("没有解决")}
LEVEL = {"very_satisfied": _l("非常满意"), "satisfied": _l("满意"), "basic": _l("基本满意"),
         "dissatisfied": _l("不满意"), "very_dissatisfied": _l("非常不满意")}
CASE_STATE = {"open": _l("待回访"), "called_back": _l("已回访"), "answered": _l("待街道审核"),
              "closed": _l("已结案")}
OUTCOME = {"reopen": _l("重办"), "explain": _l("说明情况")}
REASON = {"not_solved": _l("问题没解决"), "too_slow": _l("办理太慢"), "attitude": _l("态度不好"),
          "buck_passing": _l("推诿扯皮"), "not_contacted": _l("没联系我"), "other": _l("其他")}
CHANNEL = {"web": _l("居民本人（网页）"), "api": _l("居民本人（接口）"), "link": _l("短信评价链接"),
           "callback": _l("回访")}
JUDGE = {"street": _l("街道"), "county": _l("区县"), "supervisor": _l("考核办")}
APPEAL_STATE = {"pending": _l("待审核"), "upheld": _l("申诉成立"), "rejected": _l("申诉不成立")}


def for_templates() -> dict:
    return {"SOLVED_LABELS": SOLVED, "RATING_LABELS": LEVEL, "CASE_STATE_LABELS": CASE_STATE,
            "OUTCOME_LABELS": OUTCOME, "APPEAL_STATE_LABELS": APPEAL_STATE, "REASON_LABELS": REASON,
            "RATING_CHANNEL_LABELS": CHANNEL, "JUDGE_LABELS": JUDGE}
