"""Every listener, installed in one place (create_app calls install).

SESSION_LISTENERS are SQLAlchemy Session events, for every session in the
process: keeping the stored cursors in step, the outbox's promises, the caches'
invalidation. Receivers of the app's events (community.core.signals), each with
its bulk twin where it has one. Then the outbox's handlers and the clocks' sources.
Installing twice (the tests build many apps) changes nothing.
"""
from functools import cache

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from community.core import signals


def _session_listeners():
    from community.core import versions
    from community.exchange import upstream
    from community.outbox import services as outbox
    from community.sla import services as sla_policies
    from community.sla import side
    from community.sla import wiring as sla
    from community.stats import updates as stats
    from community.workqueue import notifications

    # In the order they ran before they were listed here (each kind runs in this order).
    return (
        ("after_soft_rollback", sla_policies._forget_change),  # before versions._drop
        ("before_flush", side._refresh_check_at),  # 差评 cases' and assist tasks' cursors
        ("before_flush", sla._refresh_next_due),  # Ticket.next_due_at, .sla_check_at
        ("before_flush", notifications._mark_if_new),  # new messages: promise their delivery
        ("after_commit", notifications._forget_promise),
        ("after_rollback", notifications._forget_promise),
        ("after_flush", outbox._after_flush),  # the outbox's new rows, offered after commit
        ("after_commit", outbox._after_commit),
        ("after_rollback", outbox._forget),
        ("before_flush", upstream._new_rows),  # an upstream's order: its deadline on the request
        ("after_commit", stats._forget),  # the transaction's marked days
        ("after_soft_rollback", stats._forget),
        # Changed SLA policies, categories, webhooks, API tokens and users: every process
        # reads them again.
        ("after_commit", versions._renew),
        ("after_soft_rollback", versions._drop),
    )


def _mapper_listeners():
    """(class, event, listener): ORM row events, for classes whose changes others must hear of."""
    from community.api import tokens
    from community.api.models import ApiToken
    from community.auth.models import User

    from community.areas import shapes
    from community.areas.models import Unit

    return tuple((cls, name, tokens._row_changed) for cls in (ApiToken, User)
                 for name in ("after_update", "after_delete")) + tuple(
        (Unit, name, shapes._row_changed) for name in ("after_insert", "after_update", "after_delete"))


def _receivers():
    """(event, receiver, its bulk twin or None), in the order they run."""
    from community.buildings import wiring as buildings
    from community.exchange import upstream, webhooks
    from community.outbox import metrics as outbox_metrics
    from community.providers import wiring as providers
    from community.ratings import wiring as ratings
    from community.sla import metrics as sla_metrics
    from community.sla import wiring as sla
    from community.workqueue import assist, notifications

    return (
        (signals.event_recorded, upstream._step_recorded, upstream._steps_recorded),
        (signals.event_recorded, notifications._notify_resident, notifications._notify_residents),
        (signals.event_recorded, buildings._tell_heads, buildings._tell_heads_many),
        (signals.event_recorded, webhooks._event_recorded, webhooks._events_recorded),
        (signals.event_recorded, ratings._on_event, ratings._on_events),
        (signals.event_recorded, assist._request_ended, assist._requests_ended),
        (signals.event_recorded, assist._assist_overdue, assist._assist_overdue_many),
        (signals.ticket_submitted, sla._clocks_on_submit, None),
        (signals.ticket_relocated, ratings._ratings_follow, None),
        (signals.ticket_moved, ratings._handler_follows, ratings._handlers_follow),
        (signals.callback_offered, ratings._callback_offered, None),
        (signals.sms_budget_spent, notifications._tell_admins_budget_spent, None),
        (signals.filing_providers, providers._filing_choices, None),
        (signals.provider_picked, providers._picked_at_filing, None),
        (signals.rating_awaited, ratings._rating_awaited, None),
        (signals.metrics_scraped, outbox_metrics.metrics, None),  # /metrics, in this order
        (signals.metrics_scraped, sla_metrics.metrics, None),
    )


# SQLAlchemy fires after_commit and after_rollback for a SAVEPOINT too. What those
# listeners do belongs to the transaction that really ends: offering the outbox's rows
# (before the outer commit a drain would not find them, and on SQLite marking them from
# another connection waited out the write lock), promised deliveries, announcements.
ENDS = ("after_commit", "after_rollback")


@cache  # one wrapper per listener, so a second install finds it installed
def _at_the_real_end(listener):
    def receive(session, *args):
        if not session.in_nested_transaction():
            listener(session, *args)
    receive.__name__ = receive.__qualname__ = f"{listener.__name__}_at_the_real_end"
    return receive


def install(app: Flask) -> None:
    """Session listeners, event receivers, outbox handlers, the clocks' sources."""
    for name, listener in _session_listeners():
        if name in ENDS:
            listener = _at_the_real_end(listener)
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
    for cls, name, listener in _mapper_listeners():
        if not event.contains(cls, name, listener):
            event.listen(cls, name, listener)
    for signal, receiver, many in _receivers():
        signal.connect(receiver, weak=False)  # again: a no-op
        if many is not None:
            signal.connect_many(receiver, many)

    from community.exchange import delivery  # noqa: F401  (its outbox handler)
    from community.projects import notices, rectify
    from community.sla import recompute
    from community.sla import wiring as sla
    from community.workqueue import notifications

    sla.install()  # community.clock's calendar and policies
    from community.tickets import catalog

    catalog.install()  # changes to categories: the processes' copies are read again
    notifications.install()  # delivery and retry of messages (outbox handlers)
    notices.install()  # 民生小实事 notices (outbox handler)
    from community.buildings import wiring as buildings

    buildings.install()  # 楼门长 may file 代办 for their buildings (tickets.access's filers)
    recompute.register(rectify.recompute_due)  # its 整改 deadlines follow the holiday calendar
