"""Who may work on or decide about ratings, 整改 cases and appeals."""
from sqlalchemy import or_, select

from community.auth.models import Role, User
from community.auth.scope import scope_column
from community.core.bulkdb import any_of
from community.core.extensions import db
from community.tickets.access import extra_ticket_ids, scope_filter
from community.tickets.models import Ticket

from .models import Rating


def in_scope(query, model, user: User):
    """`query` over `model` (a rating, a case or an appeal) limited to what `user` may
    see: the rows of the requests tickets.access.scope_filter lets them see. Where the
    row carries the user's scope column (grid_id … county_id, a department's
    handling_unit_id), by that column, from its own index; otherwise through the requests."""
    if user.role == Role.ADMIN:  # every row: nothing to join through the requests
        return query
    if user.role == Role.DEPARTMENT:
        return query.where(handled_by(user, model))
    column = scope_column(user, model)
    if column is not None:
        return query.where(getattr(model, column) == user.unit_id)
    return query.join(Ticket, Ticket.id == model.ticket_id).where(scope_filter(user))


def handled_by(user: User, model):
    """A department's rows of `model`: the request is handled by its unit now (the row's
    copy of the request's handling unit, kept in step by ratings.wiring), or it is one
    of the requests other domains open to it (吹哨报到), matched by id."""
    clause = model.handling_unit_id == user.unit_id
    ids = extra_ticket_ids(user)
    if not ids:
        return clause
    if hasattr(model, "ticket_id"):
        return or_(clause, any_of(model.ticket_id, ids))
    # An appeal: through its rating's request, the rating ids written in too.
    rating_ids = db.session.scalars(select(Rating.id).where(any_of(Rating.ticket_id, ids))).all()
    return or_(clause, any_of(model.rating_id, rating_ids)) if rating_ids else clause


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


# The tier above the appealing unit (DOMAIN.md "好差评", 申诉).
JUDGE_OF_ROLE = {Role.GRID: "street", Role.COMMUNITY: "street", Role.STREET: "county",
                 Role.COUNTY: "supervisor", Role.DEPARTMENT: "supervisor"}
JUDGE_ROLE = {"street": Role.STREET, "county": Role.COUNTY, "supervisor": Role.SUPERVISOR}


def judge_for(appellant: User) -> str:
    return JUDGE_OF_ROLE[Role(appellant.role)]


def is_judge(user: User, appeal) -> bool:
    """Decides this appeal: staff of the tier fixed when it was filed, over the request's
    place; never the appealing unit itself, never an admin (who runs the system)."""
    if not user.is_authenticated or user.role != JUDGE_ROLE.get(appeal.judge):
        return False
    ticket = appeal.rating.ticket
    place = ticket.street_id if appeal.judge == "street" else ticket.county_id
    appellant = appeal.filed_by  # (考核办 sits in the county's unit but is not the county office)
    return user.unit_id == place and (user.unit_id, user.role) != (appellant.unit_id, appellant.role)


def is_appellant(user: User, rating) -> bool:
    """The handler: staff of the unit that resolved the request."""
    return (user.is_authenticated and user.is_staff and user.unit_id is not None
            and user.unit_id == rating.resolution.unit_id)
