"""A plain filing's rows go in with two INSERTs instead of the flush
(community.tickets.plainwrite): the same rows, events, outbox rows and deadlines."""
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from community.core import signals
from community.core.extensions import db
from community.outbox.models import OutboxRow
from community.tickets import services
from community.tickets.models import Ticket, TicketEvent
from community.tickets.services import Filing, submit_ticket
from community.workqueue.models import Notification
from tests.factories import T0

FILING = {"kind": "help", "category": "ELD", "text": "楼道灯坏了，请尽快修理。", "address": "1号楼"}
SKIP = {"id", "tracking_code", "submit_token", "ticket_id"}


@pytest.fixture
def spy(monkeypatch):
    """Records what write_new answered; `spy.off()` makes every filing use the flush."""
    answers = []
    real = services.write_new

    def watched(*args):
        answers.append(real(*args))
        return answers[-1]

    monkeypatch.setattr(services, "write_new", watched)
    watched.answers = answers
    watched.off = lambda: monkeypatch.setattr(services, "write_new", lambda *args: False)
    return watched


def _row(obj, skip=SKIP):
    return {c.key: getattr(obj, c.key) for c in obj.__table__.columns if c.key not in skip}


def _counts():
    return tuple(db.session.scalar(select(func.count()).select_from(m))
                 for m in (Ticket, TicketEvent, OutboxRow, Notification))


def _file(people, areas, actor=None, **extra):
    filing = Filing(kind="help", category_code="ELD", text="楼道灯坏了，请尽快修理。",
                    community_id=areas.S1C1.id, address="1号楼", **extra)
    return submit_ticket(filing, actor or people.resident, T0)


def _stored(code):
    db.session.expire_all()
    ticket = db.session.scalar(select(Ticket).where(Ticket.tracking_code == code))
    events = [_row(e) for e in ticket.events]
    return _row(ticket), events


def test_the_plain_write_stores_what_the_flush_stores(app, people, areas, spy):
    plain = _file(people, areas)
    plain_outbox = [(r.kind, r.payload) for r in db.session.scalars(select(OutboxRow))]
    db.session.commit()
    assert spy.answers == [True]
    spy.off()
    flushed = _file(people, areas)
    db.session.commit()
    a, b = _stored(plain.tracking_code), _stored(flushed.tracking_code)
    assert a == b
    assert a[0]["accept_due_at"] is not None and a[0]["next_due_at"] == a[0]["accept_due_at"]
    assert a[0]["sla_check_at"] is not None and a[0]["version"] == 1
    assert plain_outbox and plain_outbox[0][0] == "stats.day"


def test_the_answer_is_the_same_either_way(app, client, people, areas, token, spy):
    headers = token("resident")
    first = client.post("/api/v1/requests", json=FILING, headers=headers)
    spy.off()
    second = client.post("/api/v1/requests", json=FILING, headers=headers)
    assert first.status_code == second.status_code == 201
    assert spy.answers == [True]
    one, two = first.get_json(), second.get_json()
    assert one.pop("tracking_code") != two.pop("tracking_code")
    moments = ("submitted_at", "arrived_at", "updated_at", "response_due_at", "accept_due_at",
               "next_due_at")
    assert {k: v for k, v in one.items() if k not in moments} == \
        {k: v for k, v in two.items() if k not in moments}
    stored = client.get(f"/api/v1/requests/{first.get_json()['tracking_code']}", headers=headers)
    assert stored.get_json() == first.get_json()  # the answer was the committed rows


def test_a_filing_on_behalf_still_tells_the_resident(app, people, areas, spy):
    before = _counts()
    ticket = _file(people, areas, actor=people.grid, channel="hotline",
                   contact_phone=people.resident.phone)
    db.session.commit()
    assert spy.answers == [False]  # a notification waits: the flush writes everything
    assert _counts()[3] == before[3] + 1
    note = db.session.scalar(select(Notification).where(Notification.ticket_id == ticket.id))
    assert ticket.tracking_code in note.text


def test_a_refused_write_leaves_nothing(app, people, areas, spy):
    _file(people, areas, submit_token="same")
    db.session.commit()
    before = _counts()
    with pytest.raises(IntegrityError):
        _file(people, areas, submit_token="same")
    db.session.rollback()
    assert _counts() == before
    _file(people, areas)  # the session goes on as usual
    db.session.commit()
    assert _counts()[0] == before[0] + 1


def test_a_rollback_after_a_plain_write_forgets_the_rows_as_after_a_flush(app, people, areas, spy):
    from sqlalchemy import inspect

    before = _counts()
    ticket = _file(people, areas)
    event = ticket.events[0]
    assert spy.answers == [True] and inspect(ticket).persistent and inspect(event).persistent
    assert db.session.get(Ticket, ticket.id) is ticket  # in the identity map, no query
    assert not db.session.dirty and not db.session.new
    db.session.rollback()
    assert inspect(ticket).transient and inspect(event).transient
    assert ticket not in db.session and _counts() == before


def test_a_refused_filing_changes_nothing(client, people, areas, token, spy):
    headers = token("resident")
    before = _counts()
    bad = client.post("/api/v1/requests", json=dict(FILING, category="NOPE"), headers=headers)
    assert bad.status_code == 422 and bad.get_json()["error"]["fields"] == {
        "category": [bad.get_json()["error"]["message"]]}
    assert _counts() == before and spy.answers == []


def test_the_area_by_code_is_the_area_by_id(areas):
    from community.areas.services import community_area, community_area_by_code

    assert community_area_by_code("S1C1") == community_area(areas.S1C1.id)
    assert community_area_by_code("NOPE") == (None, [], [])
    grid, grids, above = community_area_by_code("S1C1G1")  # a grid: found, and refused by the caller
    assert grid is areas.S1C1G1 and grids == []


@pytest.mark.parametrize("code", ["NOPE", "S1", "S1C1G1"])
def test_a_community_code_that_is_not_one_is_refused_as_before(client, people, areas, token, code):
    before = _counts()
    answer = client.post("/api/v1/requests", json=dict(FILING, community=code),
                         headers=token("resident"))
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error["code"] == "validation_failed" and list(error["fields"]) == ["community"]
    assert code in error["message"] and _counts() == before


def test_a_none_on_a_column_with_a_default_is_left_to_the_flush(app, people, areas, spy,
                                                                  monkeypatch):
    """The flush leaves such a None out of the INSERT so the default applies; the plain
    write would store NULL (or fail on NOT NULL), so it hands the filing back."""
    def none_note(ticket, **kwargs):
        ticket.result_note = None

    with signals.ticket_submitted.connected_to(none_note):
        ticket = _file(people, areas)
    db.session.commit()
    assert spy.answers == [False]
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).result_note == ""
