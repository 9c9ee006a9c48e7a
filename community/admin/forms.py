"""The admin pages' forms: plain text, checked by the admin services, which name the
field at fault (the page shows it again with what was typed: Form.sent)."""
from flask_wtf.file import FileField

from community.web.forms import text_form

StaffAccountForm = text_form("StaffAccountForm", "username", "name", "role", "unit")
RoleForm = text_form("RoleForm", "role", "unit")
ActiveForm = text_form("ActiveForm", "active")
PasswordForm = text_form("PasswordForm", doc="A new password for the account: only the CSRF token.")
UnitForm = text_form("UnitForm", "name", "address_hints", "active")
ChildUnitForm = text_form("ChildUnitForm", "kind", "code", "name", "address_hints")
CategoryForm = text_form("CategoryForm", "code", "name_zh", "name_en", "default_tier", "sla_class",
                         "department", "department_duty", "sort_order", "active")


class BoundariesForm(text_form("_BoundariesFields", "unit")):
    """Grid boundaries (GeoJSON) uploaded from the areas page; `unit` is the page's unit."""
    file = FileField()
