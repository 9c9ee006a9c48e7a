from flask_babel import lazy_gettext as _l
from wtforms import (BooleanField, HiddenField, MultipleFileField, RadioField, SelectField,
                     StringField, SubmitField, TextAreaField)
from wtforms.validators import Length, Optional

from community.web.forms import Form, LongSelect, text_form
from community.web.i18n import MORE_PHOTOS_LABEL, PHOTOS_LABEL, TEXT_HINT
from community.web.labels import CHANNEL, KIND

STAFF_CHANNELS = ("grid_worker", "hotline", "walk_in")


class FilingForm(Form):
    kind = RadioField(_l("诉求类型"), choices=[(k, v) for k, v in KIND.items()], default="help",
                      validate_choice=False)
    category = SelectField(_l("类别"), validate_choice=False)
    text = TextAreaField(_l("具体内容"), validators=[Length(max=20000)],
                         description=TEXT_HINT)
    community = SelectField(_l("所在社区"), validate_choice=False, widget=LongSelect())
    grid = SelectField(_l("网格（不清楚可不选）"), validate_choice=False)
    address = StringField(_l("详细地址（小区、楼栋）"), validators=[Optional(), Length(max=200)])
    # The service provider (物业, 养老 …) the request is about, from the community's list.
    provider = SelectField(_l("涉及的服务商（可不选）"), validate_choice=False)
    urgent = BooleanField(_l("紧急（影响安全或基本生活）"))
    photos = MultipleFileField(PHOTOS_LABEL)
    text_public = BooleanField(_l("同意在公开的办理结果中展示我的诉求内容（不含姓名电话）"))
    # 代办: filled in by staff for a resident who cannot file themselves.
    contact_name = StringField(_l("居民姓名"), validators=[Optional(), Length(max=64)])
    contact_phone = StringField(_l("居民联系电话"), validators=[Optional(), Length(max=20)])
    channel = SelectField(_l("受理渠道"), choices=[(c, CHANNEL[c]) for c in STAFF_CHANNELS],
                          validate_choice=False)
    # The point placed on the map or by "use my location" (maps.js); empty without JavaScript.
    lat = HiddenField()
    long = HiddenField()
    submit_token = HiddenField()
    show_grids = StringField()  # without JavaScript: "show this community's grids" posts back
    submit = SubmitField(_l("提交诉求"))


class TrackForm(Form):
    class Meta:
        csrf = False  # a GET lookup changes nothing

    code = StringField(_l("查询码"), validators=[Length(max=32)])


class AddInfoForm(Form):
    text = TextAreaField(_l("补充内容"), validators=[Length(max=20000)])
    photos = MultipleFileField(MORE_PHOTOS_LABEL)
    submit = SubmitField(_l("提交补充"))


class CancelForm(Form):
    reason = StringField(_l("撤回原因（可不填）"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("撤回诉求"))


# A resident's step with a reason: cancel or reopen through a texted link, reopen on the
# tracking page. The service checks the reason.
ReasonStepForm = text_form("ReasonStepForm", "reason")
