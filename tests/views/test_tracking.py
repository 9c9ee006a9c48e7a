"""Following a request without signing in: the tracking page, my requests,
cancel before acceptance and adding information."""
import io
import re
from datetime import timedelta

import pytest
from PIL import Image

from community.core.extensions import db
from community.tickets.models import Ticket, TicketEvent, TicketPhoto
from community.tickets.services import record_event, transition
from community.tickets.states import State
from tests.factories import T0, count, file_ticket, login

NOW = T0 + timedelta(minutes=30)


pytestmark = pytest.mark.usefixtures("frozen")  # the clock stops at T0 + 30 min (conftest)


def csrf_of(body: str, action: str) -> str:
    """The CSRF token of the form that posts to `action` on a page."""
    form = re.search(rf'<form[^>]*action="{re.escape(action)}".*?</form>', body, re.S)
    assert form, f"no form posting to {action}"
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.group(0)).group(1)


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 120, 40)).save(out, "PNG")
    return out.getvalue()


# --- the tracking page ---------------------------------------------------------------

def test_tracking_page_without_login_shows_status_unit_and_timeline(client, people, areas):
    ticket = file_ticket(people, areas)
    response = client.get(f"/t/{ticket.tracking_code}")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert ticket.tracking_code in body
    assert "待签收" in body                      # status
    assert areas.S1C1G1.name in body            # handling unit
    assert "一级问题" in body                    # its level
    assert 'class="timeline"' in body and "提交诉求" in body  # the submit event
    assert "签收期限" in body                    # the acceptance deadline
    assert "13800000001" not in body            # no phone number on the public page


def test_unknown_tracking_code_is_404(client, people, areas):
    file_ticket(people, areas)
    response = client.get("/t/ZZZZZZZZZZZZ")
    assert response.status_code == 404
    assert "没有找到这个查询码" in response.get_data(as_text=True)


def test_code_typed_in_lowercase_with_dashes_still_works(client, people, areas):
    ticket = file_ticket(people, areas)
    code = ticket.tracking_code
    typed = f"{code[:4]}-{code[4:8]}-{code[8:]}".lower()
    assert client.get(f"/t/{typed}").status_code == 200
    lookup = client.get(f"/t?code={typed}")
    assert lookup.status_code == 302 and lookup.headers["Location"].endswith(f"/t/{code}")


def test_internal_events_are_not_shown(client, people, areas):
    ticket = file_ticket(people, areas)
    record_event(ticket, "reassign", people.grid, T0 + timedelta(minutes=5), public=False,
                 note="内部备注：转给老王")
    record_event(ticket, "respond", people.grid, T0 + timedelta(minutes=6), note="已收到，明天上门。")
    db.session.commit()
    body = client.get(f"/t/{ticket.tracking_code}").get_data(as_text=True)
    assert "已收到，明天上门。" in body
    assert "内部备注" not in body and "转派" not in body


def test_photo_of_an_internal_event_is_not_served_by_code(client, people, areas, app):
    from community.tickets.services import attach_photos
    from community.tickets.photos import clean_photo

    ticket = file_ticket(people, areas)
    with app.test_request_context():
        photo = clean_photo(io.BytesIO(png()), "x.png")
    event = record_event(ticket, "reassign", people.grid, T0, public=False)
    attach_photos(ticket, event, [photo], T0)
    db.session.commit()
    stored = TicketPhoto.query.one()
    assert client.get(f"/t/{ticket.tracking_code}/photos/{stored.id}").status_code == 404


# --- my requests -------------------------------------------------------------------

def test_my_requests_lists_only_the_residents_own(client, people, areas):
    mine = file_ticket(people, areas)
    theirs = file_ticket(people, areas, resident=people.resident2)
    login(client, "13800000001")
    response = client.get("/my")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert mine.tracking_code in body and theirs.tracking_code not in body


def test_my_requests_sends_staff_home_and_visitors_to_sign_in(client, people, areas):
    assert client.get("/my").headers["Location"].startswith("/login")
    login(client, "grid")
    response = client.get("/my")
    assert response.status_code == 302 and response.headers["Location"] == "/"


# --- cancel ------------------------------------------------------------------------

def test_cancel_before_acceptance_writes_an_event(client, people, areas):
    ticket = file_ticket(people, areas)
    login(client, "13800000001")  # the account it was filed from (issue 20)
    url = f"/t/{ticket.tracking_code}"
    token = csrf_of(client.get(url).get_data(as_text=True), f"{url}/cancel")
    response = client.post(f"{url}/cancel", data={"csrf_token": token, "reason": "已自行解决"})
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    db.session.refresh(ticket)
    assert ticket.state == State.CANCELLED and ticket.closed_at == NOW
    event = ticket.events[-1]
    assert (event.action, event.from_state, event.to_state) == ("cancel", "submitted", "cancelled")
    assert event.note == "已自行解决" and event.actor_id == people.resident.id and event.public
    assert "诉求已撤回" in client.get(url).get_data(as_text=True)


def test_signed_in_resident_cancels_as_themselves(client, people, areas):
    ticket = file_ticket(people, areas)
    login(client, "13800000001")
    url = f"/t/{ticket.tracking_code}"
    token = csrf_of(client.get(url).get_data(as_text=True), f"{url}/cancel")
    client.post(f"{url}/cancel", data={"csrf_token": token})
    db.session.refresh(ticket)
    assert ticket.state == State.CANCELLED and ticket.events[-1].actor_id == people.resident.id


def test_cancel_after_acceptance_is_refused_and_changes_nothing(client, people, areas):
    ticket = file_ticket(people, areas)
    login(client, "13800000001")
    url = f"/t/{ticket.tracking_code}"
    token = csrf_of(client.get(url).get_data(as_text=True), f"{url}/cancel")
    transition(ticket, State.ACCEPTED, people.grid, T0 + timedelta(minutes=10), action="accept")
    db.session.commit()
    events, version = count(TicketEvent), ticket.version
    response = client.post(f"{url}/cancel", data={"csrf_token": token, "reason": "不要了"})
    assert response.status_code == 409
    assert "诉求已被受理，不能撤回" in response.get_data(as_text=True)
    db.session.refresh(ticket)
    assert ticket.state == State.ACCEPTED and ticket.closed_at is None
    assert count(TicketEvent) == events and ticket.version == version


def test_cancel_without_csrf_token_is_refused(client, people, areas):
    ticket = file_ticket(people, areas)
    response = client.post(f"/t/{ticket.tracking_code}/cancel", data={"reason": "x"})
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)
    db.session.refresh(ticket)
    assert ticket.state == State.SUBMITTED


def test_over_long_cancel_reason_is_refused_on_the_form(client, people, areas):
    ticket = file_ticket(people, areas)
    login(client, "13800000001")
    url = f"/t/{ticket.tracking_code}"
    token = csrf_of(client.get(url).get_data(as_text=True), f"{url}/cancel")
    response = client.post(f"{url}/cancel", data={"csrf_token": token, "reason": "长" * 501})
    assert response.status_code == 400 and 'aria-invalid="true"' in response.get_data(as_text=True)
    db.session.refresh(ticket)
    assert ticket.state == State.SUBMITTED and len(ticket.events) == 1


def test_cancel_form_is_not_offered_once_accepted(client, people, areas):
    ticket = file_ticket(people, areas)
    transition(ticket, State.ACCEPTED, people.grid, T0, action="accept")
    db.session.commit()
    url = f"/t/{ticket.tracking_code}"
    assert f'action="{url}/cancel"' not in client.get(url).get_data(as_text=True)


# --- add information -----------------------------------------------------------------

def info_token(client, ticket):
    url = f"/t/{ticket.tracking_code}"
    return csrf_of(client.get(url).get_data(as_text=True), f"{url}/info")


def test_add_text_and_photo(client, people, areas):
    ticket = file_ticket(people, areas)
    data = {"csrf_token": info_token(client, ticket), "text": "补充：晚上八点后家里有人。",
            "photos": [(io.BytesIO(png()), "door.png")]}
    response = client.post(f"/t/{ticket.tracking_code}/info", data=data,
                           content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.refresh(ticket)
    event = ticket.events[-1]
    assert event.action == "add_info" and event.note == "补充：晚上八点后家里有人。"
    assert ticket.state == State.SUBMITTED  # information does not change the state
    photo = TicketPhoto.query.one()
    assert photo.event_id == event.id and photo.ticket_id == ticket.id
    body = client.get(f"/t/{ticket.tracking_code}").get_data(as_text=True)
    assert "晚上八点后家里有人" in body and f"/photos/{photo.id}" in body


def test_add_photo_only(client, people, areas):
    ticket = file_ticket(people, areas)
    data = {"csrf_token": info_token(client, ticket), "text": "",
            "photos": [(io.BytesIO(png()), "a.png")]}
    response = client.post(f"/t/{ticket.tracking_code}/info", data=data,
                           content_type="multipart/form-data")
    assert response.status_code == 302 and count(TicketPhoto) == 1


def test_empty_information_is_refused(client, people, areas):
    ticket = file_ticket(people, areas)
    events = count(TicketEvent)
    response = client.post(f"/t/{ticket.tracking_code}/info",
                           data={"csrf_token": info_token(client, ticket), "text": "   "})
    assert response.status_code == 400
    assert "请填写补充内容或上传照片" in response.get_data(as_text=True)
    assert count(TicketEvent) == events


def test_information_on_a_finished_request_is_refused(client, people, areas, app):
    import os

    ticket = file_ticket(people, areas)
    token = info_token(client, ticket)
    transition(ticket, State.RESOLVED, people.grid, T0 + timedelta(minutes=10), action="resolve")
    db.session.commit()
    events = count(TicketEvent)
    files = set(os.listdir(app.config["COMMUNITY_UPLOAD_DIR"]))
    response = client.post(f"/t/{ticket.tracking_code}/info",
                           data={"csrf_token": token, "text": "还有一件事",
                                 "photos": [(io.BytesIO(png()), "late.png")]},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "不能再补充" in response.get_data(as_text=True)
    assert count(TicketEvent) == events and count(TicketPhoto) == 0
    assert set(os.listdir(app.config["COMMUNITY_UPLOAD_DIR"])) == files


def test_information_is_shown_and_counted_for_the_filing_resident(client, people, areas):
    ticket = file_ticket(people, areas)
    login(client, "13800000001")
    client.post(f"/t/{ticket.tracking_code}/info",
                data={"csrf_token": info_token(client, ticket), "text": "楼下就是"})
    event = db.session.scalars(db.select(TicketEvent).where(TicketEvent.action == "add_info")).one()
    assert event.actor_id == people.resident.id
    assert Ticket.query.count() == 1
