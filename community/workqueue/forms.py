"""The staff page's forms. Fields are plain text: the services check every value and
name the field at fault, so the messages stay theirs."""
from wtforms import SelectMultipleField, StringField

from community.tickets.views import read_photos
from community.web.forms import Form, as_int, text_form

from . import steps


def _step_form(step) -> type[Form]:
    fields = {name: SelectMultipleField(validate_choice=False) if kind == steps.NUMBERS else StringField()
              for name, kind in step.form.items() if kind != steps.PHOTOS}  # photos: read_photos
    return type(f"{step.name.title().replace('_', '')}Form", (Form,), fields)


# One form per step of the staff page (steps.WEB_STEPS), built from what the step takes.
STEP_FORMS = {name: _step_form(step) for name, step in steps.WEB_STEPS.items()}

_READ = {
    steps.TEXT: lambda field: field.data or "",
    steps.OPTIONAL: lambda field: field.data or None,
    steps.NUMBER: lambda field: as_int(field.data),
    steps.NUMBERS: lambda field: [n for n in map(as_int, field.data or ()) if n is not None],
    steps.YES: lambda field: field.data == "1",
}


def posted(step, form: Form) -> dict:
    """The step's inputs as its service takes them (photos cleaned before anything is written)."""
    return {name: read_photos(name) if kind == steps.PHOTOS else _READ[kind](form[name])
            for name, kind in step.form.items()}


AssistForm = text_form("AssistForm", "report", "score", "note",
                       doc="A summoned department's step on its assist task, or the summoner's score.")
