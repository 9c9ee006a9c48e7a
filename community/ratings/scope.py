"""Who may work on or decide about ratings, 整改 cases and appeals."""
from community.auth.models import Role, User


def is_reviewer(user: User, street_id: int, county_id: int) -> bool:
    """The street reviews 差评 cases and decides appeals; its county and admins may too."""
    if not user.is_authenticated or not user.is_staff:
        return False
    if user.role == Role.ADMIN:
        return True
    return (user.role == Role.STREET and user.unit_id == street_id) or \
        (user.role == Role.COUNTY and user.unit_id == county_id)


def is_case_worker(user: User, case) -> bool:
    """The community office, the grid and the unit that resolved it do the callback."""
    if is_reviewer(user, case.street_id, case.county_id):
        return True
    if not user.is_authenticated or not user.is_staff:
        return False
    ticket, resolution = case.ticket, case.rating.resolution
    return user.unit_id in (ticket.grid_id, ticket.community_id, resolution.unit_id)


def is_appellant(user: User, rating) -> bool:
    """The handler: staff of the unit that resolved the request."""
    return (user.is_authenticated and user.is_staff and user.unit_id is not None
            and user.unit_id == rating.resolution.unit_id)
