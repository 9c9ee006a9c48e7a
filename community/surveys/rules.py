"""Who may do what with a survey: one place, called by pages and services alike."""
from community.areas.models import Unit, UnitKind
from community.auth.models import Role

# Staff who may record an answer a resident gave on a visit or a call (within their area).
RECORDERS = (Role.GRID, Role.COMMUNITY, Role.STREET, Role.COUNTY, Role.SUPERVISOR)
# Staff who read a survey's results (within their area); the admin reads every county's.
READERS = RECORDERS + (Role.ADMIN,)


def _staff(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_staff)


def can_set(user) -> bool:
    """Only a county's officers set surveys (the county's, for all its communities)."""
    return _staff(user) and user.role == Role.COUNTY and user.unit is not None


def county_id_of(user) -> int | None:
    unit = user.unit if _staff(user) else None
    if unit is None:
        return None
    return unit.id if unit.kind == UnitKind.COUNTY else unit.county_id


def can_read(user, survey) -> bool:
    if not _staff(user) or user.role not in READERS:
        return False
    return user.role == Role.ADMIN or county_id_of(user) == survey.county_id


def can_edit(user, survey) -> bool:
    return can_set(user) and user.unit_id == survey.county_id


def covers(user, community: Unit) -> bool:
    """The community is inside the user's own area (a grid worker: their grid's community)."""
    unit = user.unit
    if unit is None or community.kind != UnitKind.COMMUNITY:
        return False
    return community.id in (unit.id, unit.community_id) or unit.id in (community.street_id,
                                                                        community.county_id)


def can_read_community(user, survey, community: Unit) -> bool:
    return can_read(user, survey) and community.county_id == survey.county_id and (
        user.role in (Role.ADMIN, Role.COUNTY, Role.SUPERVISOR) or covers(user, community))


def can_record(user, survey, community: Unit) -> bool:
    """Staff record answers for the communities of their own area; the admin runs the
    system and records none."""
    return (_staff(user) and user.role in RECORDERS and community.county_id == survey.county_id
            and (user.role in (Role.COUNTY, Role.SUPERVISOR) or covers(user, community)))


def can_print(user, survey, community: Unit) -> bool:
    """The QR poster: the community's own office and those above it."""
    return can_record(user, survey, community)
