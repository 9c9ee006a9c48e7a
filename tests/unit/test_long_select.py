"""LongSelect writes the same markup as WTForms' Select, only faster."""
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.widgets import Select

from community.web.forms import LongSelect

CHOICES = [("", "请选择社区"), ("7", "盘龙区 · 金星社区"), ("12", 'A & B <"quoted">'), ("30", "")]


class Both(FlaskForm):
    class Meta:
        csrf = False

    plain = SelectField("x", choices=CHOICES, widget=Select(), validate_choice=False)
    quick = SelectField("x", choices=CHOICES, widget=LongSelect(), validate_choice=False)


def test_the_markup_is_wtforms_own(ctx):
    for chosen in ("", "7", "12", "30", "99"):
        form = Both(data={"plain": chosen, "quick": chosen})
        plain = str(form.plain(class_="wide")).replace('name="plain"', "").replace('id="plain"', "")
        quick = str(form.quick(class_="wide")).replace('name="quick"', "").replace('id="quick"', "")
        assert quick == plain, chosen
        assert ("selected" in quick) == (chosen in {"", "7", "12", "30"})
