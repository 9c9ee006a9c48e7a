"""The SLA admin's form. Fields are plain text: the service and the parsers in views.py
check them and name the field at fault, so the messages stay the service's."""
from wtforms import StringField

from community.forms import Form


class PolicyForm(Form):
    sla_class = StringField()
    category = StringField()
    effective_from = StringField()
    response_hours = StringField()
    accept_hours = StringField()
    resolve_amount = StringField()
    resolve_unit = StringField()
    note = StringField()
