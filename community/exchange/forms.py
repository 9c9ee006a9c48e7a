"""The admin's webhook subscription form: plain values, checked by
admin.subscribe_from_form, which names the field at fault."""
from wtforms import SelectMultipleField

from community.web.forms import text_form

_Fields = text_form("_Fields", "client_kind", "client", "unit", "url")


class SubscriptionForm(_Fields):
    events = SelectMultipleField(validate_choice=False)  # the service refuses an unknown event
