"""System notes on a request's timeline in the reader's language (issue 24).

A note the system writes (上报至…, 办结期限延长…, the clock of a 时限预警) is stored as a
message id (`ticket_events.note_key`) and its parameters (`note_params`, JSON) and
rendered when read, in the reader's language; parameters that are stored codes (a tier,
a channel, a clock) are shown through their labels. `note` keeps the Chinese text too,
for what reads the column as text (exports, the API, search). Rows written before 0023
have no key: they are shown as they were written.
"""
import json
from dataclasses import dataclass, field

from community.web.i18n import lazy_gettext as _l, source_text
from community.web.labels import CHANNEL, TIER

CLOCK = {"response": _l("首次响应"), "accept": _l("签收"), "resolve": _l("办结"),
         "start": _l("差评回访"), "close": _l("差评结案")}  # the last two: a 差评 case's clocks

MESSAGES = {
    "escalated": _l("上报至%(tier)s：%(reason)s"),
    "filed_on_behalf": _l("由工作人员代为提交（渠道：%(channel)s）。"),
    "clock": _l("%(clock)s期限"),
    "extension_requested": _l("申请延期 %(d)d 个工作日：%(r)s"),
    "extension_approved": _l("办结期限延长 %(d)d 个工作日。原因：%(r)s"),
    "auto_escalate_accept": _l("签收超时"),
    "auto_escalate_resolve": _l("办结超时"),
    # Written as text before 0025, keyed since (issue 24): the same Chinese as before.
    "merged_into": _l("与相同问题的诉求合并办理，进度见本页。"),
    "merged_duplicate": _l("合并了重复诉求 %(code)s"),
    "reassigned": _l("转派给 %(name)s"),
    "summoned": _l("召集：%(names)s。%(reason)s"),
    "assist_scored": _l("%(dept)s 协办评分：%(score)d 分"),
    "callback_rating": _l("回访评价：%(name)s 记录"),
    "callback_rating_note": _l("回访评价：%(name)s 记录。%(note)s"),
    "deadline_recomputed": _l("节假日安排更新，办结期限重新计算：%(old)s → %(new)s"),
    "deadline_recomputed_provisional": _l("节假日安排更新，办结期限重新计算：%(old)s → %(new)s（暂定）"),
    "deadline_moved": _l("因节假日安排，办结期限调整为 %(new)s。"),
    "breach_withdrawn": _l("新的办结期限 %(new)s 尚未到，撤销已记录的超时。"),
    "case_recomputed": _l("节假日安排更新，差评整改期限重新计算：回访 %(start)s，结案 %(close)s"),
    "assist_recomputed": _l("节假日安排更新，协办期限重新计算：%(due)s"),
}
# Parameters holding a stored code, shown through its label.
CODED = {"tier": TIER, "channel": CHANNEL, "clock": CLOCK}


@dataclass
class Note:
    key: str
    params: dict = field(default_factory=dict)

    def __init__(self, key: str, **params):
        if key not in MESSAGES:
            raise KeyError(key)
        self.key, self.params = key, params

    def text(self, shown=str) -> str:
        """In the current language (`shown`: how a message becomes text)."""
        values = {name: (shown(CODED[name].get(value, value)) if name in CODED else value)
                  for name, value in self.params.items()}
        message = shown(MESSAGES[self.key])
        return message % values if values else message

    def stored_text(self) -> str:
        """The Chinese text kept in `note` for readers of the column: the messages' ids
        (Chinese is the source language). A force_locale("zh") per note cost the SLA sweep
        a Babel locale parse and a file stat each: a fifth of its CPU."""
        return self.text(shown=source_text)

    def params_json(self) -> str:
        return json.dumps(self.params, ensure_ascii=False, sort_keys=True)


def event_note(event) -> str:
    """What a timeline shows for an event's note, in the reader's language."""
    key = getattr(event, "note_key", None)
    if key and key in MESSAGES:
        try:
            return Note(key, **json.loads(event.note_params or "{}")).text()
        except (ValueError, TypeError, KeyError):
            pass  # a row we cannot read: its stored text
    return event.note or ""
