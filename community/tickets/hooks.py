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
