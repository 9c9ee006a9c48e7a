"""三项清单 pages for staff: needs, resources (CRUD for the community office), projects,
and the matching of one community."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from community.areas.models import Unit
from community.core.errors import NotFound
from community.core.extensions import db
from community.web.forms import as_int
from community.web.submit import submit
from community.tickets.models import Category
from community.core.timeutil import utcnow
from community.auth.decorators import office_required, staff_required

from . import access, lists
from .forms import LinkNeedForm, ResourceForm
from .models import Project
from .views import _category_choices, bp


def _communities(user) -> list[Unit]:
    ids = access.managed_community_ids(user)
    query = select(Unit).where(Unit.kind == "community", Unit.active.is_(True)).order_by(Unit.code)
    if ids is not None:
        query = query.where(Unit.id.in_(ids))
    return list(db.session.scalars(query))


@bp.get("/projects/lists")
@staff_required
def three_lists():
    communities = _communities(current_user)
    if not communities:
        raise NotFound()
    by_id = {c.id: c for c in communities}
    chosen = by_id.get(request.args.get("community", type=int)) or communities[0]
    now = utcnow()
    categories = {c.id: c for c in db.session.scalars(select(Category))}
    projects = list(db.session.scalars(select(Project).where(Project.community_id == chosen.id)
                                       .order_by(Project.created_at.desc())))
    return render_template(
        "projects/lists.html", communities=communities, chosen=chosen, by_id=by_id,
        categories=categories, needs=lists.needs(list(by_id), now),
        weekly=lists.weekly_requests(chosen.id, now), weeks=lists.window(now)[2],
        resources=lists.resources_of(chosen.id), projects=projects,
        matches=lists.matching(chosen.id, now),
        office=current_user.role == "community" and current_user.unit_id == chosen.id,
        link_form=LinkNeedForm(formdata=None))


@bp.post("/projects/lists/links")
@office_required
def link_need():
    """对接: a need of the office's community answered by one of its resources."""
    form = LinkNeedForm()
    done = submit(lambda: lists.link_need(current_user, utcnow(), category_code=form.category.data or "",
                                          resource_id=as_int(form.resource.data), note=form.note.data or ""))
    if not done.ok:
        return three_lists(), done.status
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
