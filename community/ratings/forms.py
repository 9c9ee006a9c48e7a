"""The rating pages' forms. Fields are plain text: services.rate and the appeal and
case services check them and name the field at fault, so the messages stay theirs."""
from wtforms import SelectMultipleField, StringField

from community.web.forms import Form, text_form


class RatingForm(Form):
    """A rating, from the resident (tracking page, texted link) or a callback officer."""
    solved = StringField()
    level = StringField()
    comment = StringField()
    reasons = SelectMultipleField(validate_choice=False)
    other = StringField()
    note = StringField()  # the callback officer's note


AppealForm = text_form("AppealForm", "reason")
DecisionForm = text_form("DecisionForm", "uphold", "note")
CaseStepForm = text_form("CaseStepForm", "reached", "note")
