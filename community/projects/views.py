"""Project pages for residents and staff: the library, one project and its actions."""
from datetime import date

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   send_file, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from community.core.errors import NotFound, ValidationFailed
from community.core.extensions import db, limiter
from community.web.forms import as_int
from community.web.submit import submit
from community.tickets.access import can_view as can_view_ticket
from community.tickets.models import Category, Ticket
from community.tickets.services import active_categories
from community.residency.services import verified_community_id
from community.core.timeutil import to_local, utcnow

from . import access, budget, deliberation, judging, rectify, rules, services
from .forms import MeetingForm, ProjectActionForm, ProposalForm
from .labels import template_globals
from .models import Meeting
from .payees import public_payee

bp = Blueprint("projects", __name__)


@bp.app_context_processor
def _globals():
    def project_of_ticket(ticket):
        return services.project_of_ticket(ticket.id)

    return {**template_globals(), "project_of_ticket": project_of_ticket, "yuan": budget.yuan,
            "can_manage_project": access.can_manage, "public_payee": public_payee,
            "can_see_project_lists": lambda: access.can_see_lists(current_user),
            "can_read_project_rules": lambda: access.can_read_rules(current_user)}


def _category_choices():
    return [("", _("请选择类别"))] + [(c.code, c.name_zh) for c in active_categories()]


def _post_rate():
    return current_app.config["COMMUNITY_PROJECT_POST_RATE"]


@bp.get("/projects")
@login_required
def index():
    state = request.args.get("state") or None
    return render_template("projects/index.html", projects=services.projects_for(current_user, state),
                           state=state, can_propose=access.is_member(
                               current_user, current_user.home_community_id or -1)
                           or current_user.role == "community",
                           unverified=current_user.is_resident
                           and verified_community_id(current_user) is None)


@bp.route("/projects/new", methods=["GET", "POST"])
@login_required
@limiter.limit(_post_rate, methods=["POST"], key_func=lambda: f"proj:{current_user.get_id()}")
def new():
    ticket = _promoted_ticket()
    need = _need_category()
    form = ProposalForm()
    form.category.choices = _category_choices()
    if request.method == "GET" and ticket is not None:
        form.title.data = ticket.text[:30]
        form.description.data = ticket.text
        form.category.data = ticket.category.code
    if request.method == "GET" and need is not None:
        form.category.data = need.code
        form.description.data = _("居民需求清单显示，本社区近期“%(name)s”类需求没有服务资源或项目对接。",
                                  name=need.name_zh)
    status = 200
    if form.validate_on_submit():
        done = submit(lambda: services.propose(current_user, utcnow(), title=form.title.data,
                                               description=form.description.data,
                                               category_code=form.category.data or None, ticket=ticket,
                                               from_need=need is not None), form=form, field="title")
        if done.ok:
            flash(_("项目已提交，进入征集阶段。"))
            return redirect(url_for("projects.show", project_id=done.value.id))
        status = done.status
    elif form.errors:
        status = 400
    return render_template("projects/new.html", form=form, ticket=ticket, need=need,
                           unverified=current_user.is_resident
                           and verified_community_id(current_user) is None), status


def _need_category():
    """?need=CODE: the office turns an unmet need of the 三项清单 into a proposal."""
    code = request.args.get("need")
    if not code:
        return None
    if current_user.role != "community":
        raise NotFound()
    category = db.session.scalar(select(Category).where(Category.code == code))
    if category is None:
        raise NotFound()
    return category


def _promoted_ticket():
    ticket_id = request.args.get("ticket", type=int)
    if ticket_id is None:
        return None
    ticket = db.session.get(Ticket, ticket_id)
    if (ticket is None or current_user.role != "community" or not can_view_ticket(current_user, ticket)
            or ticket.community_id != current_user.unit_id):
        raise NotFound()
    return ticket


@bp.get("/projects/<int:project_id>")
@login_required
def show(project_id, status=200, meeting_form=None):
    project = access.visible_project(current_user, project_id)
    today = to_local(utcnow()).date()
    manage = access.can_manage(current_user, project)
    return render_template(
        "projects/show.html", project=project, today=today, manage=manage,
        run=access.can_run(current_user, project), lead=access.is_lead(current_user, project),
        approver=access.can_approve(current_user, project),
        rejecter=access.can_reject(current_user, project),
        overseer=access.can_oversee(current_user, project),
        member=access.is_member(current_user, project),
        unverified=current_user.is_resident and not access.is_member(current_user, project),
        posts=deliberation.thread(project), votes=deliberation.vote_counts(project.id),
        my_vote=deliberation.my_vote(project, current_user),
        my_rating=judging.my_rating(project, current_user),
        figures=judging.project_figures(project.id), money=budget.summary(project),
        result=deliberation.deliberation_result(project), rules=rules.for_project(project),
        judging_ends=judging.judging_ends(project), case=rectify.case_of(project),
        comments=judging.comments(project) if access.can_read_comments(current_user, project) else [],
        sources=budget.planned_sources(project),
        tickets=[t for t in services.linked_tickets(project) if can_view_ticket(current_user, t)],
        meeting_form=meeting_form or MeetingForm(), categories=_category_choices(),
        action_form=ProjectActionForm(formdata=None),
        units=services.related_units(project) if manage else [],
    ), status


def _f(form, name):
    return getattr(form, name).data or ""


def _day(form, name):
    try:
        return date.fromisoformat(_f(form, name))
    except ValueError:
        return None


# Each action: (service call, message). The services check who may, and every rule.
ACTIONS = {
    "deliberate": (lambda p, u, now, f: services.open_deliberation(p, u, now), _l("已进入协商议事。")),
    "approve": (lambda p, u, now, f: services.approve(p, u, now, _f(f, "note")), _l("已批准立项。")),
    "reject": (lambda p, u, now, f: services.reject(p, u, now, _f(f, "reason")), _l("已记录不予立项。")),
    "start": (lambda p, u, now, f: services.start(p, u, now), _l("项目开始实施。")),
    "complete": (lambda p, u, now, f: services.complete(p, u, now, _f(f, "note")), _l("项目已完成，居民可以评价了。")),
    "evaluate": (lambda p, u, now, f: judging.close(p, u, now, insufficient=_f(f, "insufficient") == "1"),
                 _l("群众评判已结束。")),
    "hide": (lambda p, u, now, f: services.hide_proposal(p, u, now, _f(f, "reason")), _l("提议已隐藏，理由已公开。")),
    "hide_post": (lambda p, u, now, f: deliberation.hide_post(p, u, now, as_int(f.post.data),
                                                          _f(f, "reason")), _l("发言已隐藏，理由已公开。")),
    "meeting_set": (lambda p, u, now, f: deliberation.announce_meeting(p, u, now, when=_f(f, "when"),
                                                                   place=_f(f, "place")),
                    _l("会议已安排，将通知本社区居民。")),
    "reverse": (lambda p, u, now, f: budget.reverse_spending(p, u, now, as_int(f.line.data),
                                                         _f(f, "reason")), _l("已登记冲销。")),
    "rectify_report": (lambda p, u, now, f: rectify.report(p, u, now, _f(f, "report")), _l("整改情况已报送。")),
    "rectify_review": (lambda p, u, now, f: rectify.review(p, u, now, _f(f, "accept") == "1", _f(f, "note")),
                       _l("审核意见已记录。")),
    "plan": (lambda p, u, now, f: services.set_plan(
        p, u, now, level=as_int(f.level.data), lead_unit_id=as_int(
            f.lead_unit.data), category_code=_f(f, "category") or None), _l("计划已更新。")),
    "partner": (lambda p, u, now, f: services.add_partner(
        p, u, now, kind=_f(f, "kind"), unit_id=as_int(f.unit.data), name=_f(f, "name"),
        duty=_f(f, "duty")), _l("已添加合作单位。")),
    "milestone": (lambda p, u, now, f: services.add_milestone(p, u, now, title=_f(f, "title"),
                                                          due_on=_day(f, "due_on")), _l("已添加节点。")),
    "milestone_done": (lambda p, u, now, f: services.finish_milestone(
        p, u, now, as_int(f.milestone.data), _day(f, "done_on")), _l("节点已登记完成。")),
    "funding": (lambda p, u, now, f: budget.add_funding(p, u, now, source=_f(f, "source"), amount=_f(f, "amount"),
                                                    note=_f(f, "note")), _l("已添加资金来源。")),
    "spending": (lambda p, u, now, f: budget.add_spending(
        p, u, now, spent_on=_day(f, "spent_on"), item=_f(f, "item"), amount=_f(f, "amount"),
        source=_f(f, "source"), payee=_f(f, "payee"), payee_kind=_f(f, "payee_kind")), _l("支出已登记。")),
    "budget_extra": (lambda p, u, now, f: budget.approve_extra(p, u, now, amount=_f(f, "amount"),
                                                           reason=_f(f, "reason")), _l("已批准追加预算。")),
    "post": (lambda p, u, now, f: deliberation.post(p, u, now, _f(f, "body")), _l("发言已发布。")),
    "vote": (lambda p, u, now, f: deliberation.vote(p, u, now, _f(f, "choice")), _l("已记录您的意见。")),
    "rate": (lambda p, u, now, f: judging.rate(p, u, now, _f(f, "satisfaction"), _f(f, "comment")),
             _l("感谢您的评价。")),
}


@bp.post("/projects/<int:project_id>/<action>")
@login_required
@limiter.limit(_post_rate, key_func=lambda: f"proj:{current_user.get_id()}",
               exempt_when=lambda: current_user.is_authenticated and current_user.is_staff)
def act(project_id, action):
    project = access.visible_project(current_user, project_id)  # 404 before anything else
    if action not in ACTIONS:
        raise NotFound()
    call, message, form = *ACTIONS[action], ProjectActionForm()
    done = submit(lambda: call(project, current_user, utcnow(), form), show=False,
                  raced=(StaleDataError, _("项目刚被其他人修改，请刷新后重试。")))
    if not done.ok:
        return _refused(project_id, done.refusal)
    flash(str(message))
    return redirect(url_for("projects.show", project_id=project_id))


def _refused(project_id, exc, meeting_form=None):
    """Show the project again with the reason; nothing was written."""
    flash(str(exc.message), "error")
    return show(project_id, status=exc.status, meeting_form=meeting_form)


@bp.post("/projects/<int:project_id>/meeting")
@login_required
def meeting(project_id):
    project = access.visible_project(current_user, project_id)
    form = MeetingForm()
    if not form.validate_on_submit():
        return show(project_id, status=400, meeting_form=form)
    written = []  # the meeting row, once made: its minutes file goes if the write fails

    def record():
        upload = request.files.get("minutes")
        minutes = (deliberation.read_minutes(upload.stream, upload.filename)
                   if upload and upload.filename else None)
        access.require(access.can_manage, current_user, project)
        if not form.attest.data:  # the recorder signs for what the record says
            raise ValidationFailed(_("请签名并确认记录属实。"), field="attest")
        written.append(deliberation.record_meeting(
            project, current_user, utcnow(), held_on=form.held_on.data, attendees=form.attendees.data,
            supporters=form.supporters.data, opposers=form.opposers.data, decision=form.decision.data,
            signed_name=form.signed_name.data, summary=form.summary.data, minutes=minutes))

    done = submit(record, form=form, field="summary",  # no file without its row
                  undo=lambda: deliberation.discard_minutes_file(written[0] if written else None))
    if not done.ok:
        return _refused(project_id, done.refusal, meeting_form=form)
    flash(_("议事会议已登记。"))
    return redirect(url_for("projects.show", project_id=project_id))


@bp.get("/projects/<int:project_id>/meetings/<int:meeting_id>/minutes")
@login_required
def minutes(project_id, meeting_id):
    """Members and staff in scope only; sent as a download that the browser will not run."""
    project = access.visible_project(current_user, project_id)
    item = db.session.get(Meeting, meeting_id)
    if item is None or item.project_id != project.id:
        abort(404)
    path = deliberation.minutes_path(item)
    if path is None:
        abort(404)
    response = send_file(path, mimetype=item.minutes_type, as_attachment=True,
                         download_name=f"minutes-{project.id}-{item.id}.{path.suffix.lstrip('.')}")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
