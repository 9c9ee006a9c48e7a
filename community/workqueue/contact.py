"""Resident contact: masked for everyone, revealed to the handler (and to a 回访 callback
officer who is offered the callback rating: they must phone the resident), every reveal
logged."""
from datetime import datetime

from flask_babel import gettext as _

from community.auth.models import User, mask_phone
from community.core import signals
from community.core.errors import NotAllowed
from community.core.extensions import db
from community.tickets.models import Ticket
from community.tickets.services import record_event

from .models import ContactReveal
from . import rules


def masked_contact(ticket: Ticket) -> str:
    return mask_phone(ticket.contact_phone)


def callback_offered(ticket: Ticket, user: User, now: datetime) -> bool:
    """Whether `user` is offered the 回访 rating of `ticket` now: ratings' rule, asked
    through signals.callback_offered (ratings stands above the workflow)."""
    return any(answer for _, answer in signals.callback_offered.send(ticket, user=user, now=now))


def reveal_contact(ticket: Ticket, actor: User, now: datetime) -> str:
    """The full number, for the handling unit only; the reveal is recorded."""
    if rules.handle(actor, ticket) is not None and not callback_offered(ticket, actor, now):
        raise NotAllowed(_("只有承办单位可以查看完整电话。"))
    db.session.add(ContactReveal(ticket_id=ticket.id, user_id=actor.id, at=now))
    record_event(ticket, "contact_revealed", actor, now, public=False)
    return ticket.contact_phone
