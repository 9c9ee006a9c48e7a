"""Form helpers shared by the blueprints."""
from flask_babel import gettext as _

from community.areas.models import UnitKind
from community.areas.services import list_units


def community_choices(with_blank=True):
    choices = [("", _("请选择社区"))] if with_blank else []
    streets = {s.id: s.name for s in list_units(UnitKind.STREET)}
    for community in list_units(UnitKind.COMMUNITY):
        choices.append((str(community.id), f"{streets.get(community.parent_id, '')} · {community.name}"))
    return choices


def show_error(form, exc, default_field):
    """Put a service's ValidationFailed on the field it names, else on `default_field`."""
    name = getattr(exc, "field", None)
    field = getattr(form, name, None) if name else None
    if field is None:
        field = getattr(form, default_field)
    message = getattr(exc, "message", None) or _("输入有误，请检查。")
    field.errors = list(field.errors) + [message]
