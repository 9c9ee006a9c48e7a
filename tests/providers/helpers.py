"""Providers, building heads and requests naming them, through the real services."""
from datetime import timedelta

from community.core.extensions import db
from community.providers import services as providers
from community.providers.models import TicketProvider
from community.tickets.services import Filing, submit_ticket
from community.workqueue import actions
from tests.factories import T0

H = timedelta(hours=1)


def provider(people, areas, name="安居物业", field="property", accounts=False, community=None):
    row = providers.register(people.street, T0, (community or areas.S1C1).id, name, field,
                             "GB-123", "0871-0000")
    row.accounts_enabled = accounts
    db.session.commit()
    return row


def ticket_about(people, areas, prov, *, at=T0, address="1号楼", resident=None, grid=None):
    grid = grid or areas.S1C1G1
    ticket = submit_ticket(Filing(kind="complaint", category_code="ELD", text="电梯又坏了。",
                                  community_id=grid.community_id, grid_id=grid.id, address=address),
                           resident or people.resident, at)
    if prov is not None:
        providers.name_at_filing(ticket, prov, people.resident, at)
    db.session.commit()
    return ticket


def resolve(ticket, people, at):
    actions.accept(ticket, people.grid, at)
    actions.resolve(ticket, people.grid, at + H, "solved", "已修好。")
    db.session.commit()


def link(ticket):
    return db.session.get(TicketProvider, ticket.id)
