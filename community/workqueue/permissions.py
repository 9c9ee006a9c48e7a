"""Who may act on a request now: the handling unit's staff, and the tier above it."""
from community.areas.models import Unit
from community.auth.models import Role, User
from community.core.errors import NotAllowed, NotFound
from community.core.extensions import db
from community.tickets.access import NON_HANDLING_ROLES, can_view
from community.tickets.models import Ticket

from .escalation import supervises_itself


def visible_ticket(user: User, ticket_id: int) -> Ticket:
    """The ticket, or NotFound: outsiders learn nothing, not even that it exists."""
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or not user.is_staff or not can_view(user, ticket):
        raise NotFound()
    return ticket


def is_handler(user: User, ticket: Ticket) -> bool:
    return (user.is_staff and user.role not in NON_HANDLING_ROLES and user.unit_id is not None
            and user.unit_id == ticket.handling_unit_id)


def require_handler(user: User, ticket: Ticket) -> None:
    if not is_handler(user, ticket):
        raise NotAllowed()


def supervisor_of(unit: Unit) -> Unit | None:
    """The unit that approves this unit's extensions and re-routes its returns."""
    return unit if supervises_itself(unit) else unit.parent


def is_supervisor(user: User, ticket: Ticket) -> bool:
    supervisor = supervisor_of(ticket.handling_unit)
    return user.role == Role.ADMIN or (supervisor is not None and user.unit_id == supervisor.id
                                       and user.is_staff and user.role not in NON_HANDLING_ROLES)


def require_supervisor(user: User, ticket: Ticket) -> None:
    if not is_supervisor(user, ticket):
        raise NotAllowed()
