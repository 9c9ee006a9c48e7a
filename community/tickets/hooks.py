"""Other domains (SLA clocks, notifications) react to ticket changes here, so the
ticket services do not import them. Handlers run inside the same transaction."""
from collections import defaultdict

_handlers = defaultdict(list)


def on(name):
    def register(func):
        if func not in _handlers[name]:
            _handlers[name].append(func)
        return func
    return register


def fire(name, **kwargs):
    for handler in _handlers[name]:
        handler(**kwargs)


# Bulk equivalents: a handler's twin that takes many events at once, so a
# set-based writer (the SLA sweep's fast path) still tells every listener.
# Bulk events are plain rows (the event's columns, its id, and `ticket` with
# the ticket's columns), not ORM objects.
_bulk = {}


def on_many(single):
    """Register `func(items)` as the bulk equivalent of the handler `single`."""
    def register(func):
        _bulk[single] = func
        return func
    return register


def can_fire_many(name) -> bool:
    """Every handler of `name` has a bulk equivalent (else use fire() one by one)."""
    return all(handler in _bulk for handler in _handlers[name])


def fire_many(name, items):
    for handler in _handlers[name]:
        _bulk[handler](items)
