"""The projects pages' forms. The small action forms (views.ACTIONS) share one form of
plain text fields: the services check them and name the field at fault."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (BooleanField, DateField, IntegerField, SelectField, SelectMultipleField,
                     StringField, SubmitField, TextAreaField)
from wtforms.validators import Length, Optional

from community.web.forms import Form, text_form
from .labels import DECISION, RESOURCE


class ProposalForm(Form):
    title = StringField(_l("项目名称"), validators=[Length(max=200)],
                        description=_l("一句话说清要办的事，如“3号楼加装休息长椅”。"))
    description = TextAreaField(_l("项目内容"), validators=[Length(max=20000)],
                                description=_l("为什么要办、怎么办、惠及哪些居民。内容会公开，请不要写姓名和电话。"))
    category = SelectField(_l("类别"), validate_choice=False)
    submit = SubmitField(_l("提交"))


class MeetingForm(Form):
    held_on = DateField(_l("会议日期"), validators=[Optional()])
    attendees = IntegerField(_l("参会人数"), validators=[Optional()])
    supporters = IntegerField(_l("现场赞成人数"), validators=[Optional()])
    opposers = IntegerField(_l("现场反对人数"), validators=[Optional()])
    decision = SelectField(_l("会议决定"), choices=list(DECISION.items()), validate_choice=False)
    summary = TextAreaField(_l("会议摘要（将公开，请不要写姓名和电话）"), validators=[Length(max=4000)])
    minutes = FileField(_l("会议纪要（PDF 或照片，不超过 10 MB）"))
    signed_name = StringField(_l("记录人签名"), validators=[Length(max=64)],
                              description=_l("会议记录由您签名负责；现场人数与居民线上表决并列公示，不代替表决。"))
    attest = BooleanField(_l("我确认以上记录属实"))
    submit = SubmitField(_l("登记会议"))


class RulesForm(Form):
    community = SelectField(_l("适用社区"), validate_choice=False)
    support_min = StringField(_l("立项所需的支持人数（至少）"), validators=[Length(max=10)])
    quorum = StringField(_l("参与表决人数（支持 + 反对，至少）"), validators=[Length(max=10)])
    oppose_block_share = StringField(_l("否决比例：反对占表决人数达到此比例即不能立项（0 到 1）"),
                                     validators=[Length(max=10)])
    judging_days = StringField(_l("成效评判至少持续天数"), validators=[Length(max=10)])
    judging_turnout = StringField(_l("结束评判所需的参评人数（至少）"), validators=[Length(max=10)])
    satisfaction_line = StringField(_l("满意线：满意率低于此值须整改（0 到 1）"),
                                    validators=[Length(max=10)])
    reason = TextAreaField(_l("调整理由（将公开）"), validators=[Length(max=1000)])
    submit = SubmitField(_l("发布新版本"))


class ResourceForm(Form):
    kind = SelectField(_l("资源类型"), choices=list(RESOURCE.items()), validate_choice=False)
    name = StringField(_l("名称"), validators=[Length(max=200)])
    hours = StringField(_l("开放时间（设施）"), validators=[Length(max=200)])
    skills = StringField(_l("技能（志愿者）"), validators=[Length(max=400)])
    capacity = StringField(_l("服务能力（每周人次或小时）"), validators=[Length(max=10)])
    contact = StringField(_l("联系方式（仅工作人员可见）"), validators=[Length(max=200)])
    categories = SelectMultipleField(_l("能满足的需求类别"), validate_choice=False)
    note = TextAreaField(_l("备注"), validators=[Length(max=1000)])
    submit = SubmitField(_l("保存"))


# Every field a project action (views.ACTIONS) reads; each action reads its own.
ProjectActionForm = text_form(
    "ProjectActionForm", "accept", "amount", "body", "category", "choice", "comment", "done_on",
    "due_on", "duty", "insufficient", "item", "kind", "lead_unit", "level", "line", "milestone",
    "name", "note", "payee", "payee_kind", "place", "post", "reason", "report", "satisfaction",
    "source", "spent_on", "title", "unit", "when")
# 对接 a need with a resource: lists.link_need checks the three.
LinkNeedForm = text_form("LinkNeedForm", "category", "resource", "note")
