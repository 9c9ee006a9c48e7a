"""What each staff or resident step on a request takes through the JSON API (its body),
declared with the steps (community.workqueue.steps); the OpenAPI document is
generated from these. Also the text field every API body uses."""
import re

from marshmallow import Schema, ValidationError, fields, validate

from community.tickets.states import Result

# NUL, other control characters and lone surrogates: no database stores them.
FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
TIERS = ["grid", "community", "street", "county"]


class Text(fields.String):
    """A string with no control characters (newlines and tabs are fine)."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if FORBIDDEN.search(value):
            raise ValidationError("Control characters are not allowed.")
        return value


def described(text):
    return {"metadata": {"description": text}}


_d = described


class TextIn(Schema):
    text = Text(required=True, validate=validate.Length(min=1, max=4000))


class ResolveIn(Schema):
    result = Text(required=True, validate=validate.OneOf([r.value for r in Result]))
    note = Text(required=True, validate=validate.Length(min=1, max=4000),
                **_d("The reply to the resident: what was done (always required)"))


class ReasonIn(Schema):
    reason = Text(required=True, validate=validate.Length(min=1, max=4000))


class OptionalReasonIn(Schema):
    reason = Text(load_default="", validate=validate.Length(max=500))


class EscalateIn(ReasonIn):
    to_tier = Text(validate=validate.OneOf(TIERS[1:]), **_d("Default: one tier up"))


class RerouteIn(Schema):
    unit = Text(required=True, validate=validate.Length(max=32), **_d("Code of a unit below"))
    note = Text(load_default="", validate=validate.Length(max=4000))


class ReassignIn(Schema):
    assignee = Text(required=True, validate=validate.Length(max=64), **_d("A colleague's username"))


class MergeIn(Schema):
    into = Text(required=True, validate=validate.Length(max=32),
                **_d("Tracking code of the open request that survives"))


class ExtensionIn(Schema):
    days = fields.Integer(required=True, validate=validate.Range(1, 30), **_d("Working days"))
    reason = Text(required=True, validate=validate.Length(min=1, max=4000))


class DecisionIn(Schema):
    approve = fields.Boolean(required=True)
    note = Text(load_default="", validate=validate.Length(max=4000),
                **_d("Required when refusing"))


class SummonIn(Schema):
    departments = fields.List(Text(validate=validate.Length(max=32)), required=True,
                              validate=validate.Length(min=1, max=20), **_d("Department codes"))
    reason = Text(required=True, validate=validate.Length(min=1, max=4000))
