"""Every event the app sends, declared once (blinker, as flask.signals does).

Senders call `EVENT.send(subject, **values)`; receivers take the subject first.
Who listens is listed in one place, community.wiring.install, which connects
each receiver (strongly, in that order) and its bulk twin where it has one.

Receivers run inside the sender's transaction, in the order they were connected.
A bulk twin takes many subjects at once as plain rows (the event's columns, its
id, and `ticket` with the ticket's columns), so a set-based writer (the SLA
sweep's fast path) still tells every receiver: `send_many` is allowed only when
every receiver has one (`can_send_many`).
"""
from blinker import Namespace, Signal


class _OrderedSet(dict):
    """The set blinker keeps receivers in, ordered as they were connected (blinker's
    Signal.set_class is for this): receivers then run in wiring.install's order."""

    def __init__(self, items=()):
        super().__init__((item, None) for item in items)

    def add(self, item):
        self[item] = None

    def discard(self, item):
        self.pop(item, None)

    def copy(self):
        return _OrderedSet(self)

    def __or__(self, other):
        return _OrderedSet([*self, *other])


class Event(Signal):
    set_class = _OrderedSet

    def __init__(self, name: str, doc: str):
        super().__init__(doc)
        self.name = name
        self._bulk = {}

    def connect_many(self, receiver, many) -> None:
        """`many(items)` is the bulk twin of the connected `receiver`."""
        self._bulk[receiver] = many

    def can_send_many(self) -> bool:
        return all(receiver in self._bulk for receiver in self.receivers_for(None))

    def send_many(self, items) -> None:
        for receiver in self.receivers_for(None):
            self._bulk[receiver](items)


class _Events(Namespace):
    def signal(self, name: str, doc: str | None = None) -> Event:  # type: ignore[override]
        if name not in self:
            self[name] = Event(name, doc or "")
        return self[name]


_events = _Events()

event_recorded = _events.signal(
    "event_recorded", "A step on a request's timeline was written (TicketEvent): send(event).")
ticket_submitted = _events.signal(
    "ticket_submitted", "A request was filed, before its first flush: send(ticket, now=…).")
ticket_relocated = _events.signal(
    "ticket_relocated", "A request now lies in another grid (re-routed): send(ticket).")
ticket_moved = _events.signal(
    "ticket_moved", "Another unit handles a request now (escalated, returned, re-routed): "
    "send(ticket); the SLA sweep's fast path sends many (plain rows with id and handling_unit_id).")

callback_offered = _events.signal(
    "callback_offered", "A question, asked by the staff page and the phone reveal (workqueue, below "
    "ratings): is this officer offered the 回访 rating of the request now? send(ticket, user=…, "
    "now=…); a receiver answering True offers it (ratings.services.callback_offered).")

sms_budget_spent = _events.signal(
    "sms_budget_spent", "Today's text budget is spent, told once a day (sms, below the staff's "
    "in-app messages): send(budget, now=…); workqueue.notifications tells the admins.")

filing_providers = _events.signal(
    "filing_providers", "A question, asked by the filing page (tickets, below providers): which "
    "providers may a request in this community name? send(community_id); a receiver answers a list "
    "of (id, name) (providers.services.of_community).")
provider_picked = _events.signal(
    "provider_picked", "The filing page wrote a request naming a provider from that list: "
    "send(ticket, provider_id=…, actor=…, now=…), in the filing's transaction; providers names it "
    "(providers.services.name_at_filing).")

rating_awaited = _events.signal(
    "rating_awaited", "A question, asked by the resident's list of requests (tickets, below ratings): "
    "which of these requests (a page of them) await this resident's rating now (待评价)? "
    "send(tickets, user=…, now=…); a receiver answers the set of their ids (ratings.services.awaiting_rating).")

metrics_scraped = _events.signal(
    "metrics_scraped", "A question, asked by /metrics when scraped (web, below every domain): "
    "which figures does each domain keep? send(app), inside the app context; each receiver "
    "answers a list of prometheus-client metric families (outbox.services.metrics, sla.wiring._metrics).")

ALL = (event_recorded, ticket_submitted, ticket_relocated, ticket_moved, callback_offered,
       sms_budget_spent, filing_providers, provider_picked, rating_awaited, metrics_scraped)
