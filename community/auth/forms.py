from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from community.web.forms import Form, LongSelect


class LoginForm(Form):
    login = StringField(_l("手机号或用户名"), validators=[DataRequired(_l("请输入手机号或用户名。")),
                                                    Length(max=64)])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码。")),
                                                   Length(max=128)])
    next = HiddenField()
    submit = SubmitField(_l("登录"))


class SignupForm(Form):
    phone = StringField(_l("手机号"), validators=[DataRequired(_l("请输入手机号。")), Length(max=20)])
    send_code = SubmitField(_l("获取验证码"))
    code = StringField(_l("短信验证码"), validators=[Length(max=8)])
    name = StringField(_l("称呼（可不填）"), validators=[Length(max=64)])
    community = SelectField(_l("所在社区"), coerce=str, validate_choice=False, widget=LongSelect())
    password = PasswordField(_l("设置密码（至少8位，含字母和数字）"), validators=[Length(max=128)])
    submit = SubmitField(_l("注册"))


class ResetPasswordForm(Form):
    phone = StringField(_l("手机号"), validators=[DataRequired(_l("请输入手机号。")), Length(max=20)])
    send_code = SubmitField(_l("获取验证码"))
    code = StringField(_l("短信验证码"), validators=[Length(max=8)])
    password = PasswordField(_l("新密码（至少8位，含字母和数字，不要用常见密码）"), validators=[Length(max=128)])
    submit = SubmitField(_l("重设密码"))


class ChangePasswordForm(Form):
    current = PasswordField(_l("当前密码"), validators=[DataRequired(_l("请输入当前密码。")), Length(max=128)])
    password = PasswordField(_l("新密码（至少8位，含字母和数字，不要用常见密码）"),
                             validators=[DataRequired(_l("请输入新密码。")), Length(max=128)])
    submit = SubmitField(_l("修改密码"))
