"""What an Open311 client may POST, checked by the same marshmallow fields as the JSON
API (community.api.schemas.Text: no control characters), every field at once: the
spec's error answer is a list, so a client hears of all its mistakes in one answer."""
from flask import current_app
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from community.api.schemas import Text
from community.core.errors import ValidationFailed
from community.tickets.states import Kind, Urgency

# An international or a domestic number: digits, spaces and dashes, an optional +.
PHONE = validate.Regexp(r"^\+?[0-9][0-9 \-]{4,19}$", error="Not a valid phone number.")


class Invalid(ValidationFailed):
    """Several fields refused at once: [(field, message), …] (rendered as the spec's list)."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__(problems[0][1], field=problems[0][0])
        self.problems = problems


def _trimmed(limit: int, **kwargs):
    return Text(load_default="", validate=validate.Length(max=limit), **kwargs)


def _description(value: str) -> None:
    limit = current_app.config["COMMUNITY_TEXT_MAX"]
    if not 1 <= len(value) <= limit:
        raise ValidationError(f"Length must be between 1 and {limit}.")


class Open311PostIn(Schema):
    class Meta:
        unknown = EXCLUDE  # api_key, jurisdiction_id and attributes we do not read

    service_code = Text(required=True, validate=validate.Length(min=1, max=100))
    description = Text(required=True, validate=_description)
    email = Text(load_default="", validate=[validate.Length(max=254), validate.Email()])
    phone = Text(load_default="", validate=[validate.Length(max=20), PHONE])
    media_url = Text(load_default="", validate=[
        validate.Length(max=500), validate.URL(schemes={"http", "https"}, require_tld=False)])
    address_string = _trimmed(200)
    address_id = _trimmed(64)
    first_name = _trimmed(32)
    last_name = _trimmed(32)
    device_id = _trimmed(100)
    account_id = _trimmed(100)
    lat = fields.Float(validate=validate.Range(-90, 90), allow_nan=False)
    long = fields.Float(validate=validate.Range(-180, 180), allow_nan=False)
    kind = Text(data_key="attribute[kind]", load_default=Kind.HELP.value,
                validate=validate.OneOf([k.value for k in Kind]))
    urgency = Text(data_key="attribute[urgency]", load_default=Urgency.NORMAL.value,
                   validate=validate.OneOf([u.value for u in Urgency]))
    text_public = Text(data_key="attribute[text_public]", load_default="false",
                       validate=validate.OneOf(["true", "false"]))


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
