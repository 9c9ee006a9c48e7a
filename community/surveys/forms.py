"""The survey pages' forms: plain text, checked by surveys.services and
questions.clean_answers, which name the field at fault (the pages show each message
beside its field)."""
from wtforms import StringField

from community.web.forms import Form, text_form

SurveyForm = text_form("SurveyForm", "title", "questions", "starts_on", "ends_on", "min_responses",
                       doc="The county sets or edits a survey: its questions one a line.")


def answer_form(questions: list[dict], *extra: str) -> Form:
    """A form of one version's questions (a field per question's key, q1, q2, …) and the
    `extra` fields (the phone a link is texted to; a recorded answer's phone and channel)."""
    fields = {name: StringField() for name in (*(q["key"] for q in questions), *extra)}
    return type("AnswerForm", (Form,), fields)()
