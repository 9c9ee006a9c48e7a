"""Providers answer the resident's filing page (community.tickets.views, below them):
the community's list to pick from (signals.filing_providers), and the pick named on
the new request (signals.provider_picked)."""
from community.core.extensions import db

from . import services
from .models import Provider


def _filing_choices(community_id: int) -> list[tuple[int, str]]:
    return [(p.id, p.name) for p in services.of_community(community_id)]


def _picked_at_filing(ticket, provider_id: int, actor, now) -> None:
    services.name_at_filing(ticket, db.session.get(Provider, provider_id), actor, now)
