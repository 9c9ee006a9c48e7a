"""/api/v1 ratings (好差评) and figures: the same services as the web pages.

A rating is given by the resident who filed, signed in by session or token
(community.ratings.services decides who may); figures are the rollup sums of
one unit and the units directly under it, for the staff who answer for it.
"""
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from community.core.errors import ValidationFailed
from community.core.extensions import db
from community.ratings import services as ratings
from community.ratings.models import Level, Reason, Solved
from community.stats import queries as stats
from community.stats.formulas import FORMULA_VERSION, Params, figures
from community.core.timeutil import to_local, utcnow

from . import auth, queries
from .blueprint import bp
from .schemas import Text, UnitRef, _d
from .serialize import unit_ref
from .views import errors

MAX_DAYS = 366


class RatingIn(Schema):
    solved = Text(required=True, validate=validate.OneOf([s.value for s in Solved]),
                  **_d("Was the problem solved: yes, partly or no"))
    level = Text(required=True, validate=validate.OneOf([lv.value for lv in Level]),
                 **_d("very_satisfied, satisfied, basic (基本满意), dissatisfied, very_dissatisfied"))
    comment = Text(load_default="", validate=validate.Length(max=ratings.COMMENT_MAX))
    reasons = fields.List(Text(validate=validate.OneOf([r.value for r in Reason])), load_default=list,
                          validate=validate.Length(max=len(Reason)),
                          **_d("A 差评's reasons, one or more (required when dissatisfied): "
                               "not_solved, too_slow, attitude, buck_passing, not_contacted, other"))
    other = Text(load_default="", validate=validate.Length(max=ratings.OTHER_MAX),
                 **_d("The text of the reason other (required with it)"))


class RatingOut(Schema):
    tracking_code = fields.String(required=True)
    can_rate = fields.Boolean(required=True, **_d("The caller may rate the current resolution now"))
    reason = fields.String(allow_none=True, required=True,
                           **_d("Why not, in the caller's language"))
    rate_until = fields.DateTime(allow_none=True, required=True,
                                 **_d("End of the rating window (UTC)"))
    solved = fields.String(allow_none=True, required=True)
    level = fields.String(allow_none=True, required=True)
    rated_at = fields.DateTime(allow_none=True, required=True)
    reasons = fields.List(fields.String(), required=True, **_d("A 差评's reasons"))


class FigureArgs(Schema):
    unit = Text(validate=validate.Length(max=32), **_d("Unit code; default the caller's unit"))
    start = fields.Date(**_d("First local day (default 27 days before end)"))
    end = fields.Date(**_d("Last local day, inclusive (default today)"))

    @validates_schema
    def _span(self, data, **kwargs):
        if "start" in data and "end" in data:
            if data["start"] > data["end"]:
                raise ValidationError("start must not be after end.", "start")
            if (data["end"] - data["start"]).days >= MAX_DAYS:
                raise ValidationError(f"At most {MAX_DAYS} days at once.", "start")


class Rates(Schema):
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                         **_d("The summed daily counts the rates are computed from"))
    rates = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), required=True,
                        **_d("Every rate of the formula version; null where nothing to divide"))


class UnitFigures(Rates):
    unit = fields.Nested(UnitRef, required=True)


class FiguresOut(Rates):
    unit = fields.Nested(UnitRef, required=True)
    start = fields.Date(required=True)
    end = fields.Date(required=True)
    formula_version = fields.String(required=True)
    children = fields.List(fields.Nested(UnitFigures), required=True,
                           **_d("The units directly under this one"))


def _rating_view(ticket, user, now):
    resolution, refusal = ratings.opportunity(ticket, user, now)
    rating = resolution.rating if resolution is not None else None
    return {"tracking_code": ticket.tracking_code,
            "can_rate": resolution is not None and refusal is None,
            "reason": refusal if refusal is not None else (
                None if resolution is not None else _("诉求办结后才能评价。")),
            "rate_until": ratings.rating_window(resolution) if resolution is not None else None,
            "solved": rating.solved if rating else None,
            "level": rating.level if rating else None,
            "rated_at": rating.rated_at if rating else None,
            "reasons": rating.reason_codes if rating else []}


@bp.route("/requests/<code>/rating", methods=["GET"])
@bp.response(200, RatingOut)
@errors()
def get_rating(code):
    """The rating of the request's current resolution, and whether the caller may rate."""
    user = auth.require_user()
    return _rating_view(queries.visible_by_code(code, user), user, utcnow())


@bp.route("/requests/<code>/rating", methods=["POST"])
@bp.arguments(RatingIn)
@bp.response(201, RatingOut)
@errors()
def post_rating(args, code):
    """Rate the current resolution (好差评): once, within the rating window.

    A 差评 (dissatisfied or very dissatisfied) needs one or more reasons and opens a
    rectification case. Only the resident who filed may rate; staff never. Of two
    ratings sent at once, one is saved (201) and the other answered 409.
    """
    user = auth.require_user()
    now = utcnow()
    ticket = queries.visible_by_code(code, user)
    ratings.rate(ticket, user, now, ratings.Answer(args["solved"], args["level"], args["comment"],
                                                   args["reasons"], args["other"]), via_api=True)
    db.session.commit()  # a lost race: IntegrityError, answered 409 (community.web)
    return _rating_view(ticket, user, now), 201


def _figure_row(unit, counts, params):
    return {"unit": unit_ref(unit), "counts": counts, "rates": figures(counts, params)}


@bp.route("/figures", methods=["GET"])
@bp.arguments(FigureArgs, location="query")
@bp.response(200, FiguresOut)
@errors()
def get_figures(args):
    """A unit's figures and those of the units under it, from the daily rollups.

    Staff see their own unit and the units inside it; 404 for any other.
    """
    user = auth.require_staff()
    code = args.get("unit")
    if not code and user.unit_id is None:  # an admin belongs to no unit: say which is needed
        raise ValidationFailed(_("请用 unit 参数指定要查看的单位。"), field="unit")
    unit = queries.active_unit(code) if code else None
    unit = stats.visible_unit(user, unit.id if unit is not None else (user.unit_id or 0))
    end = args.get("end") or to_local(utcnow()).date()
    start = args.get("start") or end - timedelta(days=27)
    if (end - start).days >= MAX_DAYS:
        start = end - timedelta(days=MAX_DAYS - 1)
    params = Params.from_config(current_app.config)
    kids = stats.children(unit) + stats.departments(unit)  # a county's departments are measured too
    sums = stats.sum_by_unit([unit.id] + [k.id for k in kids], start, end)
    row = _figure_row(unit, sums[unit.id], params)
    row.update(start=start, end=end, formula_version=FORMULA_VERSION,
               children=[_figure_row(k, sums[k.id], params) for k in kids])
    return row
