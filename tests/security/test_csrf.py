"""Every write refuses a request without a CSRF token (400) and changes nothing.

Walks every POST/PUT/PATCH/DELETE route of the URL map as a signed-in user.
Only Open311's POST is exempt: its clients send an api_key, never a cookie; and the
SMS gateways' receipt pushes, authenticated by the secret token in their path; and the
exchange's orders (issue 27), which need an upstream's HMAC signature instead.
"""
from sqlalchemy import func, select

from community.core.extensions import db
from community.tickets.models import TicketEvent
from tests.security import access_matrix as matrix
from tests.security import walk
from tests.security.world import build_world

EXEMPT = {"POST /open311/v2/requests.<any(json, xml):fmt>",
          "POST /sms/receipts/aliyun/<token>", "POST /sms/receipts/tencent/<token>",
          "POST /exchange/v1/upstreams/<name>/orders"}


def test_every_write_without_a_csrf_token_is_refused(app, frozen):
    world = build_world()
    client, _token = walk.signed_in(app, "grid")
    events = db.session.scalar(select(func.count(TicketEvent.id)))
    accepted = []
    for key in sorted(walk.route_keys(app)):
        method = key.split(" ", 1)[0]
        if method == "GET" or key in EXEMPT:
            continue
        url = walk.build_url(app, key, world, matrix.PARAMS, matrix.ENDPOINT_PARAMS)
        body = matrix.BODIES.get(key)
        body = body(world) if callable(body) else (body or {})
        if key.split(" ", 1)[1].startswith("/api/"):
            response = client.open(url, method=method, json=body)
        else:
            response = client.open(url, method=method, data=body)
        if response.status_code != 400:
            accepted.append(f"{key}: {response.status_code}")
    assert not accepted, "writes answered without a CSRF token: " + ", ".join(accepted)
    assert db.session.scalar(select(func.count(TicketEvent.id))) == events
    assert client.get("/work").status_code == 200  # still signed in: logout was refused too


def test_a_bearer_token_needs_no_csrf_but_a_cookie_does(app, people, areas):
    from community.api.tokens import create_token
    from community.core.timeutil import utcnow

    _row, secret = create_token(people.resident, utcnow(), name="cli")
    db.session.commit()
    body = {"kind": "help", "category": "ELD", "text": "路灯坏了", "grid": "S1C1G1"}
    client = app.test_client()
    assert client.post("/api/v1/requests", json=body,
                       headers={"Authorization": f"Bearer {secret}"}).status_code == 201
    walk.signed_in(app, None)
    from tests.factories import login

    login(client, "13800000001")
    refused = client.post("/api/v1/requests", json=body)  # the cookie alone: no
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "csrf"
