"""The one cleaner of text a person typed (a note, a reason, a title): trimmed, then
required or not, and within a length; a refusal names the field at fault."""
from flask_babel import gettext as _

from community.core.errors import ValidationFailed

NOTE_MAX = 2000  # a note or a reason on a request, a case or an assist task


def clean_text(value: str | None, limit: int = NOTE_MAX, field: str = "note", label: str | None = None,
               required: bool = False) -> str:
    """`value` trimmed. `label` names the text in the messages; without one it is a 说明."""
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed(_("请填写%(what)s。", what=label) if label else _("请填写说明。"), field=field)
    if len(value) > limit:
        raise ValidationFailed(_("%(what)s不能超过 %(n)d 字。", what=label, n=limit) if label
                               else _("说明不能超过 %(n)d 字。", n=limit), field=field)
    return value
