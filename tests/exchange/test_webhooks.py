"""Webhooks for API and Open311 clients (issue 27 §2): an admin's subscription per
client, for a unit or the client's own requests; deliveries signed, retried through
the outbox, logged; a test receiver (tests/exchange/reference.py) checks signatures."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.core.errors import ValidationFailed
from community.exchange import webhooks
from community.exchange.models import Delivery, WebhookSubscription
from community.core.extensions import db
from community.open311.keys import create_client
from community.workqueue import actions
from tests.factories import T0, file_ticket, login

from .helpers import run_deliveries
from .reference import Receiver

NOW = T0 + timedelta(minutes=30)


def _subscribe(receiver_url, **kwargs):
    row, secret = webhooks.subscribe(url=receiver_url, now=NOW, **kwargs)
    db.session.commit()
    webhooks.forget_cache()
    return row, secret


def test_a_unit_subscription_hears_each_step_signed(app, people, areas, frozen):
    with Receiver("pending") as street:
        _row, secret = _subscribe(street.url, user=people.street, unit=areas.S1,
                                  events=["filed", "accepted", "resolved", "rated"])
        street.secret = secret
        ticket = file_ticket(people, areas, now=NOW)
        actions.accept(ticket, people.grid, NOW)
        actions.resolve(ticket, people.grid, NOW, "solved", "已修好。")
        db.session.commit()
        other = file_ticket(people, areas, grid=areas.S2C1G1, now=NOW)  # another street: not told
        assert run_deliveries(NOW) == (3, 0)
        assert [m["event"] for m in street.received] == ["filed", "accepted", "resolved"]
        assert {m["data"]["tracking_code"] for m in street.received} == {ticket.tracking_code}
        assert other.tracking_code not in str(street.received) and street.refused == 0


def test_own_requests_and_retries_with_a_delivery_log(app, client, people, areas, frozen):
    with Receiver("pending") as app_server:
        _row, secret = _subscribe(app_server.url, user=people.resident, events=["accepted"])
        app_server.secret = secret
        mine = file_ticket(people, areas, now=NOW)
        theirs = file_ticket(people, areas, now=NOW, resident=people.resident2)
        app_server.down = True
        actions.accept(mine, people.grid, NOW)
        actions.accept(theirs, people.grid, NOW)
        db.session.commit()
        assert run_deliveries(NOW) == (0, 1)  # refused while down: kept, retried
        app_server.down = False
        assert run_deliveries(NOW + timedelta(minutes=1)) == (1, 0)
        assert [m["data"]["tracking_code"] for m in app_server.received] == [mine.tracking_code]
        logged = db.session.scalar(select(Delivery))
        assert logged.attempts == 2 and logged.delivered_at is not None and logged.last_status == 200
        login(client, "admin")
        page = client.get("/admin/exchange").get_data(as_text=True)
        assert f"webhook:{_row.id}" in page and "accepted" in page


def test_an_open311_client_hears_of_its_own_requests_by_public_id(app, client, people, mapped, frozen):
    o311, key = create_client("city-app", NOW)
    db.session.commit()
    with Receiver("pending") as city_app:
        _row, city_app.secret = _subscribe(city_app.url, open311_client=o311, events=["filed", "accepted"])
        posted = client.post("/open311/v2/requests.json", data={
            "api_key": key, "service_code": "ELD", "description": "路灯坏了", "lat": "25.005",
            "long": "102.005"})
        assert posted.status_code == 201
        file_ticket(people, mapped, now=NOW)  # a resident's own: not this client's
        run_deliveries(NOW)
        assert [m["event"] for m in city_app.received] == ["filed"]
        public_id = posted.get_json()[0]["service_request_id"]
        assert city_app.received[0]["data"]["service_request_id"] == public_id
        assert "tracking_code" not in city_app.received[0]["data"]  # the resident's key stays theirs


def test_the_new_token_is_set_after_the_commit_not_before(app, people):
    """Set before the commit, another process could read the old subscriptions under the
    new token and keep them until the next change."""
    redis = app.extensions["redis"]
    redis.set(webhooks.VERSION_KEY, "before")
    row, _secret = webhooks.subscribe(url="https://example.org/hook", now=NOW, user=people.resident,
                                      events=["filed"])
    assert redis.get(webhooks.VERSION_KEY) == b"before"  # not yet: still uncommitted
    assert any(r[0] == row.id for r in webhooks._active())  # this transaction sees its own row
    assert app.extensions.get("webhook_cache") is None  # and keeps no copy of it
    db.session.commit()
    assert redis.get(webhooks.VERSION_KEY) not in (None, b"before")
    redis.set(webhooks.VERSION_KEY, "again")
    webhooks.revoke(row.id, NOW)
    db.session.rollback()
    assert redis.get(webhooks.VERSION_KEY) == b"again"  # a rolled-back change announces nothing
    db.session.commit()
    assert redis.get(webhooks.VERSION_KEY) == b"again"


def test_a_revoked_subscription_hears_nothing_more(app, people, areas, frozen):
    with Receiver("pending") as gone:
        row, gone.secret = _subscribe(gone.url, user=people.resident, events=["filed"])
        webhooks.revoke(row.id, NOW)
        db.session.commit()
        webhooks.forget_cache()
        file_ticket(people, areas, now=NOW)
        assert run_deliveries(NOW) == (0, 0) and gone.received == []


@pytest.mark.parametrize("case", ["unit not visible", "no client", "two clients", "bad url",
                                  "unknown event", "open311 unit"])
def test_refused_subscriptions_change_nothing(app, people, areas, case):
    o311, _key = create_client("city-app", NOW)
    kwargs = {"url": "https://example.org/hook", "events": ["filed"], "now": NOW}
    kwargs.update({
        "unit not visible": {"user": people.street2, "unit": areas.S1},
        "no client": {},
        "two clients": {"user": people.resident, "open311_client": o311},
        "bad url": {"user": people.resident, "url": "ftp://example.org"},
        "unknown event": {"user": people.resident, "events": ["gossip"]},
        "open311 unit": {"open311_client": o311, "unit": areas.S1},
    }[case])
    with pytest.raises(ValidationFailed):
        webhooks.subscribe(**kwargs)
    assert db.session.scalar(select(func.count(WebhookSubscription.id))) == 0


def test_only_the_admin_sees_the_exchange_page(client, people, areas):
    login(client, "street")
    assert client.get("/admin/exchange").status_code in (403, 404)


def test_the_cli_subscribes_and_prints_the_secret_last(app, people, areas):
    result = app.test_cli_runner().invoke(args=["exchange", "webhooks", "add", "--user", "street",
                                                "--unit", "S1", "--events", "filed,resolved",
                                                "https://example.org/hook"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    row = db.session.scalar(select(WebhookSubscription))
    assert row.secret == secret and row.events == ["filed", "resolved"]
    refused = app.test_cli_runner().invoke(args=["exchange", "webhooks", "add", "--user", "street2",
                                                 "--unit", "S1", "https://example.org/hook"])
    assert refused.exit_code != 0


def test_every_event_a_subscriber_may_ask_for_is_delivered_in_order(app, people, areas, frozen):
    """filed, accepted, escalated (by hand and by the SLA sweep), returned, resolved,
    reopened, closed, cancelled, rated: each reaches a subscriber of all of them, signed,
    and the events of one request arrive in the order they happened."""
    from community.ratings import services as ratings
    from community.sla.sweep import sweep
    from community.tickets.services import cancel
    from community.workqueue.routing import escalate, return_ticket

    with Receiver("pending") as hook:
        _row, hook.secret = _subscribe(hook.url, user=people.resident, events=webhooks.ALL_EVENTS)
        late = file_ticket(people, areas, now=NOW - timedelta(days=3))  # its 签收 clock ran out
        sweep(NOW)
        db.session.commit()
        one = file_ticket(people, areas, now=NOW)
        actions.accept(one, people.grid, NOW)
        escalate(one, people.grid, NOW, "需要社区协调物业。")
        actions.accept(one, people.community, NOW)
        actions.resolve(one, people.community, NOW, "solved", "已协调物业修好。")
        actions.reopen(one, people.resident, NOW, "晚上又不亮了。")
        actions.resolve(one, people.community, NOW, "solved", "更换了线路。")
        ratings.rate(one, people.resident, NOW, "yes", "satisfied")
        actions.close(one, NOW)
        two = file_ticket(people, areas, now=NOW)
        return_ticket(two, people.grid, NOW, "不属于本网格。")
        three = file_ticket(people, areas, now=NOW)
        cancel(three, people.resident, NOW, "已自行解决。")
        db.session.commit()
        for _round in range(12):  # a step waits for the earlier ones of its request
            if run_deliveries(NOW) == (0, 0):
                break
        assert hook.refused == 0
        heard = {}
        for message in hook.received:
            heard.setdefault(message["data"]["tracking_code"], []).append(message["event"])
        filed, *moved = heard[late.tracking_code]  # one tier for each clock that ran out
        assert filed == "filed" and moved and set(moved) == {"escalated"}
        assert heard[one.tracking_code] == ["filed", "accepted", "escalated", "accepted", "resolved",
                                            "reopened", "resolved", "rated", "closed"]
        assert heard[two.tracking_code] == ["filed", "returned"]
        assert heard[three.tracking_code] == ["filed", "cancelled"]
        assert {e for events in heard.values() for e in events} == set(webhooks.ALL_EVENTS)
        rated = next(m for m in hook.received if m["event"] == "rated")
        assert rated["data"]["level"] == "satisfied" and rated["data"]["solved"] == "yes"
