"""三项清单 pages for staff: needs, resources (CRUD for the community office), projects,
and the matching of one community."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from community.areas.models import Unit
from community.core.errors import NotFound, ValidationFailed
from community.core.extensions import db
from community.core.paging import positive_number
from community.web.forms import as_int
from community.web.submit import submit
from community.tickets.models import Category
from community.core.timeutil import utcnow
from community.auth.decorators import office_required, staff_required

from . import lists, listscope
from .forms import LinkNeedForm, ResourceForm
from .models import Project
from .views import _category_choices, bp


@bp.get("/projects/lists")
@staff_required
def three_lists():
    return _lists_page()


def _lists_page(status=200):
    """The chosen community's lists, and the needs of one page of the communities in scope."""
    args, error = request.args, None
    try:
        scope = listscope.list_scope(current_user, positive_number(args, "county"),
                                     positive_number(args, "street"), positive_number(args, "page"))
    except ValidationFailed as exc:  # the first page, unfiltered, with the message
        scope, error, status = listscope.list_scope(current_user), exc, exc.status
    chosen = listscope.chosen(scope, args.get("community", type=int))
    if chosen is None and not scope.filtered:
        raise NotFound()
    now = utcnow()
    by_id = {c.id: c for c in scope.communities}
    links = {c.id: url_for("projects.three_lists", community=c.id, **scope.args()) for c in scope.communities}
    if chosen is None:  # a county or street without communities
        return render_template("projects/lists.html", scope=scope, chosen=None, by_id=by_id, needs=[], links=links,
                               filter_error=error, weeks=lists.window(now)[2]), status
    categories = {c.id: c for c in db.session.scalars(select(Category))}
    projects = list(db.session.scalars(select(Project).where(Project.community_id == chosen.id)
                                       .order_by(Project.created_at.desc())))
    resources = lists.resources_of(chosen.id)
    needs = lists.needs(list(by_id), now)
    own = [n for n in needs if n.community_id == chosen.id] if chosen.id in by_id else None
    return render_template(
        "projects/lists.html", scope=scope, chosen=chosen, by_id=by_id, links=links, filter_error=error,
        categories=categories, needs=needs,
        weekly=lists.weekly_requests(chosen.id, now), weeks=lists.window(now)[2], resources=resources,
        projects=projects, matches=lists.matching(chosen.id, now, categories, resources, own),
        office=current_user.role == "community" and current_user.unit_id == chosen.id,
        link_form=LinkNeedForm(formdata=None)), status


@bp.post("/projects/lists/links")
@office_required
def link_need():
    """对接: a need of the office's community answered by one of its resources."""
    form = LinkNeedForm()
    done = submit(lambda: lists.link_need(current_user, utcnow(), category_code=form.category.data or "",
                                          resource_id=as_int(form.resource.data), note=form.note.data or ""))
    if not done.ok:
        return _lists_page(done.status)
    flash(_("已对接。"))
    return redirect(url_for("projects.three_lists", community=current_user.unit_id))


@bp.post("/projects/lists/links/<int:link_id>/end")
@office_required
def unlink_need(link_id):
    lists.unlink_need(current_user, utcnow(), link_id)
    db.session.commit()
    flash(_("已取消对接。"))
    return redirect(url_for("projects.three_lists", community=current_user.unit_id))


@bp.get("/public/communities/<code>/lists")
def public_lists(code):
    """The 三项清单 as the public may read them: counts, resources without contacts or
    people's names, projects not hidden; no request text at all."""
    community = db.session.scalar(select(Unit).where(Unit.code == code, Unit.kind == "community",
                                                     Unit.active.is_(True)))
    if community is None:
        raise NotFound()
    now = utcnow()
    return render_template(
        "projects/public_lists.html", community=community, matches=lists.matching(community.id, now),
        resources=lists.resources_of(community.id), weeks=lists.window(now)[2],
        projects=list(db.session.scalars(select(Project).where(
            Project.community_id == community.id, Project.hidden_at.is_(None))
            .order_by(Project.created_at.desc()))),
        public_resource_name=lists.public_resource_name)


def _resource_form(resource=None):
    form = ResourceForm(obj=resource) if request.method == "GET" else ResourceForm()
    form.categories.choices = _category_choices()[1:]
    if request.method == "GET" and resource is not None:
        form.categories.data = resource.category_codes()
        form.capacity.data = "" if resource.capacity is None else str(resource.capacity)
    return form


@bp.route("/projects/resources/new", methods=["GET", "POST"])
@bp.route("/projects/resources/<int:resource_id>", methods=["GET", "POST"])
@office_required
def resource_edit(resource_id=None):
    resource = lists.resource_for_edit(current_user, resource_id) if resource_id else None
    form = _resource_form(resource)
    status = 200
    if form.validate_on_submit():
        done = submit(lambda: lists.save_resource(
            current_user, utcnow(), kind=form.kind.data, name=form.name.data, hours=form.hours.data,
            skills=form.skills.data, capacity=form.capacity.data, contact=form.contact.data,
            categories=form.categories.data or [], note=form.note.data, resource=resource),
            form=form, field="name")
        if done.ok:
            flash(_("资源已保存。"))
            return redirect(url_for("projects.three_lists", community=current_user.unit_id))
        status = done.status
    elif form.errors:
        status = 400
    return render_template("projects/resource_form.html", form=form, resource=resource), status


@bp.post("/projects/resources/<int:resource_id>/retire")
@office_required
def resource_retire(resource_id):
    resource = lists.resource_for_edit(current_user, resource_id)
    lists.retire_resource(current_user, utcnow(), resource)
    db.session.commit()
    flash(_("资源已停用。"))
    return redirect(url_for("projects.three_lists", community=current_user.unit_id))
