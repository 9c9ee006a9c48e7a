"""Who may do what with a project: one place for every rule, called by the services,
the pages and "which buttons to show".

- residents verified in the project's community (community.residency) propose,
  discuss, vote and rate; a resident who only named the community at sign-up sees
  its projects and is told how to get verified;
- the community office (社区工作者 of that community) manages the project;
- the lead unit (牵头单位: the street, the county or a county department) sees its
  project and runs its delivery (start, milestones, spending, completion);
- decisions follow the tiers: 一级 the community office after the residents' vote
  (居民自治), 二级 the street, 三级 the county. A unit may undo a decision only if it
  stands at the deciding tier or above: a community cannot reject what its street
  approved;
- spending past the approved budget and the 整改 review need the tier above the
  office: the street (一级, 二级) or the county (三级);
- staff of the street and county above see their communities' projects; admin sees all.
Staff of any other community, street or county get 404, as for requests.
"""
from sqlalchemy import false, or_, true

from community.auth.models import Role, User
from community.auth.scope import scope_column
from community.core.errors import NotAllowed, NotFound
from community.core.extensions import db
from community.residency.services import verified_community_id

from .models import Project
from .states import ProjectState

TIER = {Role.COMMUNITY: 1, Role.STREET: 2, Role.COUNTY: 3}
APPROVER_ROLE = {1: Role.COMMUNITY, 2: Role.STREET, 3: Role.COUNTY}
OVERSIGHT_ROLE = {1: Role.STREET, 2: Role.STREET, 3: Role.COUNTY}


def _signed_in(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def is_member(user: User | None, project_or_community_id) -> bool:
    """A resident verified in the project's community: may propose, discuss, vote, rate."""
    community_id = getattr(project_or_community_id, "community_id", project_or_community_id)
    return _signed_in(user) and user.is_resident and verified_community_id(user) == community_id


def is_neighbour(user: User | None, project: Project) -> bool:
    """A resident who named or verified the community: may read its projects."""
    return _signed_in(user) and user.is_resident and project.community_id in (
        user.home_community_id, verified_community_id(user))


def tier_of(user: User | None, project: Project) -> int:
    """1, 2 or 3 for the community office, street or county above the project; 0 else."""
    if not _signed_in(user) or user.role not in TIER:
        return 0
    column = scope_column(user, Project)
    return TIER[Role(user.role)] if getattr(project, column) == user.unit_id else 0


def in_scope(user: User | None, project: Project) -> bool:
    """Staff whose unit contains the project's community, or leads it."""
    if not _signed_in(user) or not user.is_staff:
        return False
    return user.role == Role.ADMIN or tier_of(user, project) > 0 or is_lead(user, project)


def is_lead(user, project) -> bool:
    """Staff of the lead unit when it is not the community office itself."""
    return (_signed_in(user) and user.is_staff and user.unit_id is not None
            and project.lead_unit_id == user.unit_id and project.lead_unit_id != project.community_id
            and user.role in (Role.STREET, Role.COUNTY, Role.DEPARTMENT))


def can_view(user, project) -> bool:
    return is_neighbour(user, project) or in_scope(user, project)


def can_manage(user, project) -> bool:
    return _signed_in(user) and user.role == Role.COMMUNITY and user.unit_id == project.community_id


def can_run(user, project) -> bool:
    """Delivery: the office, or the lead unit of a 二级 or 三级 project."""
    return can_manage(user, project) or is_lead(user, project)


def can_approve(user, project) -> bool:
    return tier_of(user, project) == TIER[APPROVER_ROLE[project.level]]


def can_reject(user, project) -> bool:
    """Before approval the office or the approver; after it, only the deciding tier or above."""
    if project.state == ProjectState.APPROVED:
        return tier_of(user, project) >= TIER[APPROVER_ROLE[project.level]]
    return can_manage(user, project) or can_approve(user, project)


def can_oversee(user, project) -> bool:
    """The tier above the office: extra budget, and the review of a 整改 case."""
    return tier_of(user, project) == TIER[OVERSIGHT_ROLE[project.level]]


def can_read_comments(user, project) -> bool:
    """Residents' judging comments reach the office and the units above it."""
    return tier_of(user, project) > 0


def visible_project(user, project_id: int) -> Project:
    """The project for a signed-in neighbour or staff in scope; NotFound for everyone else."""
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
        ids = {i for i in (user.home_community_id, verified_community_id(user)) if i}
        return Project.community_id.in_(ids) if ids else false()
    lead = Project.lead_unit_id == user.unit_id
    column = scope_column(user, Project, roles=TIER)  # the offices a project's tiers name
    if user.role == Role.COMMUNITY:
        return getattr(Project, column) == user.unit_id
    return or_(getattr(Project, column) == user.unit_id, lead) if column else lead


def managed_community_ids(user: User) -> list[int] | None:
    """Communities whose 三项清单 the user sees: None means all (admin), [] none.
    Grid workers see their own community's (they link residents to resources)."""
    from community.areas.models import Unit, UnitKind
    from sqlalchemy import select

    if not _signed_in(user) or not user.is_staff:
        return []
    if user.role == Role.ADMIN:
        return None
    if user.role == Role.COMMUNITY:
        return [user.unit_id]
    if user.role == Role.GRID:
        return [user.unit.community_id] if user.unit and user.unit.community_id else []
    column = scope_column(user, Unit, roles=(Role.STREET, Role.COUNTY))
    if column is None:
        return []
    return list(db.session.scalars(select(Unit.id).where(
        Unit.kind == UnitKind.COMMUNITY, getattr(Unit, column) == user.unit_id, Unit.active.is_(True))))


def may_filter_lists(user: User, unit) -> bool:
    """A county or street the 三项清单 may be narrowed to: any for the admin, else the
    user's own unit or one inside it (the same column as managed_community_ids)."""
    if not _signed_in(user) or not user.is_staff:
        return False
    if user.role == Role.ADMIN:
        return True
    column = scope_column(user, unit, roles=(Role.STREET, Role.COUNTY))
    return column is not None and user.unit_id in (unit.id, getattr(unit, column))


def can_see_lists(user) -> bool:
    ids = managed_community_ids(user)
    return ids is None or bool(ids)


def can_set_rules(user) -> bool:
    """Deliberation and judging rules are the street's, for its communities."""
    return _signed_in(user) and user.role == Role.STREET and user.unit_id is not None


def can_read_rules(user) -> bool:
    return _signed_in(user) and user.role in (Role.COMMUNITY, Role.STREET)
