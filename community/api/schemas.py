"""Request and response schemas; the OpenAPI document is generated from them."""
from datetime import timezone

from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate

from community.tickets.states import Channel, Kind, Result, State, Urgency
# The workflow steps' bodies are declared with the steps (community.workqueue.steps);
# the text field every body uses lives with them.
from community.workqueue.inputs import (DecisionIn, EscalateIn, ExtensionIn, MergeIn,  # noqa: F401
                                        OptionalReasonIn, ReasonIn, ReassignIn, RerouteIn,
                                        ResolveIn, SummonIn, Text, TextIn, TIERS, described as _d)

INT32 = validate.Range(min=1, max=2**31 - 1)
STATES = [s.value for s in State]
API_CHANNELS = [Channel.API.value, Channel.HOTLINE.value, Channel.GRID_WORKER.value,
                Channel.WALK_IN.value]


# -- shared -------------------------------------------------------------------

class ErrorBody(Schema):
    code = fields.String(required=True, **_d("Machine-readable: not_found, validation_failed, …"))
    message = fields.String(required=True, **_d("Readable, in the caller's language"))
    fields_ = fields.Dict(data_key="fields", keys=fields.String(), values=fields.Raw(),
                          **_d("Per-field messages (validation errors only)"))


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBody, required=True)


class UnitRef(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True, **_d("county, street, community, grid or department"))


# -- reference data -----------------------------------------------------------

class CategoryOut(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True, **_d("In the caller's language"))
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)
    default_tier = fields.String(required=True)
    sla_class = fields.String(required=True)
    department_duty = fields.Boolean(required=True)


class Point(Schema):
    lat = fields.Float(required=True)
    long = fields.Float(required=True)


class AreaOut(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    parent = fields.String(allow_none=True, required=True, **_d("The parent unit's code"))
    has_boundary = fields.Boolean(required=True)
    centre = fields.Nested(Point, allow_none=True, required=True)


class AreaDetail(AreaOut):
    boundary = fields.Dict(allow_none=True, required=True,
                           **_d("GeoJSON MultiPolygon (grids with a boundary)"))


class AreaArgs(Schema):
    kind = Text(validate=validate.OneOf(["county", "street", "community", "grid", "department"]))
    parent = Text(validate=validate.Length(max=32), **_d("Only the units directly under this code"))
    county = Text(validate=validate.Length(max=32), **_d("Only the units inside this county (code)"))


class LocateArgs(Schema):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    long = fields.Float(required=True, validate=validate.Range(-180, 180))


class LocateOut(Schema):
    grid = fields.Nested(UnitRef, required=True)
    community = fields.Nested(UnitRef, required=True)
    street = fields.Nested(UnitRef, required=True)
    county = fields.Nested(UnitRef, required=True)


# -- requests -----------------------------------------------------------------

# An international or a domestic number: digits, spaces and dashes, an optional +.
PHONE = validate.Regexp(r"^(\+?[0-9][0-9 \-]{4,19})?$", error="Not a valid phone number.")


def within_text_limit(value: str) -> None:
    """COMMUNITY_TEXT_MAX, read at each request (an installation may set its own)."""
    limit = current_app.config["COMMUNITY_TEXT_MAX"]
    if len(value.strip()) > limit:
        raise ValidationError(f"Length must be between 1 and {limit}.")


# FilingIn's fields are also Open311's (community.open311.schemas): one check of a
# filing's text, kind, category, place and phone, whichever door it comes in by.
class FilingIn(Schema):
    kind = Text(required=True, validate=validate.OneOf([k.value for k in Kind]))
    category = Text(required=True, validate=validate.Length(min=1, max=8), **_d("A category code"))
    text = Text(required=True, validate=[validate.Length(min=1, max=20000), within_text_limit],
                **_d("1 to COMMUNITY_TEXT_MAX (4000 by default) characters"))
    community = Text(validate=validate.Length(max=32), **_d("Community code"))
    grid = Text(validate=validate.Length(max=32), **_d("Grid code (wins over community and point)"))
    lat = fields.Float(validate=validate.Range(-90, 90), **_d("WGS 84; give with long"))
    long = fields.Float(validate=validate.Range(-180, 180))
    address = Text(load_default="", validate=validate.Length(max=200))
    urgency = Text(load_default="normal", validate=validate.OneOf([u.value for u in Urgency]))
    text_public = fields.Boolean(load_default=False,
                                 **_d("The resident allows the text on public pages"))
    contact_name = Text(load_default="", validate=validate.Length(max=64),
                        **_d("Staff filing for a resident (代办)"))
    contact_phone = Text(load_default="", validate=[validate.Length(max=20), PHONE],
                         **_d("Staff filing for a resident (代办): required"))
    channel = Text(load_default="api", validate=validate.OneOf(API_CHANNELS),
                   **_d("Staff only; residents always file as api"))


class TicketOut(Schema):
    tracking_code = fields.String(required=True, **_d("The request's id in this API"))
    kind = fields.String(required=True)
    category = fields.String(required=True)
    category_name = fields.String(required=True)
    text = fields.String(required=True)
    text_public = fields.Boolean(required=True)
    urgency = fields.String(required=True)
    state = fields.String(required=True, **_d(", ".join(STATES)))
    state_label = fields.String(required=True)
    tier = fields.String(required=True)
    level = fields.Integer(required=True, **_d("一二三级: 1, 2 or 3"))
    handling_unit = fields.Nested(UnitRef, required=True)
    grid = fields.Nested(UnitRef, required=True)
    community = fields.Nested(UnitRef, required=True)
    street = fields.Nested(UnitRef, required=True)
    address = fields.String(required=True)
    lat = fields.Float(allow_none=True, required=True)
    long = fields.Float(allow_none=True, required=True)
    channel = fields.String(required=True)
    contact_name = fields.String(required=True)
    contact_phone = fields.String(required=True, **_d("Masked (138****1234)"))
    assignee = fields.String(allow_none=True, required=True, **_d("Username; staff only"))
    submitted_at = fields.DateTime(required=True)
    arrived_at = fields.DateTime(required=True)
    accepted_at = fields.DateTime(allow_none=True, required=True)
    first_response_at = fields.DateTime(allow_none=True, required=True)
    resolved_at = fields.DateTime(allow_none=True, required=True)
    closed_at = fields.DateTime(allow_none=True, required=True)
    updated_at = fields.DateTime(required=True)
    response_due_at = fields.DateTime(allow_none=True, required=True)
    accept_due_at = fields.DateTime(allow_none=True, required=True)
    resolve_due_at = fields.DateTime(allow_none=True, required=True)
    resolve_due_provisional = fields.Boolean(required=True, **_d(
        "The resolution deadline counts days of a year whose holiday schedule is not loaded "
        "yet (Monday to Friday for now); it is recomputed when the year is loaded."))
    next_due_at = fields.DateTime(allow_none=True, required=True)
    overdue = fields.Boolean(required=True)
    result = fields.String(allow_none=True, required=True,
                           **_d(", ".join(r.value for r in Result)))
    result_note = fields.String(required=True)
    merged_into = fields.String(allow_none=True, required=True, **_d("Tracking code"))
    extension_count = fields.Integer(required=True)
    reopen_count = fields.Integer(required=True)


class TicketDetail(TicketOut):
    actions = fields.List(fields.String(), required=True,
                          **_d("What the caller may do now (staff); the endpoints check again"))


class TicketPage(Schema):
    items = fields.List(fields.Nested(TicketOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True,
                                **_d("Pass as cursor for the next page; null on the last"))


class ListArgs(Schema):
    state = Text(load_default="open", validate=validate.OneOf(["open", "finished", "all"] + STATES))
    category = Text(validate=validate.Length(max=8))
    kind = Text(validate=validate.OneOf([k.value for k in Kind]))
    tier = Text(validate=validate.OneOf(TIERS))
    unit = Text(validate=validate.Length(max=32), **_d("Only requests located in this unit"))
    overdue = fields.Boolean(load_default=False)
    mine = fields.Boolean(load_default=False, **_d("Staff: assigned to me"))
    submitted_from = fields.AwareDateTime(default_timezone=timezone.utc)
    submitted_to = fields.AwareDateTime(default_timezone=timezone.utc)
    limit = fields.Integer(load_default=30, validate=validate.Range(1, 100))
    cursor = Text(validate=validate.Length(max=200))


class EventOut(Schema):
    at = fields.DateTime(required=True)
    action = fields.String(required=True)
    action_label = fields.String(required=True)
    from_state = fields.String(allow_none=True, required=True)
    to_state = fields.String(allow_none=True, required=True)
    note = fields.String(required=True)
    public = fields.Boolean(required=True)
    unit = fields.Nested(UnitRef, allow_none=True, required=True)
    actor = fields.String(allow_none=True, required=True,
                          **_d("Who acted (staff see names; residents see only the unit)"))


class Timeline(Schema):
    tracking_code = fields.String(required=True)
    events = fields.List(fields.Nested(EventOut), required=True)


class QueueArgs(Schema):
    state = Text(load_default="open", validate=validate.OneOf(["open", "all"] + STATES))
    category = Text(validate=validate.Length(max=8))
    tier = Text(validate=validate.OneOf(TIERS))
    overdue = fields.Boolean(load_default=False)
    mine = fields.Boolean(load_default=False)
    page = fields.Integer(load_default=1, validate=validate.Range(1, 10000))


class QueueOut(Schema):
    items = fields.List(fields.Nested(TicketOut), required=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                         **_d("Requests in scope by live state (open, or resolved and waiting for "
                                "the rating); finished states are not counted"))
    overdue = fields.Integer(required=True)
    counted_at = fields.DateTime(required=True, **_d(
        "When counts and overdue were counted: now, except for an administrator, whose "
        "figures (and total) are the whole city's, counted at most "
        "COMMUNITY_CITY_COUNTS_SECONDS ago and shared"))
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)
    total = fields.Integer(required=True, **_d("Requests matching the filters, on every page"))
    has_next = fields.Boolean(required=True, **_d("Whether page + 1 has any request"))


# -- workflow actions ---------------------------------------------------------

class NoBody(Schema):
    pass


class AssistReportIn(Schema):
    report = Text(required=True, validate=validate.Length(min=1, max=4000))


class AssistOut(Schema):
    id = fields.Integer(required=True)
    tracking_code = fields.String(required=True)
    department = fields.Nested(UnitRef, required=True)
    state = fields.String(required=True)
    reason = fields.String(required=True)
    report = fields.String(required=True)
    due_at = fields.DateTime(required=True)
    accepted_at = fields.DateTime(allow_none=True, required=True)
    done_at = fields.DateTime(allow_none=True, required=True)


class ContactOut(Schema):
    phone = fields.String(required=True)


# -- identity and tokens ------------------------------------------------------

class TokenOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    prefix = fields.String(required=True, **_d("The secret's first characters"))
    user = fields.String(required=True, **_d("Username or phone of the token's user"))
    can_write = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(allow_none=True, required=True)
    last_used_at = fields.DateTime(allow_none=True, required=True)
    revoked_at = fields.DateTime(allow_none=True, required=True)


class TokenCreated(TokenOut):
    secret = fields.String(required=True, **_d("Shown once; only its hash is kept"))


class TokenIn(Schema):
    name = Text(load_default="", validate=validate.Length(max=64))
    can_write = fields.Boolean(load_default=True)
    days = fields.Integer(validate=validate.Range(0, 3650), **_d("Lifetime; 0: no expiry"))
    user = Text(validate=validate.Length(max=64), **_d("Admin only: whose token (username or phone)"))


class TokenListArgs(Schema):
    user = Text(validate=validate.Length(max=64), **_d("Admin only: whose tokens"))


class MeOut(Schema):
    id = fields.Integer(required=True)
    username = fields.String(allow_none=True, required=True)
    name = fields.String(required=True)
    role = fields.String(required=True)
    unit = fields.Nested(UnitRef, allow_none=True, required=True)
    home_community = fields.Nested(UnitRef, allow_none=True, required=True)
    auth = fields.String(required=True, **_d("token or session"))
    can_write = fields.Boolean(required=True)
    csrf_token = fields.String(allow_none=True, required=True,
                               **_d("Session callers: send as X-CSRFToken on writes"))
