"""Categories as the admin edits them (DOMAIN.md: admin-editable): names in both
languages, default tier, clock class, department duty and the department, active.
A code is fixed once made: requests, SLA policies and upstream tables name it."""
import re
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from community.areas.models import TIERS, UnitKind
from community.areas.services import unit_by_code
from community.core.errors import NotFound, ValidationFailed
from community.core.extensions import db
from community.sla.models import SLA_CLASSES
from community.tickets.models import Category

from . import audit

CODE = re.compile(r"^[A-Z][A-Z0-9]{1,7}$")


def all_categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.sort_order, Category.code)))


def get_category(category_id: int) -> Category:
    row = db.session.get(Category, category_id)
    if row is None:
        raise NotFound()
    return row


def _values(form: dict) -> dict:
    """The editable fields, checked; every problem raises before anything changes."""
    name_zh, name_en = (form.get("name_zh") or "").strip(), (form.get("name_en") or "").strip()
    if not 1 <= len(name_zh) <= 50:
        raise ValidationFailed(_("中文名称为 1 到 50 个字。"), field="name_zh")
    if not 1 <= len(name_en) <= 80:
        raise ValidationFailed(_("英文名称为 1 到 80 个字符。"), field="name_en")
    tier = form.get("default_tier") or ""
    if tier not in [t.value for t in TIERS]:
        raise ValidationFailed(_("请选择默认办理层级。"), field="default_tier")
    sla_class = form.get("sla_class") or ""
    if sla_class not in SLA_CLASSES:
        raise ValidationFailed(_("请选择时限类别。"), field="sla_class")
    department = None
    code = (form.get("department") or "").strip()
    if code:
        department = unit_by_code(code)
        if department is None or department.kind != UnitKind.DEPARTMENT:
            raise ValidationFailed(_("没有这个部门编码。"), field="department")
    try:
        sort_order = int(form.get("sort_order") or 0)
    except ValueError:
        raise ValidationFailed(_("排序应为整数。"), field="sort_order") from None
    return {"name_zh": name_zh, "name_en": name_en, "default_tier": tier, "sla_class": sla_class,
            "department_duty": bool(form.get("department_duty")), "department_id":
            department.id if department else None, "sort_order": sort_order,
            "active": bool(form.get("active"))}


def create_category(actor, now: datetime, form: dict) -> Category:
    code = (form.get("code") or "").strip().upper()
    if not CODE.match(code):
        raise ValidationFailed(_("编码为 2 到 8 位大写字母或数字，以字母开头。"), field="code")
    if db.session.scalar(select(Category.id).where(Category.code == code)):
        raise ValidationFailed(_("这个编码已经存在。"), field="code")
    values = _values(form)
    row = Category(code=code, **values)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, now, "category.create", f"category:{code}", **values)
    return row


def update_category(actor, now: datetime, row: Category, form: dict) -> None:
    values = _values(form)
    before = {name: getattr(row, name) for name in values}
    changed = {name: value for name, value in values.items() if before[name] != value}
    if not changed:
        return
    for name, value in changed.items():
        setattr(row, name, value)
    audit.record(actor, now, "category.update", f"category:{row.code}",
                 before={n: before[n] for n in changed}, after=changed)
