"""The rating pages' forms. Fields are plain text: services.rate and the appeal and
case services check them and name the field at fault, so the messages stay theirs."""
from wtforms import SelectMultipleField, StringField

from community.forms import Form


class RatingForm(Form):
    """A rating, from the resident (tracking page, texted link) or a callback officer."""
    solved = StringField()
    level = StringField()
    comment = StringField()
    reasons = SelectMultipleField(validate_choice=False)
    other = StringField()
    note = StringField()  # the callback officer's note


class AppealForm(Form):
    reason = StringField()


class DecisionForm(Form):
    uphold = StringField()
    note = StringField()


class CaseStepForm(Form):
    reached = StringField()
    note = StringField()
