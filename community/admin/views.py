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
from community.web.submit import submit

from . import areas, audit, categories, users

bp = Blueprint("admin", __name__, url_prefix="/admin")
ROLES = [r.value for r in Role]


def _again(done, template, **context):
    """A refused write (nothing kept, already flashed): the page again with what was typed."""
    return render_template(template, form=request.form, error_field=getattr(done.refusal, "field", None),
                           **context), done.status


def _user_page(user):
    return dict(user=user, staff_roles=[r.value for r in STAFF_ROLES],
                history=audit.for_target(f"user:{user.id}"))


# -- users ---------------------------------------------------------------------

def _users_page(**extra):
    page = request.args.get("page", 1, type=int) or 1
    role = request.args.get("role", "") if request.args.get("role", "") in ROLES else ""
    rows, total = users.find_users(request.args.get("q", ""), role, page)
    return dict(rows=rows, total=total, page=page, page_size=users.PAGE, roles=ROLES,
                staff_roles=[r.value for r in STAFF_ROLES], q=request.args.get("q", ""), role=role, **extra)


@bp.get("/users")
@admin_required
def user_list():
    return render_template("admin/users.html", form={}, **_users_page())


@bp.post("/users")
@admin_required
def user_create():
    now = utcnow()
    done = submit(lambda: users.create_staff_account(
        current_user, now, username=request.form.get("username", ""), role=request.form.get("role", ""),
        unit_code=request.form.get("unit", ""), name=request.form.get("name", "")))
    if not done.ok:
        return _again(done, "admin/users.html", **_users_page())
    user, password = done.value
    return render_template("admin/password.html", user=user, password=password, created=True)


@bp.get("/users/<int:user_id>")
@admin_required
def user_detail(user_id):
    user = users.get_user(user_id)
    return render_template("admin/user.html", form={}, **_user_page(user))


@bp.post("/users/<int:user_id>/role")
@admin_required
def user_role(user_id):
    user = users.get_user(user_id)
    done = submit(lambda: users.change_role(current_user, utcnow(), user, role=request.form.get("role", ""),
                                            unit_code=request.form.get("unit", "")))
    if not done.ok:
        return _again(done, "admin/user.html", **_user_page(user))
    flash(_("已保存。该账号需要重新登录。"))
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.post("/users/<int:user_id>/active")
@admin_required
def user_active(user_id):
    user = users.get_user(user_id)
    done = submit(lambda: users.set_active(current_user, utcnow(), user, request.form.get("active") == "1"))
    if not done.ok:
        return _again(done, "admin/user.html", **_user_page(user))
    flash(_("已启用。") if user.active else _("已停用：该账号已退出登录，不能再登录。"))
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.post("/users/<int:user_id>/password")
@admin_required
def user_password(user_id):
    user = users.get_user(user_id)
    done = submit(lambda: users.reset_password(current_user, utcnow(), user))
    if not done.ok:
        return _again(done, "admin/user.html", **_user_page(user))
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
    return render_template("admin/areas.html", form={}, **_area_page(request.args.get("unit", type=int)))


@bp.post("/areas/<int:unit_id>")
@admin_required
def area_update(unit_id):
    unit = areas.get_unit(unit_id)
    done = submit(lambda: areas.update_unit(current_user, utcnow(), unit, name=request.form.get("name", ""),
                                            address_hints=request.form.get("address_hints"),
                                            active=request.form.get("active") == "1"))
    if not done.ok:
        return _again(done, "admin/areas.html", **_area_page(unit_id))
    flash(_("已保存。"))
    return redirect(url_for("admin.area_list", unit=unit.id))


@bp.post("/areas/<int:unit_id>/children")
@admin_required
def area_create(unit_id):
    parent = areas.get_unit(unit_id)
    done = submit(lambda: areas.create_unit(current_user, utcnow(), parent, kind=request.form.get("kind", ""),
                                            code=request.form.get("code", ""), name=request.form.get("name", ""),
                                            address_hints=request.form.get("address_hints", "")))
    if not done.ok:
        return _again(done, "admin/areas.html", **_area_page(unit_id))
    flash(_("已新建。"))
    return redirect(url_for("admin.area_list", unit=parent.id))


@bp.post("/areas/boundaries")
@admin_required
def area_boundaries():
    upload = request.files.get("file")
    done = submit(lambda: areas.upload_boundaries(current_user, utcnow(), upload.read() if upload else b""))
    if not done.ok:
        return _again(done, "admin/areas.html", **_area_page(request.form.get("unit", type=int)))
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
                           form={"active": "1"}, **_category_context())


@bp.post("/categories")
@admin_required
def category_create():
    done = submit(lambda: categories.create_category(current_user, utcnow(), request.form))
    if not done.ok:
        return _again(done, "admin/categories.html", rows=categories.all_categories(), **_category_context())
    flash(_("已新建。"))
    return redirect(url_for("admin.category_list"))


@bp.get("/categories/<int:category_id>")
@admin_required
def category_detail(category_id):
    row = categories.get_category(category_id)
    return render_template("admin/category.html", row=row, form=None, **_category_context(),
                           history=audit.for_target(f"category:{row.code}"))


@bp.post("/categories/<int:category_id>")
@admin_required
def category_update(category_id):
    row = categories.get_category(category_id)
    done = submit(lambda: categories.update_category(current_user, utcnow(), row, request.form))
    if not done.ok:
        return _again(done, "admin/category.html", row=row, **_category_context(),
                      history=audit.for_target(f"category:{row.code}"))
    flash(_("已保存。"))
    return redirect(url_for("admin.category_detail", category_id=row.id))


# -- audit ---------------------------------------------------------------------

@bp.get("/audit")
@admin_required
def audit_log():
    return render_template("admin/audit.html", rows=audit.recent(request.args.get("action", "")))
