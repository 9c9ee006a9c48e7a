"""Orders from an upstream platform (issue 27 §1), driven through the reference
upstream (tests/exchange/reference.py): signed orders in, idempotent by order id,
category mapping, the upstream's deadline beside ours, and every step sent back
signed through the outbox, kept while the upstream is down and delivered in order."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.exchange.models import Delivery, UpstreamOrder
from community.core.extensions import db
from community.outbox.models import OutboxRow
from community.ratings import services as ratings
from community.tickets import links
from community.tickets.models import Ticket, TicketEvent
from community.workqueue import actions
from community.workqueue.extensions import request_extension
from community.workqueue.routing import return_ticket
from tests.factories import T0, login

from .helpers import run_deliveries
from .reference import Receiver, send_order

NOW = T0 + timedelta(minutes=30)  # the conftest's frozen clock
SECRET = "hotline-shared-secret"


def order(number="HL-0001", **extra):
    return {"order_id": number, "due_at": (T0 + timedelta(hours=20)).isoformat(), "category": "0101",
            "text": "3号楼门口路灯不亮，已经一周。", "caller": {"name": "王先生", "phone": "13900001111"},
            "location": {"unit": "S1C1G1", "address": "3号楼门口"}, **extra}


@pytest.fixture
def upstream(app, frozen):
    with Receiver(SECRET, clock=lambda: frozen_now(frozen)) as receiver:
        app.config["COMMUNITY_UPSTREAMS"] = {"hotline": {
            "secret": SECRET, "callback_url": receiver.url, "label": "12345热线",
            "categories": {"0101": "ELD", "0202": "UTL"}, "fallback_category": "ENV"}}
        try:
            yield receiver
        finally:
            app.config["COMMUNITY_UPSTREAMS"] = {}


def frozen_now(frozen):
    from community.core.timeutil import utcnow

    return utcnow()


def test_a_whole_order_through_the_reference_upstream(app, client, people, areas, upstream, frozen):
    sent = send_order(client, "hotline", SECRET, order(), NOW)
    assert sent.status_code == 201, sent.get_json()
    code = sent.get_json()["tracking_code"]
    ticket = db.session.scalar(select(Ticket).where(Ticket.tracking_code == code))
    assert ticket.channel == "upstream" and ticket.category.code == "ELD" and ticket.grid.code == "S1C1G1"
    assert ticket.external_due_at == T0 + timedelta(hours=20)
    # The same order again: the same request, nothing new.
    again = send_order(client, "hotline", SECRET, order(), NOW)
    assert again.status_code == 200 and again.get_json()["tracking_code"] == code
    assert db.session.scalar(select(func.count(Ticket.id))) == 1

    # 签收, 延期 request, then the upstream goes down for a while.
    actions.accept(ticket, people.grid, NOW)
    db.session.commit()
    # Its deadline is earlier than our 办结 deadline: it orders the queue (and warnings).
    assert ticket.external_due_at < ticket.resolve_due_at and ticket.next_due_at == ticket.external_due_at
    login(client, "grid")
    page = client.get(f"/work/tickets/{ticket.id}").get_data(as_text=True)
    assert "上游平台期限" in page and "早于本平台期限" in page
    assert "上级平台派单 · 12345热线" in page  # the channel names the upstream, not 热线电话
    assert run_deliveries(NOW) == (1, 0) and upstream.steps() == ["accepted"]

    upstream.down = True
    request_extension(ticket, people.grid, NOW, 2, "等待配件")
    db.session.commit()
    actions.resolve(ticket, people.grid, NOW + timedelta(minutes=5), "solved", "已更换灯泡，恢复照明。")
    db.session.commit()
    for minute in (10, 20, 30):  # retried, refused while down: nothing lost, order kept
        ran, failed = run_deliveries(NOW + timedelta(minutes=minute))
        assert ran == 0 and failed == 2
    assert upstream.steps() == ["accepted"]
    waiting = db.session.scalars(select(Delivery).where(Delivery.delivered_at.is_(None))
                                 .order_by(Delivery.id)).all()
    assert [d.event for d in waiting] == ["extension_requested", "resolved"]
    assert waiting[0].attempts == 3 and waiting[0].last_status == 503
    # The failed rows wait where the admin sees and replays them.
    login(client, "admin")
    assert "exchange.deliver" in client.get("/admin/jobs").get_data(as_text=True)
    assert "extension_requested" in client.get("/admin/exchange").get_data(as_text=True)

    upstream.down = False
    run_deliveries(NOW + timedelta(minutes=40))
    assert upstream.steps() == ["accepted", "extension_requested", "resolved"]  # in order
    told = upstream.received
    assert "等待配件" in told[1]["data"]["reason"]
    assert told[2]["data"]["reply"] == "已更换灯泡，恢复照明。" and told[2]["data"]["result"] == "solved"
    assert all(m["data"]["order_id"] == "HL-0001" for m in told)

    # The resident rates with the texted link; the upstream hears of it too.
    later = NOW + timedelta(hours=1)
    frozen.move_to(later)
    token = links.issue(ticket, later, resolution=ratings.rateable_resolution(ticket))
    ratings.rate(ticket, None, later, "yes", "satisfied", link=links.find(token, later))
    db.session.commit()
    run_deliveries(later)
    assert upstream.steps()[-1] == "rated" and upstream.received[-1]["data"]["level"] == "satisfied"
    assert upstream.refused == 0  # every delivery was signed right


def test_a_return_tells_the_upstream_the_reason(app, client, people, areas, upstream, frozen):
    code = send_order(client, "hotline", SECRET, order("HL-0002"), NOW).get_json()["tracking_code"]
    ticket = db.session.scalar(select(Ticket).where(Ticket.tracking_code == code))
    return_ticket(ticket, people.grid, NOW, "不属于本网格，应由供水公司处理。")
    db.session.commit()
    run_deliveries(NOW)
    assert upstream.steps() == ["returned"]
    assert upstream.received[0]["data"]["reason"] == "不属于本网格，应由供水公司处理。"


def test_an_unknown_category_goes_to_the_dispatcher(app, client, people, areas, upstream, frozen):
    answer = send_order(client, "hotline", SECRET, order("HL-0003", category="9999"), NOW)
    assert answer.status_code == 201 and answer.get_json()["mapped"] is False
    row = db.session.scalar(select(UpstreamOrder))
    assert row.category_code == "9999" and row.ticket.category.code == "ENV"
    flagged = db.session.scalar(select(TicketEvent).where(TicketEvent.action == "upstream_unmapped"))
    assert flagged is not None and not flagged.public and "9999" in flagged.note
    # With the dispatcher above the unit it was routed to, to re-route; nobody charged a 退单.
    ticket = row.ticket
    assert ticket.state == "returned" and flagged.unit_id == ticket.handling_unit_id
    dispatcher = {"S1C1": people.community, "S1": people.street, "C": people.county}[ticket.handling_unit.code]
    assert db.session.scalar(select(func.count(TicketEvent.id)).where(TicketEvent.action == "return")) == 0
    from community.workqueue.routing import reroute

    reroute(ticket, dispatcher, NOW, areas.S1C1G2.id, "改派到二网格")
    db.session.commit()
    assert ticket.state == "submitted" and ticket.handling_unit.code == "S1C1G2"
    run_deliveries(NOW)
    assert upstream.steps() == []  # internal: the upstream hears of steps, not of our dispatch


@pytest.mark.parametrize("case", ["signature", "stale", "unknown upstream", "no signature"])
def test_unsigned_or_forged_orders_are_refused_and_nothing_filed(app, client, people, areas, upstream,
                                                                 frozen, case):
    if case == "signature":
        answer = send_order(client, "hotline", SECRET, order(), NOW, signature="sha256=" + "0" * 64)
    elif case == "stale":  # a replay of an old, once valid request
        answer = send_order(client, "hotline", SECRET, order(), NOW - timedelta(minutes=10))
    elif case == "unknown upstream":
        answer = send_order(client, "elsewhere", SECRET, order(), NOW)
    else:
        answer = client.post("/exchange/v1/upstreams/hotline/orders", json=order())
    assert answer.status_code == 401 and answer.get_json()["error"]["code"] == "bad_signature"
    assert "WWW-Authenticate" in answer.headers
    assert db.session.scalar(select(func.count(Ticket.id))) == 0


def test_a_bad_order_is_refused_and_nothing_filed(app, client, people, areas, upstream, frozen):
    for bad in (order(due_at="tomorrow"), order(text=""), order(location={"unit": "NOPE"}),
                {k: v for k, v in order().items() if k != "order_id"}, order(text="a\x00b")):
        answer = send_order(client, "hotline", SECRET, bad, NOW)
        assert answer.status_code in (400, 422), (bad, answer.data)
        assert answer.get_json()["error"]["code"]
    assert db.session.scalar(select(func.count(Ticket.id))) == 0
    assert db.session.scalar(select(func.count(OutboxRow.id)).where(OutboxRow.kind == "exchange.deliver")) == 0


def test_the_earlier_deadline_wins_for_warnings(app, client, people, areas, upstream, frozen):
    from community.clock.deadlines import pending_marks, warn_ratio

    code = send_order(client, "hotline", SECRET, order("HL-0004"), NOW).get_json()["tracking_code"]
    ticket = db.session.scalar(select(Ticket).where(Ticket.tracking_code == code))
    actions.accept(ticket, people.grid, NOW)
    db.session.commit()
    marks = {(clock, kind): at for at, clock, kind in pending_marks(ticket)}
    expected = NOW + (ticket.external_due_at - NOW) * warn_ratio()
    assert marks[("resolve", "warning")] == expected  # from the upstream's, earlier, deadline
    ours = NOW + (ticket.resolve_due_at - NOW) * warn_ratio()
    assert expected < ours
    # Without an upstream deadline the warning is ours, as before.
    ticket.external_due_at = None
    marks = {(clock, kind): at for at, clock, kind in pending_marks(ticket)}
    assert marks[("resolve", "warning")] == ours


def test_an_upstream_gone_past_every_retry_gets_everything_after_one_replay(app, client, people, areas,
                                                                             upstream, frozen):
    """Nothing listening at the callback (not a 503: connections refused) for longer
    than every retry: the steps wait at /admin/jobs; one replay sends them all, in order."""
    from community.outbox.services import MAX_ATTEMPTS
    from tests.factories import csrf_from

    code = send_order(client, "hotline", SECRET, order("HL-0005"), NOW).get_json()["tracking_code"]
    ticket = db.session.scalar(select(Ticket).where(Ticket.tracking_code == code))
    actions.accept(ticket, people.grid, NOW)
    db.session.commit()
    assert run_deliveries(NOW) == (1, 0)

    upstream.stop()
    request_extension(ticket, people.grid, NOW, 2, "等待配件")
    actions.resolve(ticket, people.grid, NOW, "solved", "已更换灯泡。")
    db.session.commit()
    for attempt in range(MAX_ATTEMPTS):
        assert run_deliveries(NOW + timedelta(minutes=attempt + 1)) == (0, 2)
    assert run_deliveries(NOW + timedelta(hours=3)) == (0, 0)  # out of tries: no more by itself
    waiting = db.session.scalars(select(Delivery).where(Delivery.delivered_at.is_(None))
                                 .order_by(Delivery.id)).all()
    assert [d.event for d in waiting] == ["extension_requested", "resolved"]
    assert "refused" in waiting[0].last_error.lower() and "waiting for delivery" in waiting[1].last_error
    dead = db.session.scalars(select(OutboxRow).where(OutboxRow.kind == "exchange.deliver",
                                                      OutboxRow.done_at.is_(None))
                              .order_by(OutboxRow.id)).all()
    assert len(dead) == 2 and all(row.attempts == MAX_ATTEMPTS for row in dead)

    login(client, "admin")
    page = client.get("/admin/jobs")
    assert f"/admin/jobs/outbox/{dead[0].id}/retry" in page.get_data(as_text=True)
    upstream.start()  # back, on the same address
    replay = client.post(f"/admin/jobs/outbox/{dead[0].id}/retry", data={"csrf_token": csrf_from(page)})
    assert replay.status_code == 302
    later = NOW + timedelta(hours=4)
    run_deliveries(later)
    run_deliveries(later)  # the step that waited for it got its tries back
    assert upstream.steps() == ["accepted", "extension_requested", "resolved"]
    assert db.session.scalar(select(func.count(Delivery.id)).where(Delivery.delivered_at.is_(None))) == 0
    assert upstream.refused == 0


def test_a_failed_delivery_is_retried_by_rq_with_backoff(app, client, people, areas, upstream, frozen):
    """The worker's path: a refused delivery's job is scheduled again after the first
    interval of the outbox's backoff, with the rest of the intervals still to come."""
    from rq import Queue, SimpleWorker
    from rq.job import Job
    from rq.registry import ScheduledJobRegistry

    from community.outbox import relay_outbox
    from community.outbox.services import RETRY_INTERVALS
    from workers import jobs

    code = send_order(client, "hotline", SECRET, order("HL-0006"), NOW).get_json()["tracking_code"]
    ticket = db.session.scalar(select(Ticket).where(Ticket.tracking_code == code))
    upstream.down = True
    actions.accept(ticket, people.grid, NOW)
    db.session.commit()
    connection = app.extensions["redis"]
    queue = Queue("default", connection=connection)
    jobs.use_app(app)

    def work():
        SimpleWorker([queue], connection=connection).work(burst=True)
        db.session.expire_all()

    work()  # the batch offer: refused, handed to the per-row path
    row = db.session.scalar(select(OutboxRow).where(OutboxRow.kind == "exchange.deliver"))
    assert row.done_at is None and row.attempts == 1 and upstream.calls == 1
    assert relay_outbox(NOW) >= 1
    db.session.commit()
    work()  # refused again: RQ schedules the next try
    job = Job.fetch(f"outbox-{row.id}", connection=connection)
    assert job.retry_intervals == RETRY_INTERVALS and job.retries_left == len(RETRY_INTERVALS) - 1
    scheduled = ScheduledJobRegistry(queue=queue)
    assert job.id in scheduled.get_job_ids()
    assert scheduled.get_scheduled_time(job) - NOW == timedelta(seconds=RETRY_INTERVALS[0])
    assert upstream.calls == 2 and upstream.received == []
    assert db.session.scalar(select(Delivery)).attempts == 2


def test_each_upstream_has_its_own_secret_and_its_own_order_ids(app, client, people, areas, upstream,
                                                               frozen):
    app.config["COMMUNITY_UPSTREAMS"]["city"] = {
        "secret": "command-centre-secret", "callback_url": upstream.url, "label": "综合指挥平台",
        "categories": {"A1": "ENV"}}
    same = order("SAME-1", category="A1")
    # The hotline's secret opens nothing at the command centre's door.
    forged = send_order(client, "city", SECRET, same, NOW)
    assert forged.status_code == 401 and db.session.scalar(select(func.count(Ticket.id))) == 0
    first = send_order(client, "hotline", SECRET, order("SAME-1"), NOW)
    second = send_order(client, "city", "command-centre-secret", same, NOW)
    assert first.status_code == second.status_code == 201  # one order id, two upstreams: two requests
    assert first.get_json()["tracking_code"] != second.get_json()["tracking_code"]
    again = send_order(client, "city", "command-centre-secret", same, NOW)
    assert again.status_code == 200 and again.get_json()["tracking_code"] == second.get_json()["tracking_code"]
    assert db.session.scalar(select(func.count(UpstreamOrder.id))) == 2
    city = db.session.scalar(select(UpstreamOrder).where(UpstreamOrder.upstream == "city"))
    assert city.ticket.category.code == "ENV" and city.mapped


def test_a_rating_given_on_the_phone_reaches_the_upstream_too(app, client, people, areas, upstream,
                                                              frozen):
    """回访: a resident reached by phone (no account, no link used) rates through a county
    callback officer; the upstream hears of that rating like any other, channel named."""
    code = send_order(client, "hotline", SECRET, order("HL-0007"), NOW).get_json()["tracking_code"]
    ticket = db.session.scalar(select(Ticket).where(Ticket.tracking_code == code))
    actions.accept(ticket, people.grid, NOW)
    actions.resolve(ticket, people.grid, NOW, "solved", "已修好。")
    db.session.commit()
    ratings.record_callback_rating(ticket, people.county, NOW + timedelta(hours=1),
                                   ratings.Answer("partly", "basic", "还有一盏不亮"))
    db.session.commit()
    for _round in range(3):
        run_deliveries(NOW + timedelta(hours=1))
    assert upstream.steps() == ["accepted", "resolved", "rated"]
    rated = upstream.received[-1]["data"]
    assert (rated["solved"], rated["level"], rated["channel"]) == ("partly", "basic", "callback")
    assert rated["comment"] == "还有一盏不亮" and "county" not in str(rated)  # the officer is not named


def test_the_reference_upstream_talks_http_both_ways(app, people, areas, upstream, frozen):
    """Orders over HTTP to the platform on a live server, steps over HTTP back."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    # shutdown() waits for the loop's next poll (0.5 s by default)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        platform = f"http://127.0.0.1:{server.server_port}"
        sent = send_order(platform, "hotline", SECRET, order("HL-HTTP"), NOW)
        assert sent.status_code == 201, sent.data
        assert send_order(platform, "hotline", SECRET, order("HL-HTTP"), NOW).status_code == 200
        forged = send_order(platform, "hotline", "not-the-secret", order("HL-HTTP-2"), NOW)
        assert forged.status_code == 401
    finally:
        server.shutdown()
        thread.join(timeout=5)
    db.session.rollback()  # read what the server thread wrote
    ticket = db.session.scalar(select(Ticket).where(Ticket.tracking_code == sent.get_json()["tracking_code"]))
    assert db.session.scalar(select(func.count(Ticket.id))) == 1
    actions.accept(ticket, people.grid, NOW)
    db.session.commit()
    assert run_deliveries(NOW) == (1, 0) and upstream.steps() == ["accepted"]
