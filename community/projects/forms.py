"""Forms with fields worth a form object; the small action forms post plain fields
(CSRF is checked for every POST by CSRFProtect) and the services check them."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (DateField, IntegerField, SelectField, SelectMultipleField, StringField,
                     SubmitField, TextAreaField)
from wtforms.validators import Length, Optional

from .labels import DECISION, RESOURCE


class ProposalForm(FlaskForm):
    title = StringField(_l("项目名称"), validators=[Length(max=200)],
                        description=_l("一句话说清要办的事，如“3号楼加装休息长椅”。"))
    description = TextAreaField(_l("项目内容"), validators=[Length(max=20000)],
                                description=_l("为什么要办、怎么办、惠及哪些居民。内容会公开，请不要写姓名和电话。"))
    category = SelectField(_l("类别"), validate_choice=False)
    submit = SubmitField(_l("提交"))


class MeetingForm(FlaskForm):
    held_on = DateField(_l("会议日期"), validators=[Optional()])
    attendees = IntegerField(_l("参会人数"), validators=[Optional()])
    supporters = IntegerField(_l("赞成人数"), validators=[Optional()])
    decision = SelectField(_l("会议决定"), choices=list(DECISION.items()), validate_choice=False)
    summary = TextAreaField(_l("会议摘要"), validators=[Length(max=4000)])
    minutes = FileField(_l("会议纪要（PDF 或照片，不超过 10 MB）"))
    submit = SubmitField(_l("登记会议"))


class SettingsForm(FlaskForm):
    support_min = IntegerField(_l("立项所需的线上支持人数"), validators=[Optional()])
    meeting_share = StringField(_l("议事会议赞成比例（0 到 1，如 0.5 表示半数）"),
                                validators=[Length(max=10)])
    submit = SubmitField(_l("保存"))


class ResourceForm(FlaskForm):
    kind = SelectField(_l("资源类型"), choices=list(RESOURCE.items()), validate_choice=False)
    name = StringField(_l("名称"), validators=[Length(max=200)])
    hours = StringField(_l("开放时间（设施）"), validators=[Length(max=200)])
    skills = StringField(_l("技能（志愿者）"), validators=[Length(max=400)])
    capacity = StringField(_l("服务能力（每周人次或小时）"), validators=[Length(max=10)])
    contact = StringField(_l("联系方式（仅工作人员可见）"), validators=[Length(max=200)])
    categories = SelectMultipleField(_l("能满足的需求类别"), validate_choice=False)
    note = TextAreaField(_l("备注"), validators=[Length(max=1000)])
    submit = SubmitField(_l("保存"))
