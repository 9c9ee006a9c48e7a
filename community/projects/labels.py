"""What people read for the projects' stored values (Flask-Babel, Chinese msgids)."""
from flask_babel import lazy_gettext as _l

STATE = {
    "proposed": _l("征集中"), "deliberating": _l("协商议事中"), "approved": _l("已立项"),
    "in_progress": _l("实施中"), "completed": _l("已完成（群众评判中）"), "evaluated": _l("已评判"),
    "rejected": _l("未立项"),
}
LEVEL = {1: _l("一级（居民自治）"), 2: _l("二级（街道社区协助）"), 3: _l("三级（区县协助）")}
SOURCE = {"resident": _l("居民提出"), "staff": _l("社区录入"), "ticket": _l("由居民建议转入")}
VOTE = {"support": _l("支持"), "oppose": _l("反对")}
DECISION = {"agreed": _l("同意实施"), "not_agreed": _l("不同意"), "deferred": _l("暂缓再议")}
SATISFACTION = {
    "very_satisfied": _l("非常满意"), "satisfied": _l("满意"), "basic": _l("基本满意"),
    "dissatisfied": _l("不满意"), "very_dissatisfied": _l("非常不满意"),
}
PARTNER = {
    "community": _l("社区"), "street": _l("街道"), "county": _l("区县"), "department": _l("区县部门"),
    "property": _l("物业服务企业"), "social_org": _l("社会组织"), "other": _l("驻区单位及其他"),
}
FUNDING = {
    "county": _l("区县财政"), "street": _l("街道经费"), "community": _l("社区经费"),
    "property": _l("物业及维修资金"), "donation": _l("慈善捐赠"), "residents": _l("居民自筹"),
    "other": _l("其他"),
}
RESOURCE = {"facility": _l("设施场地"), "social_org": _l("社会组织"), "volunteer": _l("志愿者"),
            "staff": _l("工作人员")}
MILESTONE = {"on_time": _l("按时完成"), "late": _l("延后完成"), "overdue": _l("已逾期"),
             "pending": _l("未到期")}
TREND = {"up": "↑", "down": "↓", "flat": "→"}
ACTION = {
    "propose": _l("提出项目"), "plan": _l("调整计划"), "partner": _l("添加合作单位"),
    "funding": _l("添加资金来源"), "milestone": _l("添加节点"), "milestone_done": _l("节点完成"),
    "deliberate": _l("进入协商议事"), "meeting": _l("登记议事会议"), "approve": _l("批准立项"),
    "reject": _l("不予立项"), "start": _l("开始实施"), "spending": _l("登记支出"),
    "budget_extra": _l("批准追加预算"), "complete": _l("完成"), "evaluate": _l("结束群众评判"),
    "hide": _l("隐藏提议"), "hide_post": _l("隐藏发言"), "meeting_set": _l("安排议事会议"),
    "spending_reversed": _l("冲销支出"), "rectify_open": _l("立整改"),
    "rectify_report": _l("报送整改情况"), "rectify_close": _l("整改审核通过"),
    "rectify_return": _l("整改退回"), "rectify_overdue": _l("整改超期"),
    "rectify_due_moved": _l("整改期限调整"),
}
JUDGING = {"satisfied": _l("达到满意线"), "below_line": _l("未达满意线（整改）"),
           "insufficient": _l("评判不足（参评人数未达要求）")}
CASE = {"open": _l("整改中"), "reported": _l("已报送，待审核"), "closed": _l("已结案")}
PAYEE = {"organisation": _l("单位"), "person": _l("个人")}


def template_globals() -> dict:
    return {"PROJECT_STATE": STATE, "PROJECT_LEVEL": LEVEL, "PROJECT_SOURCE": SOURCE,
            "PROJECT_VOTE": VOTE, "PROJECT_DECISION": DECISION, "PROJECT_SATISFACTION": SATISFACTION,
            "PROJECT_PARTNER": PARTNER, "PROJECT_FUNDING": FUNDING, "PROJECT_RESOURCE": RESOURCE,
            "PROJECT_MILESTONE": MILESTONE, "PROJECT_TREND": TREND, "PROJECT_ACTION": ACTION,
            "PROJECT_JUDGING": JUDGING, "PROJECT_CASE": CASE, "PROJECT_PAYEE": PAYEE}
