"""Which actions this user may take on this request now (what the page and the API offer).

Each action's check is workqueue.rules' own: the service calls the same function
when the action is posted, so a shown button is an accepted step.
"""
from datetime import datetime

from community.auth.models import User
from community.tickets.models import Ticket

from . import rules


def available_actions(user: User, ticket: Ticket, now: datetime) -> set[str]:
    actions = {name for name, check in rules.RULES.items() if check(user, ticket, now) is None}
    if rules.handle(user, ticket) is None:
        actions.add("reveal")  # the handler's; a 回访 officer's own reveal sits by the callback form
    return actions
