"""Form helpers shared by the blueprints."""
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import StringField
from wtforms.widgets import Select


class Form(FlaskForm):
    """Every form of the app. WTForms' own messages ("This field is required.") come in the
    reader's language through WTForms' public hook, Meta.get_translations, from a catalogue
    read once per language (Flask-WTF's default reads it from disk on every request)."""

    class Meta:
        def get_translations(self, form):
            from community.web.i18n import wtforms_translations

            return wtforms_translations()

    def sent(self) -> dict:
        """What was posted, only the fields that were sent (their first value): a refused
        page shows it again, and a field not sent keeps the page's own default."""
        return {name: field.data for name, field in self._fields.items()
                if field.raw_data and name != "csrf_token"}


def text_form(name: str, *fields: str, doc: str = "") -> type[Form]:
    """A form of plain text fields, for a post whose service checks every value and names
    the field at fault (so the messages stay the service's): the form reads the post and
    carries the CSRF token."""
    return type(name, (Form,), {"__doc__": doc, **{field: StringField() for field in fields}})


ElderForm = text_form("ElderForm", "on", "next",
                      doc="长辈模式 on or off, from the switch on every page; `next` is the page to go back to.")


class LongSelect(Select):
    """WTForms' Select writing each plain option in one f-string, same markup.

    The community list has an option per community (1,800 in a city): building
    each through html_params cost 60 ms of the filing form's 75 ms.
    """

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw or not isinstance(choice.value, str):
            return Select.render_option(choice, **kwargs)
        selected = "selected " if choice.selected else ""  # html_params sorts: selected, value
        return Markup(f'<option {selected}value="{escape(choice.value)}">'
                      f'{escape(choice.label or choice.value)}</option>')


def show_error(form, exc, default_field):
    """Put a service's ValidationFailed on the field it names, else on `default_field`."""
    name = getattr(exc, "field", None)
    field = getattr(form, name, None) if name else None
    if field is None:
        field = getattr(form, default_field)
    message = getattr(exc, "message", None) or _("输入有误，请检查。")
    field.errors = list(field.errors) + [message]
    for other_name, other_message in getattr(exc, "others", ()):
        other = getattr(form, other_name, None) or getattr(form, default_field)
        other.errors = list(other.errors) + [other_message]


def as_int(value) -> int | None:
    """A posted id as an int, or None (the service then says what is missing)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
