"""Phones masked for everyone but the handler, each reveal logged and shown to the
admin; photos served under safe headers from random names."""
import io
import re

from PIL import Image
from sqlalchemy import select

from community.core.extensions import db
from community.tickets.models import TicketPhoto
from community.workqueue.models import ContactReveal
from tests.factories import csrf_from, file_ticket, login

PHONE = "13800000001"


def test_staff_pages_mask_the_phone_until_the_handler_reveals_it(client, people, areas, app, frozen):
    ticket = file_ticket(people, areas)
    login(client, "community")  # sees the request (its community), is not its handler
    page = client.get(f"/work/tickets/{ticket.id}").get_data(as_text=True)
    assert PHONE not in page and "138****0001" in page
    refused = client.post(f"/work/tickets/{ticket.id}/reveal", data={"csrf_token": csrf_from(
        client.get(f"/work/tickets/{ticket.id}"))})
    assert refused.status_code == 403 and PHONE not in refused.get_data(as_text=True)
    assert db.session.scalar(select(ContactReveal.id)) is None

    handler = app.test_client()
    login(handler, "grid")
    page = handler.get(f"/work/tickets/{ticket.id}")
    assert PHONE not in page.get_data(as_text=True)  # masked until asked for
    shown = handler.post(f"/work/tickets/{ticket.id}/reveal", data={"csrf_token": csrf_from(page)})
    assert shown.status_code == 200 and PHONE in shown.get_data(as_text=True)
    reveal = db.session.scalars(select(ContactReveal)).one()
    assert (reveal.ticket_id, reveal.user_id) == (ticket.id, people.grid.id)
    assert any(e.action == "contact_revealed" and not e.public for e in ticket.events)

    for path in ("/work", f"/t/{ticket.tracking_code}", f"/api/v1/requests/{ticket.tracking_code}",
                 "/api/v1/queue", f"/open311/v2/requests/{ticket.tracking_code}.json"):
        assert PHONE not in handler.get(path).get_data(as_text=True), path


def test_the_admin_sees_every_reveal_and_no_one_else_does(client, people, areas, app, frozen):
    ticket = file_ticket(people, areas)
    handler = app.test_client()
    login(handler, "grid")
    page = handler.get(f"/work/tickets/{ticket.id}")
    handler.post(f"/work/tickets/{ticket.id}/reveal", data={"csrf_token": csrf_from(page)})
    for name in ("grid", "county", "13800000001"):
        other = app.test_client()
        login(other, name)
        assert other.get("/admin/contact-reveals").status_code == 404, name
    login(client, "admin")
    body = client.get("/admin/contact-reveals").get_data(as_text=True)
    assert ticket.tracking_code in body and "grid" in body and "共 1 次" in body
    assert PHONE not in body  # the audit names who looked, not the number


def _png():
    out = io.BytesIO()
    Image.new("RGB", (12, 12), (10, 200, 10)).save(out, "PNG")
    return out.getvalue()


def test_photos_are_served_with_safe_headers_from_random_names(client, people, areas):
    login(client, PHONE)
    page = client.get("/")
    body = page.get_data(as_text=True)
    token = re.search(r'name="submit_token"[^>]*value="([^"]+)"', body).group(1)
    filed = client.post("/", data={
        "csrf_token": csrf_from(page), "submit_token": token, "kind": "help", "category": "ELD",
        "text": "台阶破损。", "community": str(areas.S1C1.id),
        "photos": [(io.BytesIO(_png()), "<script>x.html")]}, content_type="multipart/form-data")
    assert filed.status_code == 302
    photo = db.session.scalars(select(TicketPhoto)).one()
    assert re.fullmatch(r"[0-9a-f]{32}\.(jpg|png)", photo.stored_name)  # not the uploaded name
    code = filed.headers["Location"].rsplit("/", 1)[-1]
    for url in (f"/t/{code}/photos/{photo.id}", f"/tickets/{photo.ticket_id}/photos/{photo.id}"):
        answer = client.get(url)
        assert answer.status_code == 200
        assert answer.headers["Content-Type"] == photo.content_type
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert re.fullmatch(r'inline; filename=photo-\d+\.(jpg|png)',
                            answer.headers["Content-Disposition"])
        assert "private" in answer.headers["Cache-Control"]
