"""Column names of the exported counts (community.stats.models.COUNTS), in the reader's language."""
from flask_babel import gettext as _

from community.web.i18n import lazy_gettext as _l

COUNT_LABELS = {
    "filed": _l("受理"),
    "response_due": _l("应响应"),
    "responded_in_time": _l("按时响应"),
    "arrived": _l("到达本单位"),
    "accepted_in_time": _l("按时签收"),
    "returned": _l("退单"),
    "resolved": _l("办结"),
    "resolved_in_time": _l("按时办结"),
    "reopened": _l("重办"),
    "rated": _l("评价"),
    "appeals_upheld": _l("申诉成立（已排除）"),
    "appealed": _l("已申诉"),
    "very_satisfied": _l("非常满意"),
    "satisfied": _l("满意"),
    "basic": _l("基本满意"),
    "dissatisfied": _l("不满意"),
    "very_dissatisfied": _l("非常不满意"),
    "solved_yes": _l("已解决"),
    "solved_partly": _l("部分解决"),
    "solved_no": _l("未解决"),
    "bad_rectified_in_time": _l("差评按时整改"),
    "assist_report_due": _l("协办应反馈"),
    "assist_reported_in_time": _l("协办按时反馈"),
    "assist_finish_due": _l("协办应完成"),
    "assist_finished_in_time": _l("协办按时完成"),
    "assist_scored": _l("协办已评分"),
    "assist_score_total": _l("协办评分合计"),
}


def yes_no(value: bool) -> str:
    return _("是") if value else _("否")
