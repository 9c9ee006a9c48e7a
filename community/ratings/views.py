"""Rating on the tracking page (/t/<code>/rate) and the staff pages under /ratings."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from community.errors import Conflict, DomainError, NotFound
from community.extensions import db, limiter
from community.tickets.access import can_view
from community.tickets.services import get_by_tracking_code
from community.timeutil import utcnow
from community.workqueue.views import staff_required

from . import appeals, cases, services
from .models import Appeal, Level, Rating, Solved
from .scope import is_appellant, is_case_worker, is_reviewer

bp = Blueprint("ratings", __name__)

@bp.app_context_processor
def _panel():
    from . import labels

    return {"rating_panel": rating_panel, **labels.for_templates()}


def rating_panel(ticket) -> dict:
    """What the tracking page shows about rating this request, for this visitor."""
    user = current_user if current_user.is_authenticated else None
    resolution, refusal = services.opportunity(ticket, user, utcnow())
    solved = request.args.get("solved")
    return {"resolution": resolution, "refusal": refusal,
            "rating": resolution.rating if resolution is not None else None,
            "solved": solved if solved in Solved.__members__.values() else None,
            "window_end": services.rating_window(resolution) if resolution is not None else None}


@bp.post("/t/<code>/rate")
@limiter.limit(lambda: current_app.config["COMMUNITY_TRACKING_RATE"])
def rate(code):
    ticket = get_by_tracking_code(code)
    user = current_user if current_user.is_authenticated else None
    try:
        services.rate(ticket, user, utcnow(), request.form.get("solved", ""),
                      request.form.get("level", ""), request.form.get("comment", ""))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # the same rating sent twice at once: the first one counts
        raise Conflict(_("这次办理已经评价过了，每次办结只能评价一次。")) from None
    flash(_("感谢您的评价！"))
    return redirect(url_for("tickets.track", code=ticket.tracking_code) + "#rate")


def _commit_or_flash(call, message, back, page):
    """Commit and go back; refused: the same page again with the reason and the status."""
    try:
        call()
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404:
            raise
        flash(str(exc.message), "error")
        return page(), exc.status
    flash(message)
    return redirect(back)


@bp.get("/ratings")
@staff_required
def ratings_list():
    return render_template("ratings/list.html", ratings=appeals.ratings_for(current_user),
                           is_appellant=is_appellant, levels=Level)


def _visible_rating(rating_id) -> Rating:
    rating = db.session.get(Rating, rating_id)
    if rating is None or not can_view(current_user, rating.ticket):
        raise NotFound()
    return rating


@bp.post("/ratings/<int:rating_id>/appeal")
@staff_required
def appeal(rating_id):
    rating = _visible_rating(rating_id)
    return _commit_or_flash(
        lambda: appeals.file_appeal(rating, current_user, utcnow(), request.form.get("reason", "")),
        _("申诉已提交，等待街道审核。"), url_for("ratings.ratings_list"), ratings_list)


@bp.get("/ratings/appeals")
@staff_required
def appeals_list():
    return render_template("ratings/appeals.html", appeals=appeals.appeals_for(current_user),
                           is_reviewer=is_reviewer)


@bp.post("/ratings/appeals/<int:appeal_id>/decide")
@staff_required
def decide(appeal_id):
    item = db.session.get(Appeal, appeal_id)
    if item is None or not can_view(current_user, item.rating.ticket):
        raise NotFound()
    return _commit_or_flash(
        lambda: appeals.decide_appeal(item, current_user, utcnow(), request.form.get("uphold") == "1",
                                      request.form.get("note", "")),
        _("已审核。"), url_for("ratings.appeals_list"), appeals_list)


@bp.get("/ratings/cases")
@staff_required
def cases_list():
    show_all = request.args.get("all") == "1"
    return render_template("ratings/cases.html", now=utcnow(), show_all=show_all,
                           cases=cases.cases_for(current_user, open_only=not show_all))


@bp.get("/ratings/cases/<int:case_id>")
@staff_required
def case_page(case_id):
    case = cases.visible_case(current_user, case_id)
    return render_template("ratings/case.html", case=case, now=utcnow(),
                           worker=is_case_worker(current_user, case),
                           reviewer=is_reviewer(current_user, case.street_id, case.county_id))


CASE_STEPS = {
    "callback": (lambda c, u, now, f: cases.record_callback(c, u, now, f.get("reached") == "1",
                                                          f.get("note", "")), _l("已记录回访。")),
    "explain": (lambda c, u, now, f: cases.explain(c, u, now, f.get("note", "")), _l("已提交说明。")),
    "reopen": (lambda c, u, now, f: cases.order_reopen(c, u, now, f.get("note", "")), _l("已重办。")),
    "close": (lambda c, u, now, f: cases.close_case(c, u, now, f.get("note", "")), _l("整改已结案。")),
}


@bp.post("/ratings/cases/<int:case_id>/<step>")
@staff_required
def case_step(case_id, step):
    case = cases.visible_case(current_user, case_id)
    if step not in CASE_STEPS:
        raise NotFound()
    call, message = CASE_STEPS[step]
    return _commit_or_flash(lambda: call(case, current_user, utcnow(), request.form),
                            str(message), url_for("ratings.case_page", case_id=case.id),
                            lambda: case_page(case.id))
