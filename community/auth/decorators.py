"""Who may open a page, said once above the view: signed in (else the sign-in page),
then of the right role (else a refusal). What a page shows inside its scope is the
domain's rule (tickets.access, projects.access, stats.access …)."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from .models import STAFF_ROLES, Role


def role_required(*roles: Role, refuse: int = 404):
    """Signed in with one of `roles`. Anyone else signed in gets `refuse`: 404 where the
    page's very existence is not theirs to learn, 403 where it is public knowledge (the
    admin pages)."""
    allowed = frozenset(roles)

    def decorate(view):
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if current_user.role not in allowed:
                abort(refuse)
            return view(*args, **kwargs)
        return wrapper
    return decorate


# Staff pages (工作台, figures, ratings): a resident learns nothing of them.
staff_required = role_required(*STAFF_ROLES)
# The admin's pages: other staff and residents are refused.
admin_required = role_required(Role.ADMIN, refuse=403)
# Pages only residents have (their own data, their residency).
resident_required = role_required(Role.RESIDENT)
# The community office's pages (三项清单 management).
office_required = role_required(Role.COMMUNITY)
