"""Who may do what with a project.

- residents whose registered community is the project's propose, discuss, vote and rate;
- the community office (社区工作者 of that community) manages the project;
- the tier's approver approves it: 一级 the community office after the resident
  meeting (居民自治), 二级 the street office, 三级 the county;
- spending past the approved budget needs the street (一级, 二级) or the county (三级);
- staff of the street and county above see their communities' projects; admin sees all.
Staff of any other community, street or county get 404, as for requests.
"""
from sqlalchemy import false, true

from community.auth.models import Role, User
from community.errors import NotAllowed, NotFound
from community.extensions import db

from .models import Project

APPROVER_ROLE = {1: Role.COMMUNITY, 2: Role.STREET, 3: Role.COUNTY}
BUDGET_APPROVER_ROLE = {1: Role.STREET, 2: Role.STREET, 3: Role.COUNTY}
_SCOPE = {Role.COMMUNITY: "community_id", Role.STREET: "street_id", Role.COUNTY: "county_id"}


def _signed_in(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def is_member(user: User | None, project_or_community_id) -> bool:
    """A resident registered in the project's community."""
    community_id = getattr(project_or_community_id, "community_id", project_or_community_id)
    return _signed_in(user) and user.is_resident and user.home_community_id == community_id


def in_scope(user: User | None, project: Project) -> bool:
    """Staff whose unit contains the project's community."""
    if not _signed_in(user) or not user.is_staff:
        return False
    if user.role == Role.ADMIN:
        return True
    column = _SCOPE.get(Role(user.role))
    return column is not None and getattr(project, column) == user.unit_id


def can_view(user, project) -> bool:
    return is_member(user, project) or in_scope(user, project)


def can_manage(user, project) -> bool:
    return _signed_in(user) and user.role == Role.COMMUNITY and user.unit_id == project.community_id


def can_approve(user, project) -> bool:
    role = APPROVER_ROLE[project.level]
    return (_signed_in(user) and user.role == role
            and getattr(project, _SCOPE[role]) == user.unit_id)


def can_approve_budget(user, project) -> bool:
    role = BUDGET_APPROVER_ROLE[project.level]
    return (_signed_in(user) and user.role == role
            and getattr(project, _SCOPE[role]) == user.unit_id)


def visible_project(user, project_id: int) -> Project:
    """The project for a signed-in member or staff in scope; NotFound for everyone else."""
    project = db.session.get(Project, project_id)
    if project is None or not can_view(user, project):
        raise NotFound()
    return project


def require(check, user, project) -> None:
    if not check(user, project):
        raise NotAllowed()


def scope_filter(user: User):
    """A WHERE clause limiting a project query to what `user` may see."""
    if user.role == Role.ADMIN:
        return true()
    if user.is_resident:
        return Project.community_id == user.home_community_id if user.home_community_id else false()
    column = _SCOPE.get(Role(user.role))
    return getattr(Project, column) == user.unit_id if column else false()


def managed_community_ids(user: User) -> list[int] | None:
    """Communities whose lists the user sees: None means all (admin)."""
    from community.areas.models import Unit, UnitKind
    from sqlalchemy import select

    if user.role == Role.ADMIN:
        return None
    if user.role == Role.COMMUNITY:
        return [user.unit_id]
    column = {Role.STREET: Unit.street_id, Role.COUNTY: Unit.county_id}.get(Role(user.role))
    if column is None:
        return []
    return list(db.session.scalars(select(Unit.id).where(
        Unit.kind == UnitKind.COMMUNITY, column == user.unit_id, Unit.active.is_(True))))
