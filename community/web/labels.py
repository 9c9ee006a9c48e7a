"""What users read for each stored value; every string goes through Flask-Babel."""
from flask_babel import get_locale

from community.web.i18n import lazy_gettext as _l  # flask_babel's, with the catalogue memo of a request

STATE = {
    "submitted": _l("待签收"),
    "accepted": _l("已签收"),
    "in_progress": _l("办理中"),
    "resolved": _l("已办结"),
    "closed": _l("已关闭"),
    "escalated": _l("已上报"),
    "returned": _l("已退单"),
    "merged": _l("已合并"),
    "cancelled": _l("已撤回"),
    "reopened": _l("重办中"),
}
KIND = {
    "help": _l("求助"),
    "consult": _l("咨询"),
    "complaint": _l("投诉"),
    "suggestion": _l("建议"),
    "report": _l("举报"),
}
CHANNEL = {
    "web": _l("网上提交"),
    "hotline": _l("热线电话"),
    "grid_worker": _l("网格员代办"),
    "walk_in": _l("窗口代办"),
    "api": _l("接口"),
    "open311": _l("Open311"),
    "upstream": _l("上级平台派单"),
}
URGENCY = {"normal": _l("一般"), "urgent": _l("紧急")}
# SLA clock classes (community.sla.models.SLA_CLASSES), as /admin/sla shows them.
SLA_CLASS = {"urgent": _l("紧急类"), "utilities": _l("水电气暖类"), "general": _l("一般类"),
             "complex": _l("复杂类")}
RESULT = {"solved": _l("已解决"), "partly": _l("部分解决"), "not_solvable": _l("无法解决（已说明）")}
TIER = {"grid": _l("网格"), "community": _l("社区"), "street": _l("街道"), "county": _l("区县"),
        "department": _l("部门")}
LEVEL = {1: _l("一级问题"), 2: _l("二级问题"), 3: _l("三级问题")}
ROLE = {
    "resident": _l("居民"), "grid": _l("网格员"), "community": _l("社区工作者"),
    "street": _l("街道干部"), "county": _l("区县干部"), "department": _l("部门工作人员"),
    "supervisor": _l("考核办"), "admin": _l("系统管理员"),
    "provider": _l("服务商"),
}
ACTION = {
    "submit": _l("提交诉求"),
    "cancel": _l("撤回诉求"),
    "add_info": _l("居民补充信息"),
    "accept": _l("签收"),
    "respond": _l("答复"),
    "ask_info": _l("请居民补充信息"),
    "start": _l("开始办理"),
    "resolve": _l("办结"),
    "escalate": _l("上报上级"),
    "auto_escalate": _l("超时自动上报"),
    "return": _l("退单"),
    "reroute": _l("重新派单"),
    "reassign": _l("转派"),
    "merge": _l("合并"),
    "upstream_unmapped": _l("上游分类未对应"),
    "extension_requested": _l("申请延期"),
    "extension_approved": _l("延期已批准"),
    "extension_rejected": _l("延期未批准"),
    "reopen": _l("重办"),
    "close": _l("关闭"),
    "summon": _l("吹哨报到"),
    "assist_accepted": _l("部门已报到"),
    "assist_done": _l("部门办理完成"),
    "contact_revealed": _l("查看联系电话"),
    "callback_rating": _l("回访评价"),
    "proactive_done": _l("主动治理完成"),
    "sla_warning": _l("时限预警"),
    "sla_breach": _l("超过时限"),
    "case_overdue": _l("差评整改超时"),
    "assist_overdue": _l("部门协办超时"),
    "assist_scored": _l("协办评分"),
    "promote_project": _l("转为民生小实事项目"),
    "deadline_recomputed": _l("期限按节假日安排重新计算"),
    "deadline_moved": _l("办结期限调整"),
    "breach_withdrawn": _l("撤销超时记录"),
    "grid_confirmed": _l("核实网格"),
    "grid_corrected": _l("更正网格"),
    "provider_named": _l("关联服务商"),
    "provider_routed": _l("转交服务商答复"),
    "provider_cleared": _l("取消关联服务商"),
    "provider_reply": _l("服务商答复"),
    "provider_done": _l("服务商报告处理完毕"),
}
CALENDAR_SOURCE = {"chinese-calendar": _l("chinese-calendar 软件包"), "import": _l("导入（通知或文件）"),
                   "manual": _l("手工维护")}
WEEKDAY_NAMES = (_l("一"), _l("二"), _l("三"), _l("四"), _l("五"), _l("六"), _l("日"))


def category_label(category) -> str:
    return category.label(str(get_locale())) if category else ""


def register(app):
    # event_note (a timeline step's note) is the tickets blueprint's template global.
    app.jinja_env.globals.update(SLA_CLASS_LABELS=SLA_CLASS,
        STATE_LABELS=STATE, KIND_LABELS=KIND, CHANNEL_LABELS=CHANNEL, URGENCY_LABELS=URGENCY,
        RESULT_LABELS=RESULT, TIER_LABELS=TIER, LEVEL_LABELS=LEVEL, ROLE_LABELS=ROLE,
        ACTION_LABELS=ACTION, CALENDAR_SOURCE=CALENDAR_SOURCE, WEEKDAY_NAMES=WEEKDAY_NAMES,
        category_label=category_label,
    )
