"""Who may do what with providers: one rule each, called by pages and buttons alike."""
from community.areas.models import Unit, UnitKind
from community.auth.models import Role, User
from community.tickets.models import Ticket

from .models import Provider, ProviderAccount, TicketProvider


def manages(user: User | None, community: Unit | None) -> bool:
    """The community's office, its street's office and the admin register providers,
    switch their accounts on or off and enter commendations."""
    if user is None or not user.is_authenticated or community is None:
        return False
    if user.role == Role.ADMIN:
        return True
    if user.role == Role.COMMUNITY:
        return user.unit_id == community.id
    if user.role == Role.STREET:
        return user.unit_id == community.street_id
    return False


def oversees(user: User | None, community: Unit | None) -> bool:
    """Reads a community's providers with their accounts and credit detail: those who
    manage them, the community's grid workers, and the county and its 考核办."""
    if manages(user, community):
        return True
    if user is None or not user.is_authenticated or not user.is_staff or community is None:
        return False
    if user.role == Role.GRID:
        return user.unit is not None and user.unit.community_id == community.id
    if user.role in (Role.COUNTY, Role.SUPERVISOR):
        return user.unit_id == community.county_id
    return False


def communities_overseen(user: User) -> list[int] | None:
    """Ids of the communities `user` oversees; None: all (the admin)."""
    from sqlalchemy import select

    from community.core.extensions import db

    if user.role == Role.ADMIN:
        return None
    column = {Role.COMMUNITY: Unit.id, Role.STREET: Unit.street_id, Role.COUNTY: Unit.county_id,
              Role.SUPERVISOR: Unit.county_id}.get(Role(user.role))
    if user.role == Role.GRID:
        return [user.unit.community_id] if user.unit is not None else []
    if column is None or user.unit_id is None:
        return []
    return list(db.session.scalars(select(Unit.id).where(
        Unit.kind == UnitKind.COMMUNITY, column == user.unit_id)))


def names_provider(user: User, ticket: Ticket) -> bool:
    """Staff add or change the provider a request names: its handling unit and the
    community office (and those who manage the community's providers)."""
    from community.workqueue.permissions import is_handler

    return is_handler(user, ticket) or manages(user, ticket.community)


def answers_for(user: User | None, link: TicketProvider | None) -> bool:
    """A provider account answers a request only while it is routed to its own
    provider and that provider's accounts are switched on."""
    if user is None or not user.is_authenticated or user.role != Role.PROVIDER:
        return False
    if link is None or not link.routed or provider_id_of(user) != link.provider_id:
        return False
    provider: Provider = link.provider
    return provider.active and provider.accounts_enabled


def provider_id_of(user: User) -> int | None:
    """The provider a provider account answers for."""
    from community.core.extensions import db

    if user.role != Role.PROVIDER:
        return None
    account = db.session.get(ProviderAccount, user.id)
    return account.provider_id if account else None
