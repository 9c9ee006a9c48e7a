"""Hostile input in every form: script, SQL, NUL, bad bytes, oversized and broken bodies.

Each gets a clear answer (the form with its message, 400/413/422 JSON) and
either changes nothing or is stored as plain text and shown escaped.
"""
import re

import pytest
from sqlalchemy import func, select

from community.auth.models import User
from community.core.extensions import db
from community.tickets.models import Ticket, TicketEvent
from tests.factories import csrf_from, file_ticket, login

SCRIPT = "<script>alert(1)</script><img src=x onerror=alert(2)>"
SQL = "'; DROP TABLE tickets; -- \" OR 1=1"
HOSTILE = SCRIPT + SQL


def filing(client, areas, **fields):
    page = client.get("/")
    token = re.search(r'name="submit_token"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)
    data = {"csrf_token": csrf_from(page), "submit_token": token, "kind": "help", "category": "ELD",
            "text": "楼道灯坏了。", "community": str(areas.S1C1.id), "address": "2号楼"}
    data.update(fields)
    return data


def tickets():
    return db.session.scalar(select(func.count(Ticket.id)))


def test_script_and_sql_are_stored_as_text_and_shown_escaped(client, people, areas, app):
    login(client, "13800000001")
    answer = client.post("/", data=filing(client, areas, text=HOSTILE, address=HOSTILE[:200]))
    assert answer.status_code == 302
    ticket = db.session.scalars(select(Ticket)).one()
    assert ticket.text == HOSTILE  # kept verbatim: the database took it as a value
    page = client.get(f"/t/{ticket.tracking_code}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "onerror=alert(2)>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page

    staff = app.test_client()
    login(staff, "grid")
    form = staff.get(f"/work/tickets/{ticket.id}")
    staff.post(f"/work/tickets/{ticket.id}/accept", data={"csrf_token": csrf_from(form)})
    assert staff.post(f"/work/tickets/{ticket.id}/respond",
                      data={"csrf_token": csrf_from(form), "text": HOSTILE}).status_code == 302
    for body in (staff.get(f"/work/tickets/{ticket.id}").get_data(as_text=True),
                 client.get(f"/t/{ticket.tracking_code}").get_data(as_text=True)):
        assert "<script>alert(1)" not in body and "&lt;script&gt;" in body
    info = client.post(f"/t/{ticket.tracking_code}/info",
                       data={"csrf_token": csrf_from(client.get("/login")), "text": HOSTILE})
    assert info.status_code == 302
    assert "<script>alert(1)" not in client.get(f"/t/{ticket.tracking_code}").get_data(as_text=True)


@pytest.mark.parametrize("field,value", [
    ("category", "ELD' OR '1'='1"), ("kind", SCRIPT), ("community", "1 OR 1=1"),
    ("text", ""), ("text", "长" * 4001),
])
def test_bad_choices_and_lengths_in_the_filing_form_are_refused(client, people, areas, field, value):
    login(client, "13800000001")
    answer = client.post("/", data=filing(client, areas, **{field: value}))
    assert answer.status_code == 400
    assert 'class="error' in answer.get_data(as_text=True) or "error" in answer.get_data(as_text=True)
    assert tickets() == 0


def test_nul_and_control_characters_are_refused_everywhere(client, people, areas, app):
    login(client, "13800000001")
    answer = client.post("/", data=filing(client, areas, text="灯坏了\x00"))
    assert answer.status_code == 400 and tickets() == 0
    api = client.post("/api/v1/requests", json={"kind": "help", "category": "ELD", "text": "x\u0000y",
                                                "grid": "S1C1G1"},
                      headers={"X-CSRFToken": csrf_from(client.get("/login"))})
    assert api.status_code == 422 and "text" in api.get_json()["error"]["fields"] and tickets() == 0
    assert client.get("/t?code=AB%00CD").status_code in (302, 400)
    anonymous = app.test_client()
    page = anonymous.get("/login")
    refused = anonymous.post("/login", data={"csrf_token": csrf_from(page), "login": "grid\x00",
                                             "password": "x"})
    assert refused.status_code == 400


def test_bytes_that_are_not_utf8_are_refused(client, people, areas):
    """Issue 21, finding 7: percent-encoded bytes that are not UTF-8 were stored as "%FF"."""
    login(client, "13800000001")
    data = filing(client, areas)
    body = "&".join(f"{k}={v}" for k, v in data.items() if k != "text").encode() + b"&text=%FF%FE%C3%28"
    answer = client.post("/", data=body, content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 400 and "无效字符" in answer.get_data(as_text=True) and tickets() == 0
    assert client.get("/t?code=%C3%28").status_code == 400
    raw = (b'--XYZ\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
           + data["csrf_token"].encode() + b'\r\n--XYZ\r\nContent-Disposition: form-data; '
           b'name="text"\r\n\r\n\xff\xfe\r\n--XYZ--\r\n')
    assert client.post("/", data=raw, content_type="multipart/form-data; boundary=XYZ").status_code == 400
    fine = "&".join(f"{k}={v}" for k, v in data.items() if k != "text").encode() + b"&text=%E7%81%AF+%E5%9D%8F"
    assert client.post("/", data=fine, content_type="application/x-www-form-urlencoded").status_code == 302
    assert db.session.scalar(select(Ticket.text)) == "灯 坏"
    raw = client.post("/api/v1/requests", data=b'{"text": "\xff\xfe"}', content_type="application/json",
                      headers={"X-CSRFToken": data["csrf_token"]})
    assert raw.status_code == 400 and raw.get_json()["error"]


def test_oversized_and_broken_bodies_get_clear_answers(client, people, areas, app, monkeypatch):
    login(client, "13800000001")
    data = filing(client, areas)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2048)
    big = client.post("/", data={**data, "text": "长" * 4000})
    assert big.status_code == 413 and "太大" in big.get_data(as_text=True)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 16 * 1024 * 1024)
    broken = (b'--XYZ\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
              + data["csrf_token"].encode() + b'\r\n--XYZ\r\nContent-Disposition: form-data; '
              b'name="photos"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff')
    answer = client.post("/", data=broken, content_type="multipart/form-data; boundary=XYZ")
    assert answer.status_code in (400, 413) and tickets() == 0
    assert client.post("/", data=b"--nope", content_type="multipart/form-data").status_code == 400
    assert tickets() == 0


def test_signup_and_login_refuse_hostile_input_clearly(client, areas, people):
    page = client.get("/signup")
    answer = client.post("/signup", data={"csrf_token": csrf_from(page), "phone": SQL,
                                          "send_code": "1"})
    assert answer.status_code == 400 and "手机号" in answer.get_data(as_text=True)
    answer = client.post("/signup", data={"csrf_token": csrf_from(page), "phone": "13900001111",
                                          "code": "' OR 1=1", "password": "abc12345",
                                          "name": SCRIPT})
    assert answer.status_code == 400 and "<script>alert(1)" not in answer.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id))) == len(vars(people))
    page = client.get("/login")
    answer = client.post("/login", data={"csrf_token": csrf_from(page), "login": "' OR '1'='1",
                                         "password": "' OR '1'='1"})
    assert answer.status_code == 400 and client.get("/my").status_code == 302  # not signed in
    assert "<script>" not in client.get("/login?next=" + SCRIPT).get_data(as_text=True)


def test_hostile_staff_action_input_changes_nothing(client, people, areas, frozen):
    ticket = file_ticket(people, areas)
    login(client, "grid")
    token = csrf_from(client.get(f"/work/tickets/{ticket.id}"))
    events = db.session.scalar(select(func.count(TicketEvent.id)))
    for action, data in (("resolve", {"result": SQL}), ("reassign", {"assignee": "1 OR 1=1"}),
                         ("merge", {"into": SCRIPT}), ("extension", {"days": "-5", "reason": SQL}),
                         ("escalate", {"reason": "", "to_tier": SCRIPT}), (SCRIPT, {})):
        answer = client.post(f"/work/tickets/{ticket.id}/{action}", data={"csrf_token": token, **data})
        assert 400 <= answer.status_code < 500, (action, answer.status_code)
        assert "<script>alert(1)" not in answer.get_data(as_text=True)
    assert db.session.scalar(select(func.count(TicketEvent.id))) == events


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_deeply_nested_json_gets_400_never_500(client, people):
    """Issue 21, finding 6: 1,000 levels (2 KB) made the decoder recurse into a 500."""
    token = csrf_from(client.get("/login"))
    login(client, "13800000001")
    headers = {"X-CSRFToken": token}
    for depth in (1000, 33):
        answer = client.post("/api/v1/requests", data=nested(depth), content_type="application/json",
                             headers=headers)
        assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "too_deep"
    shallow = client.post("/api/v1/requests", json={"kind": "help", "extra": [[[1]]]}, headers=headers)
    assert shallow.status_code == 422  # deep enough to be read, then refused field by field
    for body in (nested(1000), "[1, 2]", '{"login": {"a": 1}}'):  # a form answers JSON with 415
        answer = client.post("/login", data=body, content_type="application/json")
        assert answer.status_code == 415, body
    assert tickets() == 0


def test_signed_in_and_tracking_pages_are_never_cached(client, people, areas, frozen):
    """Issue 21, finding 7: staff pages (the phone reveal included) had no Cache-Control."""
    ticket = file_ticket(people, areas)
    assert client.get(f"/t/{ticket.tracking_code}").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    login(client, "grid")
    page = client.get(f"/work/tickets/{ticket.id}")
    reveal = client.post(f"/work/tickets/{ticket.id}/reveal", data={"csrf_token": csrf_from(page)})
    assert reveal.status_code == 200 and "13800000001" in reveal.get_data(as_text=True)
    for answer in (page, reveal, client.get("/work")):
        assert answer.headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/static/css/site.css").headers.get("Cache-Control", "")
