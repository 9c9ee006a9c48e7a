"""Webhook subscriptions from the admin's form and the delivery log's filters (issue 27)."""
import json
import re
from datetime import timedelta

from sqlalchemy import select

from community.admin.models import AdminAudit
from community.exchange import webhooks
from community.exchange.delivery import queue_delivery
from community.exchange.models import Delivery, WebhookSubscription
from community.core.extensions import db
from community.workqueue import actions
from tests.factories import count, csrf_from, login
from tests.factories import T0, file_ticket

from .helpers import run_deliveries
from .reference import Receiver

NOW = T0 + timedelta(minutes=30)


def _post(client, url, data):
    token = csrf_from(client.get("/admin/exchange"))
    return client.post(url, data={"csrf_token": token, **data})


def test_subscribe_pause_resume_delete_from_the_form(app, client, people, areas, frozen):
    login(client, "admin")
    with Receiver("pending") as receiver:
        made = _post(client, "/admin/exchange/subscriptions", {
            "client_kind": "api", "client": "street", "unit": "S1", "events": ["filed", "accepted"],
            "url": receiver.url})
        assert made.status_code == 201
        receiver.secret = re.search(r'webhook-secret">([0-9a-f]+)<', made.get_data(as_text=True)).group(1)
        row = db.session.scalar(select(WebhookSubscription))
        assert row.user_id == people.street.id and row.unit_id == areas.S1.id and row.events == ["filed", "accepted"]
        webhooks.forget_cache()
        first = file_ticket(people, areas, now=NOW)
        db.session.commit()
        assert run_deliveries(NOW) == (1, 0) and receiver.refused == 0

        # Paused: nothing new is sent; resumed: sent again.
        assert _post(client, f"/admin/exchange/subscriptions/{row.id}/pause", {}).status_code == 302
        actions.accept(first, people.grid, NOW)
        db.session.commit()
        assert count(Delivery) == 1
        assert "已暂停" in client.get("/admin/exchange").get_data(as_text=True)
        assert _post(client, f"/admin/exchange/subscriptions/{row.id}/resume", {}).status_code == 302
        file_ticket(people, areas, now=NOW)
        db.session.commit()
        assert count(Delivery) == 2
        # Deleted: kept for the log, no longer sent to, no buttons left.
        assert _post(client, f"/admin/exchange/subscriptions/{row.id}/delete", {}).status_code == 302
        file_ticket(people, areas, now=NOW)
        db.session.commit()
        assert count(Delivery) == 2
        db.session.expire_all()
        assert row.revoked_at is not None
    actions_done = [r.action for r in db.session.scalars(select(AdminAudit).order_by(AdminAudit.id))]
    assert actions_done == ["webhook.create", "webhook.pause", "webhook.resume", "webhook.delete"]
    assert receiver.secret not in json.dumps([r.detail for r in db.session.scalars(select(AdminAudit))])
    # A paused or deleted subscription that does not exist: 404.
    assert _post(client, f"/admin/exchange/subscriptions/{row.id}/pause", {}).status_code == 404
    assert _post(client, "/admin/exchange/subscriptions/9999/delete", {}).status_code == 404


def test_bad_subscriptions_are_refused_with_nothing_made(client, people, areas):
    login(client, "admin")
    for form, message in (
            ({"client_kind": "api", "client": "nobody", "events": ["filed"], "url": "https://x.test/h"}, "没有这个 API 用户"),
            ({"client_kind": "api", "client": "street", "events": ["filed"], "url": "ftp://x"}, "回调地址"),
            ({"client_kind": "api", "client": "street", "events": ["bogus"], "url": "https://x.test/h"}, "事件只能是"),
            ({"client_kind": "api", "client": "street2", "unit": "S1", "events": ["filed"], "url": "https://x.test/h"},
             "无权查看"),
            ({"client_kind": "open311", "client": "none", "events": ["filed"], "url": "https://x.test/h"}, "Open311")):
        answer = _post(client, "/admin/exchange/subscriptions", form)
        assert answer.status_code == 422 and message in answer.get_data(as_text=True), form
    assert count(WebhookSubscription) == 0 and count(AdminAudit) == 0


def test_delivery_log_filters(client, people, areas, frozen):
    api_sub, _ = webhooks.subscribe(url="https://a.test/h", events=["filed"], now=NOW, user=people.resident)
    ticket = file_ticket(people, areas, now=NOW)
    db.session.flush()
    rows = {
        "a": queue_delivery(f"webhook:{api_sub.id}", api_sub.url, "filed", {"n": "a"}, NOW,
                            ticket_id=ticket.id, subscription_id=api_sub.id),
        "b": queue_delivery("upstream:hotline", "https://u.test/cb", "accepted", {"n": "b"},
                            NOW - timedelta(days=3), ticket_id=ticket.id),
        "c": queue_delivery("upstream:hotline", "https://u.test/cb", "resolved", {"n": "c"}, NOW),
    }
    rows["b"].delivered_at = NOW
    rows["c"].attempts = 2
    db.session.commit()
    login(client, "admin")

    def shown(query):
        page = client.get("/admin/exchange?" + query)
        assert page.status_code == 200, query
        return {key for key, row in rows.items()
                if re.search(rf'<tr class="delivery"><td>{row.id}</td>', page.get_data(as_text=True))}

    assert shown("") == {"a", "b", "c"}
    assert shown(f"client=user:{people.resident.id}") == {"a"}
    assert shown("client=upstream:hotline") == {"b", "c"}
    assert shown("event=accepted") == {"b"}
    assert shown("status=delivered") == {"b"}
    assert shown("status=failed") == {"c"}
    assert shown("status=waiting") == {"a"}
    day = (NOW - timedelta(days=3)).date().isoformat()
    assert shown(f"since={day}&until={day}") == {"b"}
    assert shown(f"since={(NOW - timedelta(days=1)).date().isoformat()}") == {"a", "c"}
    for bad in ("status=lost", "event=nope", "since=yesterday", "since=2030-01-02&until=2030-01-01",
                "client=mail:1"):
        assert client.get("/admin/exchange?" + bad).status_code == 422, bad
