"""The residency pages' forms: plain text, checked by the services."""
from wtforms import StringField

from community.forms import Form


class ResidencyRequestForm(Form):
    community = StringField()
    note = StringField()


class VerifyForm(Form):
    user = StringField()
    note = StringField()


class RefuseForm(Form):
    note = StringField()
