"""The sweep's set-based path writes what the per-ticket path writes."""
from datetime import timedelta

from sqlalchemy import select

from community.core.extensions import db
from community.outbox.models import OutboxRow
from community.sla.sweep import sweep
from community.tickets.models import Ticket, TicketEvent
from community.workqueue import actions
from community.workqueue.models import Notification
from community.workqueue.notifications import DELIVER_KIND
from tests.factories import T0, file_ticket

H = timedelta(hours=1)
END = T0 + timedelta(days=9)


def _history(people, areas):
    """Waiting (acceptance chain to the county), urgent accepted (resolution chain),
    general accepted (resolution warning), resolved (closed after the window)."""
    waiting = file_ticket(people, areas, now=T0)
    urgent = file_ticket(people, areas, now=T0, urgency="urgent")
    actions.accept(urgent, people.grid, T0 + 20 * timedelta(minutes=1))
    slow = file_ticket(people, areas, now=T0)
    actions.accept(slow, people.grid, T0 + H)
    done = file_ticket(people, areas, now=T0)
    actions.accept(done, people.grid, T0 + H)
    actions.resolve(done, people.grid, T0 + 2 * H, "solved", "已办好。")
    db.session.commit()
    return [waiting, urgent, slow, done]


def _run(tickets, fast):
    at = T0
    while at <= END:
        sweep(at, fast=fast)
        at += 5 * H
    sweep(END, fast=fast)
    return [_outcome(t) for t in tickets]


def _outcome(ticket):
    db.session.refresh(ticket)
    row = tuple(getattr(ticket, c) for c in (
        "state", "tier", "level", "handling_unit_id", "assignee_id", "arrived_at", "accepted_at",
        "closed_at", "accept_due_at", "resolve_due_at", "resolve_started_at", "response_due_at",
        "sla_flags", "updated_at", "next_due_at", "sla_check_at", "version"))
    events = [(e.action, e.at, e.actor_id, e.unit_id, e.note, e.note_key, e.note_params, e.public,
               e.from_state, e.to_state)
              for e in db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                                          .order_by(TicketEvent.at, TicketEvent.id))]
    query = select(Notification).where(Notification.ticket_id == ticket.id)
    notes = sorted((n.user_id, n.phone, n.text.replace(ticket.tracking_code, "CODE"), n.created_at,
                    n.event.action if n.event else None, n.sent_at, n.read_at)
                   for n in db.session.scalars(query))
    return row, events, notes


def test_fast_path_writes_what_the_per_ticket_path_writes(people, areas, caplog):
    people.community.locale = "en"  # messages in two languages
    db.session.commit()
    by_ticket = _run(_history(people, areas), fast=False)
    # The first set's cursors all lie past END (or are cleared): the second run sees only its own.
    fast = _run(_history(people, areas), fast=True)
    assert "batch failed" not in caplog.text  # no batch fell back to the per-ticket path
    assert fast == by_ticket
    assert [o[0][0] for o in fast] == ["escalated", "escalated", "accepted", "closed"]
    assert any(e[0] == "sla_warning" for e in fast[2][1])
    assert any(n[4] == "auto_escalate" for n in fast[0][2])  # the resident heard of the steps
    assert any(n[4] is None for n in fast[0][2])  # and the staff of the deadlines
    assert db.session.scalar(select(OutboxRow).where(OutboxRow.kind == DELIVER_KIND)) is not None


def test_fast_catch_up_is_idempotent_and_promises_delivery(people, areas, caplog):
    ticket = file_ticket(people, areas, now=T0)
    promised = db.session.query(OutboxRow).filter_by(kind=DELIVER_KIND).count()
    counts = sweep(T0 + timedelta(days=5))
    assert counts["escalated"] == 3
    assert db.session.query(OutboxRow).filter_by(kind=DELIVER_KIND).count() == promised + 1
    before = _outcome(ticket)
    assert dict(sweep(T0 + timedelta(days=5))) == {}
    assert _outcome(ticket) == before
    assert db.session.get(Ticket, ticket.id).tier == "county"
    assert "batch failed" not in caplog.text


def test_threads_share_the_batches_and_each_ticket_is_swept_once(people, areas, monkeypatch):
    """On PostgreSQL the sweep writes from two connections (SKIP LOCKED); elsewhere
    it runs in one. Either way: every ticket once, the whole chain, nothing twice."""
    from community.sla import sweep as sweep_module

    tickets = [file_ticket(people, areas, now=T0) for _ in range(24)]
    db.session.commit()
    monkeypatch.setattr(sweep_module, "PARALLEL_BATCH", 4)
    seen = []
    real = sweep_module._sweep_tickets

    def spy(now, batch_size, fast, units=None):
        counts = real(now, batch_size, fast, units)
        seen.append(counts["tickets"])
        return counts
    monkeypatch.setattr(sweep_module, "_sweep_tickets", spy)
    counts = sweep(T0 + timedelta(days=5), threads=2)
    assert counts["escalated"] == 3 * 24 and counts["accept_breach"] == 4 * 24
    if db.engine.dialect.name == "postgresql":
        assert len(seen) == 2 and all(seen)  # both connections took batches
    for ticket in tickets:
        db.session.refresh(ticket)
        assert ticket.tier == "county"
        escalations = db.session.scalars(select(TicketEvent.at).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.action == "auto_escalate")).all()
        assert sorted(escalations) == [T0 + 24 * H, T0 + 48 * H, T0 + 72 * H]
    assert dict(sweep(T0 + timedelta(days=5), threads=2)) == {}
