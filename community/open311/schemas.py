"""What an Open311 client may POST, checked by the JSON API's own fields: a filing's
text, category, kind, urgency, place and phone are community.api.schemas.FilingIn's
fields under Open311's names (one check whichever door a filing comes in by); only
what Open311 alone has (email, media_url, names, ids) is declared here. Every field is
checked at once: the spec's error answer is a list, so a client hears of all its
mistakes in one answer."""
import copy

from marshmallow import EXCLUDE, Schema, ValidationError, validate

from community.api.schemas import FilingIn, Text
from community.core.errors import ValidationFailed


class Invalid(ValidationFailed):
    """Several fields refused at once: [(field, message), …] (rendered as the spec's list)."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__(problems[0][1], field=problems[0][0])
        self.problems = problems


# Open311's name → the API's field.
SHARED = {"service_code": "category", "description": "text", "address_string": "address",
          "lat": "lat", "long": "long", "phone": "contact_phone",
          "attribute[kind]": "kind", "attribute[urgency]": "urgency"}


def _api_field(open311_name: str, **changes):
    """A copy of the API's field, named as Open311 names it."""
    field = copy.deepcopy(FilingIn._declared_fields[SHARED[open311_name]])
    if "[" in open311_name:
        field.data_key = open311_name
    for name, value in changes.items():
        setattr(field, name, value)
    return field


def _trimmed(limit: int, **kwargs):
    return Text(load_default="", validate=validate.Length(max=limit), **kwargs)


class Open311PostIn(Schema):
    class Meta:
        unknown = EXCLUDE  # api_key, jurisdiction_id and attributes we do not read

    service_code = _api_field("service_code")
    description = _api_field("description")
    address_string = _api_field("address_string")
    lat = _api_field("lat")
    long = _api_field("long")
    phone = _api_field("phone")
    kind = _api_field("attribute[kind]", required=False, load_default="help")
    urgency = _api_field("attribute[urgency]")
    # Open311's own: a form's text, not the API's JSON boolean.
    text_public = Text(data_key="attribute[text_public]", load_default="false",
                       validate=validate.OneOf(["true", "false"]))
    email = Text(load_default="", validate=[validate.Length(max=254), validate.Email()])
    media_url = Text(load_default="", validate=[
        validate.Length(max=500), validate.URL(schemes={"http", "https"}, require_tld=False)])
    address_id = _trimmed(64)
    first_name = _trimmed(32)
    last_name = _trimmed(32)
    device_id = _trimmed(100)
    account_id = _trimmed(100)


FIELD_NAMES = frozenset(field.data_key or name for name, field in Open311PostIn().fields.items())


def load(params) -> tuple[dict, list[tuple[str, str]]]:
    """The POST's fields, stripped (blank means absent): the valid ones, and
    [(field, message), …] naming every problem (empty when all is well)."""
    raw = {name: (params.get(name) or "").strip() for name in params.keys()}
    raw = {name: value for name, value in raw.items() if value or name in ("description", "service_code")}
    messages = {}
    try:
        data = Open311PostIn().load(raw)
    except ValidationError as exc:
        data = exc.valid_data if isinstance(exc.valid_data, dict) else {}
        messages = exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}
    if ("lat" in raw) != ("long" in raw):
        messages.setdefault("lat", []).append("Give lat and long together.")
    return data, [(field, f"{field}: {text}") for field, texts in messages.items()
                  for text in (texts if isinstance(texts, list) else [texts])]
