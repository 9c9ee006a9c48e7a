"""/admin/users, /admin/areas, /admin/categories, /admin/audit: thin views over the
services; admins only (auth.decorators.admin_required), every change audited there.
Each write goes through web.submit: commit, or roll back, flash why and show the page again."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from community.areas.models import PARENT_KIND, TIERS, UnitKind
from community.auth.models import STAFF_ROLES, Role
from community.sla.models import SLA_CLASSES
from community.auth.decorators import admin_required
from community.core.timeutil import utcnow
from community.web.forms import as_int
from community.web.submit import submit

from . import areas, audit, categories, users
from .forms import (ActiveForm, BoundariesForm, CategoryForm, ChildUnitForm, PasswordForm, RoleForm,
                    StaffAccountForm, UnitForm)

bp = Blueprint("admin", __name__, url_prefix="/admin")
ROLES = [r.value for r in Role]


def _again(done, template, form, **context):
    """A refused write (nothing kept, already flashed): the page again with what was typed."""
    return render_template(template, form=form, typed=form.sent(),
                           error_field=getattr(done.refusal, "field", None), **context), done.status


def _user_page(user):
    return dict(user=user, staff_roles=[r.value for r in STAFF_ROLES],
                history=audit.for_target(f"user:{user.id}"))


# -- users ---------------------------------------------------------------------

def _users_page(**extra):
    page = request.args.get("page", 1, type=int) or 1
    role = request.args.get("role", "") if request.args.get("role", "") in ROLES else ""
    rows, total, more = users.find_users(request.args.get("q", ""), role, page)
    return dict(rows=rows, total=total, more=more, page=page, page_size=users.PAGE, roles=ROLES,
                staff_roles=[r.value for r in STAFF_ROLES], q=request.args.get("q", ""), role=role, **extra)


@bp.get("/users")
@admin_required
def user_list():
    return render_template("admin/users.html", form=StaffAccountForm(formdata=None), typed={},
                           **_users_page())


@bp.post("/users")
@admin_required
def user_create():
    now, form = utcnow(), StaffAccountForm()
    done = submit(lambda: users.create_staff_account(
        current_user, now, username=form.username.data or "", role=form.role.data or "",
        unit_code=form.unit.data or "", name=form.name.data or ""))
    if not done.ok:
        return _again(done, "admin/users.html", form, **_users_page())
    user, password = done.value
    return render_template("admin/password.html", user=user, password=password, created=True)


@bp.get("/users/<int:user_id>")
@admin_required
def user_detail(user_id):
    user = users.get_user(user_id)
    return render_template("admin/user.html", form=RoleForm(formdata=None), typed={}, **_user_page(user))


@bp.post("/users/<int:user_id>/role")
@admin_required
def user_role(user_id):
    user, form = users.get_user(user_id), RoleForm()
    done = submit(lambda: users.change_role(current_user, utcnow(), user, role=form.role.data or "",
                                            unit_code=form.unit.data or ""))
    if not done.ok:
        return _again(done, "admin/user.html", form, **_user_page(user))
    flash(_("已保存。该账号需要重新登录。"))
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.post("/users/<int:user_id>/active")
@admin_required
def user_active(user_id):
    user, form = users.get_user(user_id), ActiveForm()
    done = submit(lambda: users.set_active(current_user, utcnow(), user, form.active.data == "1"))
    if not done.ok:
        return _again(done, "admin/user.html", form, **_user_page(user))
    flash(_("已启用。") if user.active else _("已停用：该账号已退出登录，不能再登录。"))
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.post("/users/<int:user_id>/password")
@admin_required
def user_password(user_id):
    user, form = users.get_user(user_id), PasswordForm()
    done = submit(lambda: users.reset_password(current_user, utcnow(), user))
    if not done.ok:
        return _again(done, "admin/user.html", form, **_user_page(user))
    password = done.value
    return render_template("admin/password.html", user=user, password=password, created=False)


# -- areas ---------------------------------------------------------------------

def _area_page(unit_id):
    unit = areas.get_unit(unit_id) if unit_id else None
    rows = areas.children(unit)
    kinds = [k.value for k, parent in PARENT_KIND.items() if unit is not None and parent == unit.kind]
    trail = []
    step = unit
    while step is not None:
        trail.insert(0, step)
        step = step.parent
    return dict(unit=unit, rows=rows, counts=areas.child_counts(rows), kinds=kinds, trail=trail)


@bp.get("/areas")
@admin_required
def area_list():
    return render_template("admin/areas.html", form=UnitForm(formdata=None), typed={},
                           **_area_page(request.args.get("unit", type=int)))


@bp.post("/areas/<int:unit_id>")
@admin_required
def area_update(unit_id):
    unit, form = areas.get_unit(unit_id), UnitForm()
    done = submit(lambda: areas.update_unit(current_user, utcnow(), unit, name=form.name.data or "",
                                            address_hints=form.address_hints.data,
                                            active=form.active.data == "1"))
    if not done.ok:
        return _again(done, "admin/areas.html", form, **_area_page(unit_id))
    flash(_("已保存。"))
    return redirect(url_for("admin.area_list", unit=unit.id))


@bp.post("/areas/<int:unit_id>/children")
@admin_required
def area_create(unit_id):
    parent, form = areas.get_unit(unit_id), ChildUnitForm()
    done = submit(lambda: areas.create_unit(current_user, utcnow(), parent, kind=form.kind.data or "",
                                            code=form.code.data or "", name=form.name.data or "",
                                            address_hints=form.address_hints.data or ""))
    if not done.ok:
        return _again(done, "admin/areas.html", form, **_area_page(unit_id))
    flash(_("已新建。"))
    return redirect(url_for("admin.area_list", unit=parent.id))


@bp.post("/areas/boundaries")
@admin_required
def area_boundaries():
    form = BoundariesForm()
    upload = form.file.data
    done = submit(lambda: areas.upload_boundaries(current_user, utcnow(), upload.read() if upload else b""))
    if not done.ok:
        return _again(done, "admin/areas.html", form, **_area_page(as_int(form.unit.data)))
    result = done.value
    flash(_("已载入 %(b)d 个网格边界、%(c)d 个中心点。", b=result["boundaries"], c=result["centres"]))
    return redirect(url_for("admin.area_list"))


# -- categories ----------------------------------------------------------------

def _category_context():
    return dict(tiers=[t.value for t in TIERS], classes=SLA_CLASSES,
                departments=areas.units_of_kind(UnitKind.DEPARTMENT))


@bp.get("/categories")
@admin_required
def category_list():
    return render_template("admin/categories.html", rows=categories.all_categories(),
                           form=CategoryForm(formdata=None), typed={"active": "1"}, **_category_context())


@bp.post("/categories")
@admin_required
def category_create():
    form = CategoryForm()
    done = submit(lambda: categories.create_category(current_user, utcnow(), form.data))
    if not done.ok:
        return _again(done, "admin/categories.html", form, rows=categories.all_categories(),
                      **_category_context())
    flash(_("已新建。"))
    return redirect(url_for("admin.category_list"))


@bp.get("/categories/<int:category_id>")
@admin_required
def category_detail(category_id):
    row = categories.get_category(category_id)
    return render_template("admin/category.html", row=row, form=CategoryForm(formdata=None), typed={},
                           **_category_context(),
                           history=audit.for_target(f"category:{row.code}"))


@bp.post("/categories/<int:category_id>")
@admin_required
def category_update(category_id):
    row, form = categories.get_category(category_id), CategoryForm()
    done = submit(lambda: categories.update_category(current_user, utcnow(), row, form.data))
    if not done.ok:
        return _again(done, "admin/category.html", form, row=row, **_category_context(),
                      history=audit.for_target(f"category:{row.code}"))
    flash(_("已保存。"))
    return redirect(url_for("admin.category_detail", category_id=row.id))


# -- audit ---------------------------------------------------------------------

@bp.get("/audit")
@admin_required
def audit_log():
    return render_template("admin/audit.html", rows=audit.recent(request.args.get("action", "")))
