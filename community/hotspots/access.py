"""Who sees and acts on hotspots, proactive tasks and monthly topics: one rule each,
called by the pages, the services and the buttons they show.

Hotspots and tasks: a community sees its own, a street its communities', a county
(and its 考核办) all of its streets'; admins all. Grid workers, departments and
residents see none (residents read only the public results of monthly topics).
"""
from sqlalchemy import true

from community.areas.models import Unit
from community.areas.services import is_within
from community.auth.models import Role, User
from community.core.errors import NotAllowed, NotFound
from community.core.extensions import db

from .models import Hotspot, MonthlyTopic, ProactiveTask

# The role's unit must equal this column of the hotspot (or task).
SCOPE = {Role.COMMUNITY: "community_id", Role.STREET: "street_id", Role.COUNTY: "county_id",
         Role.SUPERVISOR: "county_id"}
# Who may open and finish proactive tasks (the 考核办 reads only).
ACTING = (Role.COMMUNITY, Role.STREET, Role.COUNTY)


def _staff(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.is_staff


def may_list(user) -> bool:
    return _staff(user) and (user.role == Role.ADMIN or user.role in SCOPE)


def require_list(user) -> None:
    if not may_list(user):
        raise NotAllowed()


def scope_filter(user: User, model=Hotspot):
    """WHERE clause: the rows of `model` (hotspots or tasks) `user` may see."""
    require_list(user)
    if user.role == Role.ADMIN:
        return true()
    return getattr(model, SCOPE[Role(user.role)]) == user.unit_id


def can_view(user, row) -> bool:
    """A hotspot or task in the user's scope; the owner of a task sees it and its
    hotspot wherever they work (a grid worker named owner has no hotspot list)."""
    if not _staff(user):
        return False
    task = row if isinstance(row, ProactiveTask) else row.task
    if task is not None and task.owner_id == user.id:
        return True
    if not may_list(user):
        return False
    return user.role == Role.ADMIN or getattr(row, SCOPE[Role(user.role)]) == user.unit_id


def _visible(user, model, row_id):
    """The row, NotFound out of scope (outsiders learn nothing, not even that it
    exists), NotAllowed for those who have no hotspot pages at all."""
    if not _staff(user):
        raise NotAllowed()
    row = db.session.get(model, row_id)
    if row is not None and can_view(user, row):
        return row
    require_list(user)
    raise NotFound()


def visible_hotspot(user, hotspot_id: int) -> Hotspot:
    return _visible(user, Hotspot, hotspot_id)


def visible_task(user, task_id: int) -> ProactiveTask:
    return _visible(user, ProactiveTask, task_id)


def can_open_task(user, hotspot: Hotspot) -> bool:
    return can_view(user, hotspot) and user.role in ACTING and hotspot.task is None


def owner_allowed(opener: User, owner: User | None, hotspot: Hotspot) -> bool:
    """The owner works in the opening unit or below it (a grid, a community of a street),
    or in a department of the opening county: never outside who opened it."""
    if owner is None or not owner.active or not owner.is_staff or owner.unit is None:
        return False
    if owner.role in (Role.SUPERVISOR, Role.ADMIN):
        return False
    return is_within(owner.unit, opener.unit)


def can_finish(user, task: ProactiveTask) -> bool:
    """The owner, the opening unit, or a unit above it (a street over its community's task)."""
    if not can_view(user, task) or task.state != "open":
        return False
    if user.id == task.owner_id:
        return True
    if user.role not in ACTING:
        return False
    return is_within(task.unit, user.unit)


def owner_choices(opener: User) -> list[User]:
    """Staff who may own a task the opener opens: their unit's and the units' below it."""
    from sqlalchemy import or_, select

    unit = opener.unit
    below = select(Unit.id).where(or_(Unit.id == unit.id, Unit.community_id == unit.id,
                                      Unit.street_id == unit.id, Unit.county_id == unit.id))
    return list(db.session.scalars(
        select(User).where(User.unit_id.in_(below), User.active.is_(True),
                           User.role.in_([Role.GRID, Role.COMMUNITY, Role.STREET, Role.COUNTY,
                                          Role.DEPARTMENT]))
        .order_by(User.unit_id, User.username).limit(500)))


# 每月一题: the county's staff read every topic of their county, a street or a community
# the topics it leads or that lie in its county (the whole county works on them).
def may_read_topics(user) -> bool:
    return _staff(user) and (user.role == Role.ADMIN or user.unit is not None)


def topic_county_id(user) -> int | None:
    """The county whose topics `user` reads (None: admin, every county)."""
    if user.role == Role.ADMIN:
        return None
    unit = user.unit
    return unit.id if unit.kind == "county" else unit.county_id


def visible_topic(user, topic_id: int) -> MonthlyTopic:
    if not may_read_topics(user):
        raise NotAllowed()
    topic = db.session.get(MonthlyTopic, topic_id)
    county = topic_county_id(user)
    if topic is None or (county is not None and topic.county_id != county):
        raise NotFound()
    return topic


def can_pick_topic(user, county: Unit | None = None) -> bool:
    """The county office picks and closes its topics."""
    return _staff(user) and user.role == Role.COUNTY and (county is None or user.unit_id == county.id)


def can_report(user, topic: MonthlyTopic) -> bool:
    """Progress notes and linked projects: the lead units' staff and the county office."""
    if not _staff(user) or topic.state != "open" or user.role == Role.SUPERVISOR:
        return False
    return (can_pick_topic(user) and user.unit_id == topic.county_id) or user.unit_id in topic.lead_ids
