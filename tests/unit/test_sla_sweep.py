"""The sweep: warnings, breaches, auto-escalation up the whole chain, idempotence, catch-up."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.core.extensions import db
from community.sla.sweep import sweep
from community.core import signals
from community.tickets.models import Ticket, TicketEvent
from community.tickets.services import add_info
from community.workqueue import actions
from community.workqueue.models import Notification
from tests.factories import T0, file_ticket

H = timedelta(hours=1)


def events(ticket, *actions_):
    query = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
    if actions_:
        query = query.where(TicketEvent.action.in_(actions_))
    return list(db.session.scalars(query.order_by(TicketEvent.at, TicketEvent.id)))


def told(user):
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.created_at, Notification.id)))


def test_warning_at_75_percent_then_breach_and_escalation(people, areas):
    ticket = file_ticket(people, areas, now=T0)  # general: 24 h to accept and to respond
    assert dict(sweep(T0 + 17 * H)) == {}
    counts = sweep(T0 + 18 * H)
    assert counts["accept_warning"] == 1 and counts["response_warning"] == 1
    # The grid worker hears about both warnings in the app (no text message): the two
    # clocks of 24 h run out together, and neither message swallows the other.
    notes = told(people.grid)
    assert [n.phone for n in notes] == ["", ""] and all(ticket.tracking_code in n.text for n in notes)
    assert sorted("首次响应" in n.text for n in notes) == [False, True]
    counts = sweep(T0 + 24 * H)
    db.session.refresh(ticket)
    assert counts["escalated"] == 1 and counts["response_breach"] == 1
    assert (ticket.state, ticket.tier, ticket.handling_unit_id) == ("escalated", "community", areas.S1C1.id)
    auto = events(ticket, "auto_escalate")[0]
    assert auto.actor_id is None and auto.at == T0 + 24 * H and auto.public
    assert ticket.accept_due_at == T0 + 48 * H  # the next unit's clock starts at the deadline
    # The community's staff were told the grid missed both deadlines, one message for
    # each breach; the resident was told of the step.
    assert sorted("首次响应" in n.text for n in told(people.community)) == [False, True]
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == people.resident.id)) == 1


def test_full_chain_grid_to_county_in_one_catch_up_sweep_and_idempotent(people, areas):
    ticket = file_ticket(people, areas, now=T0)
    now = T0 + timedelta(days=5)  # three days and more of downtime
    counts = sweep(now)
    db.session.refresh(ticket)
    assert (ticket.tier, ticket.level, ticket.handling_unit_id) == ("county", 3, areas.C.id)
    assert [e.unit_id for e in events(ticket, "auto_escalate")] == [areas.S1C1.id, areas.S1.id, areas.C.id]
    assert [e.at for e in events(ticket, "auto_escalate")] == [T0 + 24 * H, T0 + 48 * H, T0 + 72 * H]
    assert counts["escalated"] == 3 and counts["accept_breach"] == 4  # the county's is flagged too
    assert ticket.sla_check_at is None  # nothing left to watch until someone acts
    before = (len(events(ticket)), db.session.scalar(select(func.count()).select_from(Notification)))
    assert dict(sweep(now)) == {}
    after = (len(events(ticket)), db.session.scalar(select(func.count()).select_from(Notification)))
    assert after == before


def test_resolution_breach_escalates_and_is_counted(people, areas):
    ticket = file_ticket(people, areas, now=T0, urgency="urgent")
    actions.accept(ticket, people.grid, T0 + timedelta(minutes=30))
    db.session.commit()
    counts = sweep(T0 + timedelta(minutes=30) + 24 * H + timedelta(minutes=1))
    db.session.refresh(ticket)
    assert counts["resolve_breach"] == 1 and counts["escalated"] == 1
    assert ticket.tier == "community" and ticket.state == "escalated"
    assert [(e.note_key, e.note_params, e.note) for e in events(ticket, "sla_breach")] == \
        [("clock", '{"clock": "resolve"}', "办结期限")]


def _state(ticket):
    db.session.refresh(ticket)
    row = (ticket.state, ticket.tier, ticket.level, ticket.handling_unit_id, ticket.accept_due_at,
           ticket.resolve_due_at, ticket.response_due_at, ticket.sla_flags, ticket.sla_check_at,
           ticket.arrived_at, ticket.updated_at)
    return row, [(e.action, e.at, e.unit_id, e.note, e.from_state, e.to_state) for e in events(ticket)]


def test_one_catch_up_sweep_equals_sweeping_every_40_minutes(people, areas):
    # Urgent (1 h clocks) accepted then left alone: resolution breach, then the chain.
    end = T0 + timedelta(hours=30)

    def scenario():
        ticket = file_ticket(people, areas, now=T0, urgency="urgent")
        actions.accept(ticket, people.grid, T0 + timedelta(minutes=20))
        db.session.commit()
        return ticket

    often = scenario()
    at = T0
    while at <= end:
        sweep(at)
        at += timedelta(minutes=40)
    sweep(end)
    once = scenario()  # the first one's cursor is past `end`: this sweep is the second's only
    sweep(end)
    assert _state(often) == _state(once)
    assert _state(once)[0][1] == "county"


def test_a_sweep_that_crashes_before_commit_leaves_no_trace(people, areas):
    ticket = file_ticket(people, areas, now=T0)
    crash = {"on": True}

    def _crash(event, **kwargs):  # the worker dies in the middle of the batch
        if crash["on"] and event.action == "auto_escalate":
            raise RuntimeError("worker killed")

    signals.event_recorded.connect(_crash)
    try:
        counts = sweep(T0 + 25 * H)
        assert counts["errors"] == 1
        db.session.refresh(ticket)
        assert ticket.tier == "grid" and events(ticket, "sla_breach") == []
    finally:
        signals.event_recorded.disconnect(_crash)
    sweep(T0 + 25 * H)  # the rerun
    sweep(T0 + 25 * H)
    assert len(events(ticket, "auto_escalate")) == 1
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == people.resident.id)) == 1


def test_resolved_requests_close_after_the_window(people, areas):
    ticket = file_ticket(people, areas, now=T0)
    actions.accept(ticket, people.grid, T0 + H)
    actions.resolve(ticket, people.grid, T0 + 2 * H, "solved", "已办好。")
    db.session.commit()
    assert ticket.sla_check_at == T0 + 2 * H + timedelta(days=7)
    sweep(T0 + timedelta(days=7))
    assert db.session.get(Ticket, ticket.id).state == "resolved"
    sweep(T0 + timedelta(days=8))
    db.session.refresh(ticket)
    assert ticket.state == "closed" and ticket.closed_at == T0 + 2 * H + timedelta(days=7)


@pytest.mark.parametrize("fast", [True, False])
def test_a_late_sweep_never_backdates_a_step_before_a_later_action(people, areas, fast):
    """The acceptance deadline passes at +24 h, the resident adds information at
    +30 h, the sweep only comes at +31 h: the escalation is recorded after the
    resident's step (at +30 h), not before it, and the next unit's clock starts there."""
    ticket = file_ticket(people, areas, now=T0)
    assert sweep(T0 + 18 * H, fast=fast)["accept_warning"] == 1
    add_info(ticket, people.resident, T0 + 30 * H, "晚上十点以后更吵。", [])
    db.session.commit()
    counts = sweep(T0 + 31 * H, fast=fast)
    db.session.refresh(ticket)
    assert counts["escalated"] == 1
    auto = events(ticket, "auto_escalate")[0]
    assert auto.at == T0 + 30 * H
    assert ticket.arrived_at == T0 + 30 * H and ticket.accept_due_at == T0 + 54 * H
    times = [e.at for e in db.session.scalars(select(TicketEvent).where(
        TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id))]
    assert times == sorted(times)  # the timeline in the order it was written is in time order
