"""Rating on the tracking page (/t/<code>/rate) and the staff pages under /ratings."""
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from community.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from community.core.extensions import db, limiter
from community.web.submit import submit
from community.tickets import links, linkviews
from community.tickets.access import can_view
from community.tickets.services import get_by_tracking_code
from community.core.timeutil import utcnow
from community.auth.decorators import staff_required

from . import appeals, cases, services
from .forms import AppealForm, CaseStepForm, DecisionForm, RatingForm
from .models import Appeal, Level, Rating, Solved
from .scope import is_appellant, is_case_worker, is_judge, is_reviewer

bp = Blueprint("ratings", __name__)

@bp.app_context_processor
def _panel():
    from . import labels

    return {"rating_panel": rating_panel, **labels.for_templates()}


def answer_from(form: RatingForm) -> services.Answer:
    return services.Answer(solved=form.solved.data or "", level=form.level.data or "",
                           comment=form.comment.data or "", reasons=form.reasons.data or [],
                           other=form.other.data or "")


def rating_panel(ticket, link_token=None) -> dict:
    """What the tracking page (or the rating link's page) shows about rating this
    request, for this visitor: the same rule the rating itself goes through."""
    user = current_user if current_user.is_authenticated else None
    now = utcnow()
    link = None
    if link_token:
        try:
            link = links.find(link_token, now)
        except DomainError:
            link = None
    resolution, refusal = services.opportunity(ticket, user, now, link)
    solved = request.args.get("solved")
    if link_token:
        rate_url = url_for("links.rate", token=link_token)
        step_url = url_for("links.open_link", token=link_token)
    else:
        rate_url = url_for("ratings.rate", code=ticket.tracking_code)
        step_url = url_for("tickets.track", code=ticket.tracking_code)
    return {"resolution": resolution, "refusal": refusal,
            "rating": resolution.rating if resolution is not None else None,
            "solved": solved if solved in Solved.__members__.values() else None,
            "draft": g.get("rating_draft"), "rate_url": rate_url, "step_url": step_url,
            "form": RatingForm(formdata=None),
            "window_end": services.rating_window(resolution) if resolution is not None else None}


def rate_or_ask_reasons(ticket, call, page):
    """Post a rating; a 差评 without its reasons comes back as the reasons step."""
    answer = answer_from(RatingForm())
    # The same rating sent twice at once: the first one counts, the second is a 409.
    done = submit(lambda: call(answer), catch=ValidationFailed, show=False,
                  raced=(IntegrityError, _("这次办理已经评价过了，每次办结只能评价一次。")))
    exc = done.refusal
    if exc is None:
        flash(_("感谢您的评价！"))
        return None
    if isinstance(exc, Conflict) or exc.field not in ("reasons", "other"):
        raise exc
    g.rating_draft = answer
    first_ask = exc.field == "reasons" and not answer.reasons  # the next step, not an error
    if not first_ask:
        flash(str(exc.message), "error")
    return page(), 200 if first_ask else 422


@bp.post("/t/<code>/rate")
@limiter.limit(lambda: current_app.config["COMMUNITY_TRACKING_RATE"])
def rate(code):
    from community.tickets.views import track_page

    ticket = get_by_tracking_code(code)
    user = current_user if current_user.is_authenticated else None
    refused = rate_or_ask_reasons(ticket, lambda answer: services.rate(ticket, user, utcnow(), answer),
                                  lambda: track_page(ticket))
    if refused is not None:
        return refused
    return redirect(url_for("tickets.track", code=ticket.tracking_code) + "#rate")


@linkviews.bp.post("/r/<token>/rate", endpoint="rate")
@limiter.limit(lambda: current_app.config["COMMUNITY_TRACKING_RATE"])
def rate_by_link(token):
    """The same rating from a texted link's page (on the links blueprint)."""
    link, refusal = linkviews.usable(token)
    if refusal:
        return refusal
    user = linkviews.visitor()
    refused = rate_or_ask_reasons(
        link.ticket, lambda answer: services.rate(link.ticket, user, utcnow(), answer, link=link),
        lambda: linkviews.page(token, link)[0])
    if refused is not None:
        return refused
    return redirect(url_for("tickets.track", code=link.ticket.tracking_code) + "#rate")


@bp.post("/work/tickets/<int:ticket_id>/callback-rating")
@staff_required
def callback_rating(ticket_id):
    """回访: a callback officer records the rating the resident gave on the phone."""
    from community.workqueue.permissions import visible_ticket
    from community.workqueue.views import ticket_page

    ticket = visible_ticket(current_user, ticket_id)
    form = RatingForm()
    done = submit(lambda: services.record_callback_rating(ticket, current_user, utcnow(),
                                                          answer_from(form), form.note.data or ""))
    if not done.ok:
        return ticket_page(ticket_id, status=done.status)
    flash(_("已记录回访评价。"))
    return redirect(url_for("workqueue.ticket_page", ticket_id=ticket_id))


def _commit_or_flash(call, message, back, page):
    """Commit and go back; refused: the same page again with the reason and the status."""
    done = submit(call, passes=NotFound)
    if not done.ok:
        return page(), done.status
    flash(message)
    return redirect(back)


def _newest_first_page(model, fetch):
    """A page of a newest-first list and the id "下一页" continues from (None on the last):
    `fetch(limit=, before=)` reads one row more than a page, below the row `?before=` names
    (a bound, never shown; an id that is no row gives the first page)."""
    size = current_app.config["COMMUNITY_PAGE_SIZE"]
    before_id = request.args.get("before", type=int)
    before = db.session.get(model, before_id) if before_id else None
    rows = fetch(limit=size + 1, before=before)
    return rows[:size], (rows[size - 1].id if len(rows) > size else None)


@bp.get("/ratings")
@staff_required
def ratings_list():
    # A page of the list, then "older" from its last one: 100 cards cost 50 ms of CPU to
    # render at 5M requests, where 50k showed a handful (issue 30).
    rows, older = _newest_first_page(Rating, lambda **page: appeals.ratings_for(current_user, **page))
    return render_template("ratings/list.html", ratings=rows, older=older,
                           appeal_form=AppealForm(formdata=None),
                           is_appellant=is_appellant, levels=Level,
                           sees_recorder=current_user.role in ("county", "supervisor", "admin"))


def _visible_rating(rating_id) -> Rating:
    rating = db.session.get(Rating, rating_id)
    if rating is None or not can_view(current_user, rating.ticket):
        raise NotFound()
    return rating


@bp.post("/ratings/<int:rating_id>/appeal")
@staff_required
def appeal(rating_id):
    rating = _visible_rating(rating_id)
    form = AppealForm()
    return _commit_or_flash(
        lambda: appeals.file_appeal(rating, current_user, utcnow(), form.reason.data or ""),
        _("申诉已提交，等待上一级审核。"), url_for("ratings.ratings_list"), ratings_list)


@bp.get("/ratings/appeals")
@staff_required
def appeals_list():
    # A page at a time, as /ratings: a street's list showed every appeal it ever had
    # (77 at 5M requests, 30 ms of CPU to render; one at 50k).
    rows, older = _newest_first_page(Appeal, lambda **page: appeals.appeals_for(current_user, **page))
    return render_template("ratings/appeals.html", appeals=rows, older=older,
                           decision_form=DecisionForm(formdata=None),
                           is_judge=is_judge)


@bp.post("/ratings/appeals/<int:appeal_id>/decide")
@staff_required
def decide(appeal_id):
    item = db.session.get(Appeal, appeal_id)
    if item is None or not can_view(current_user, item.rating.ticket):
        raise NotFound()
    form = DecisionForm()
    return _commit_or_flash(
        lambda: appeals.decide_appeal(item, current_user, utcnow(), form.uphold.data == "1",
                                      form.note.data or ""),
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
                           step_form=CaseStepForm(formdata=None),
                           worker=is_case_worker(current_user, case),
                           reviewer=is_reviewer(current_user, case.street_id, case.county_id),
                           reopen_running=cases.reopen_running(case))


CASE_STEPS = {
    "callback": (lambda c, u, now, f: cases.record_callback(c, u, now, f.reached.data == "1",
                                                          f.note.data or ""), _l("已记录回访。")),
    "explain": (lambda c, u, now, f: cases.explain(c, u, now, f.note.data or ""), _l("已提交说明。")),
    "reopen": (lambda c, u, now, f: cases.order_reopen(c, u, now, f.note.data or ""), _l("已重办。")),
    "close": (lambda c, u, now, f: cases.close_case(c, u, now, f.note.data or ""), _l("整改已结案。")),
}


@bp.post("/ratings/cases/<int:case_id>/<step>")
@staff_required
def case_step(case_id, step):
    case = cases.visible_case(current_user, case_id)
    if step not in CASE_STEPS:
        raise NotFound()
    call, message = CASE_STEPS[step]
    form = CaseStepForm()
    return _commit_or_flash(lambda: call(case, current_user, utcnow(), form),
                            str(message), url_for("ratings.case_page", case_id=case.id),
                            lambda: case_page(case.id))
