"""A survey's questions, as the county types them, and a resident's answers to them.

One question a line, its kind first:
    满意度：您对社区服务总体满意吗？          (five levels, 非常满意 … 非常不满意)
    单选：您最常用哪项服务？ | 养老 | 托育 | 家政
    文字：您对社区还有什么建议？              (free text, may be left empty)
`level:`, `choice:`, `text:` work as well. The first five-level question is the
survey's headline: its 满意率 is the one in the results, so one is required.
"""
import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from community.core.errors import ValidationFailed
from community.ratings.models import Level

KINDS = {"level": "level", "满意度": "level", "choice": "choice", "单选": "choice",
         "text": "text", "文字": "text"}
KIND_LABELS = {"level": _l("满意度（五级）"), "choice": _l("单选"), "text": _l("文字")}
MAX_QUESTIONS = 30
MAX_QUESTION = 200
MAX_OPTION = 40
MAX_TEXT_ANSWER = 500
LEVELS = tuple(Level)
_LINE = re.compile(r"^\s*([^:：]+)[:：]\s*(.+?)\s*$")


def parse(text: str) -> list[dict]:
    """The questions typed in `text`, checked; ValidationFailed names the first bad line."""
    questions = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        match = _LINE.match(line)
        kind = KINDS.get(match.group(1).strip().lower()) if match else None
        if kind is None:
            raise ValidationFailed(_("第 %(n)d 行：请以“满意度：”“单选：”或“文字：”开头。", n=number),
                                   field="questions")
        parts = [p.strip() for p in match.group(2).split("|")]
        wording, options = parts[0], [p for p in parts[1:] if p]
        if not wording or len(wording) > MAX_QUESTION:
            raise ValidationFailed(_("第 %(n)d 行：问题要写，且不超过 %(m)d 字。", n=number, m=MAX_QUESTION),
                                   field="questions")
        if kind == "choice" and (len(options) < 2 or len(set(options)) != len(options)
                                 or any(len(o) > MAX_OPTION for o in options)):
            raise ValidationFailed(_("第 %(n)d 行：单选题要用“|”隔开至少两个不同的选项，每个不超过 %(m)d 字。",
                                     n=number, m=MAX_OPTION), field="questions")
        if kind != "choice" and options:
            raise ValidationFailed(_("第 %(n)d 行：只有单选题有选项。", n=number), field="questions")
        questions.append({"key": f"q{len(questions) + 1}", "kind": kind, "text": wording,
                          "options": options})
    if not questions:
        raise ValidationFailed(_("请至少写一个问题。"), field="questions")
    if len(questions) > MAX_QUESTIONS:
        raise ValidationFailed(_("问题不能超过 %(m)d 个。", m=MAX_QUESTIONS), field="questions")
    if headline(questions) is None:
        raise ValidationFailed(_("至少要有一个满意度（五级）问题：第一个满意度问题就是这次调查的总体满意率。"),
                               field="questions")
    return questions


def as_text(questions: list[dict]) -> str:
    """The questions written back the way `parse` reads them (the edit form)."""
    words = {"level": "满意度", "choice": "单选", "text": "文字"}
    return "\n".join(f"{words[q['kind']]}：" + " | ".join([q["text"], *q["options"]]) for q in questions)


def headline(questions: list[dict]) -> dict | None:
    return next((q for q in questions if q["kind"] == "level"), None)


def clean_answers(questions: list[dict], form) -> dict:
    """The answers from a form (`form.get(key)`), checked against the questions: every
    five-level and choice question answered with one of its values; text optional."""
    answers, missing = {}, []
    for q in questions:
        value = (form.get(q["key"]) or "").strip()
        if q["kind"] == "text":
            if len(value) > MAX_TEXT_ANSWER:
                raise ValidationFailed(_("文字回答不超过 %(m)d 字。", m=MAX_TEXT_ANSWER), field=q["key"])
            if value:
                answers[q["key"]] = value
            continue
        allowed = [level.value for level in LEVELS] if q["kind"] == "level" else q["options"]
        if value not in allowed:
            missing.append(q)
            continue
        answers[q["key"]] = value
    if missing:
        first, *rest = missing
        raise ValidationFailed(_("请回答：%(q)s", q=first["text"]), field=first["key"],
                               others=[(q["key"], _("请回答：%(q)s", q=q["text"])) for q in rest])
    return answers
