"""Names of hotspot kinds and states, in the reader's language."""
from flask_babel import lazy_gettext as _l

KIND_LABELS = {"place": _l("同一网格/小区"), "distance": _l("相邻位置"), "repeat": _l("整改后又反映")}
STATE_LABELS = {"open": _l("待处置"), "tasked": _l("治理中"), "done": _l("已治理"), "lapsed": _l("已消退")}
TASK_STATE_LABELS = {"open": _l("进行中"), "done": _l("已完成")}
