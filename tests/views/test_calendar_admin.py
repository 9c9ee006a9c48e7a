"""/admin/calendar: a year pasted, previewed and confirmed; refusals; and the scenario
of one request across 2026-12-31 with 2027 not loaded, then loaded."""
import io
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from community.core.extensions import db
from community.sla import yearbook
from community.sla.models import CalendarOverride, CalendarYear
from community.sla.sweep import sweep
from community.tickets.models import Ticket, TicketEvent
from community.workqueue import actions
from tests.factories import csrf_from, file_ticket, login

SH = ZoneInfo("Asia/Shanghai")
NOTICES = Path(__file__).resolve().parents[1] / "data" / "notices"
EXAMPLE = (NOTICES / "2027-example.txt").read_text(encoding="utf-8")


def local(*args):
    return datetime(*args, tzinfo=SH).astimezone(timezone.utc)


def preview(client, **data):
    page = client.get("/admin/calendar")
    return client.post("/admin/calendar/preview", data={"csrf_token": csrf_from(page), **data},
                       content_type="multipart/form-data")


def confirm(client, answer):
    html = answer.get_data(as_text=True)
    assert "确认导入" in html
    form = html[html.index('action="/admin/calendar/import"'):]
    fields = dict(re_fields(form))
    return client.post("/admin/calendar/import", data=fields)


def re_fields(form_html):
    import html
    import re

    form_html = form_html[:form_html.index("</form>")]
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form_html):
        yield name, html.unescape(value)


def test_a_request_across_the_new_year_provisional_then_recomputed(app, client, people, areas, frozen):
    """2027 not loaded: the deadline counts 1 January as a working day and says so to the
    resident (预计) and to staff (暂定); the admins are told; once 2027 is imported the
    deadline moves a day later, the resident sees why, and the sweep no longer breaches
    on the guessed day."""
    frozen.move_to(local(2026, 12, 28, 10))
    ticket = file_ticket(people, areas, now=local(2026, 12, 28, 9, 30))
    actions.accept(ticket, people.grid, local(2026, 12, 28, 10))
    db.session.commit()
    code, ticket_id = ticket.tracking_code, ticket.id
    assert ticket.resolve_due_at == local(2027, 1, 7) and ticket.resolve_due_provisional
    resident_page = client.get(f"/t/{code}").get_data(as_text=True)
    assert "预计" in resident_page and "节假日安排公布后可能调整" in resident_page
    login(client, "grid")
    assert "暂定：期限落在尚未导入节假日安排的年份" in client.get(f"/work/tickets/{ticket_id}").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/work"))})
    # The daily check tells the admin; every admin page carries the banner.
    assert yearbook.check_calendar(local(2026, 12, 28, 10))["told"] == 1
    db.session.commit()
    # Two days later the notice is out (the banner is still up: 2027 is still missing);
    # the admin signs in, pastes it, checks the preview, confirms.
    frozen.move_to(local(2026, 12, 30, 9))
    login(client, "admin")
    assert "2027 年的节假日安排还没有导入" in client.get("/admin").get_data(as_text=True)
    shown = preview(client, text=EXAMPLE)
    assert shown.status_code == 200
    html = shown.get_data(as_text=True)
    assert "预览：2027 年" in html and "元旦：2027-01-01 至 2027-01-03" in html and "2027-02-14" in html
    assert db.session.get(CalendarYear, 2027) is None  # a preview changes nothing
    done = confirm(client, shown)
    assert done.status_code == 302
    page = client.get("/admin/calendar").get_data(as_text=True)
    assert "已导入 2027 年的节假日安排" in page and "重新计算了 1 件诉求的办结期限（1 件调整）" in page
    assert "2027 年的节假日安排还没有导入" not in page
    ticket = db.session.get(Ticket, ticket_id)
    assert ticket.resolve_due_at == local(2027, 1, 8) and not ticket.resolve_due_provisional
    timeline = client.get(f"/t/{code}").get_data(as_text=True)
    assert "因节假日安排，办结期限调整为 2027-01-08 00:00" in timeline and "预计" not in timeline
    # On the day the guessed deadline would have passed, nothing is breached.
    assert sweep(local(2027, 1, 7, 0, 1)).get("resolve_breach", 0) == 0
    assert db.session.get(Ticket, ticket_id).tier == "grid"
    assert sweep(local(2027, 1, 8, 0, 1))["resolve_breach"] == 1


def test_a_file_can_be_uploaded_and_a_bad_notice_is_refused_naming_the_line(client, people, frozen):
    login(client, "admin")
    yaml_file = (NOTICES / "2027-example.yaml").read_bytes()
    shown = preview(client, upload=(io.BytesIO(yaml_file), "2027.yaml"))
    assert shown.status_code == 200 and "预览：2027 年" in shown.get_data(as_text=True)
    bad = preview(client, text=EXAMPLE.replace("1月1日（周五）", "1月1日（周四）"))
    assert bad.status_code == 422
    message = bad.get_data(as_text=True)
    assert "第 3 行" in message and "1月1日 是星期五，通知写的是星期四" in message
    forged = client.post("/admin/calendar/import", data={
        "csrf_token": csrf_from(client.get("/admin/calendar")), "text": "一、元旦：放假", "year": "2027"})
    assert forged.status_code == 422
    assert db.session.get(CalendarYear, 2027) is None


@pytest.mark.parametrize("who", ["13800000001", "grid", "street", "county"])
def test_only_the_admin_sees_or_changes_the_calendar(client, people, who, frozen):
    login(client, who)
    token = csrf_from(client.get("/t"))
    for path in ("/admin", "/admin/calendar"):
        assert client.get(path).status_code == 403, path
    for path, data in (("/admin/calendar/preview", {"text": EXAMPLE}),
                       ("/admin/calendar/import", {"text": EXAMPLE, "year": "2027"}),
                       ("/admin/calendar", {"day": "2027-01-04", "working": "0"})):
        assert client.post(path, data={"csrf_token": token, **data}).status_code == 403, path
    assert db.session.get(CalendarYear, 2027) is None
    assert db.session.scalar(select(CalendarOverride.id)) is None
    assert "还没有导入" not in client.get("/t").get_data(as_text=True)  # no banner for them


def test_an_override_on_the_page_recomputes_and_is_signed(client, people, areas, frozen):
    frozen.move_to(local(2026, 12, 28, 10))
    ticket = file_ticket(people, areas, now=local(2026, 12, 28, 9, 30))
    actions.accept(ticket, people.grid, local(2026, 12, 28, 10))
    db.session.commit()
    login(client, "admin")
    page = client.get("/admin/calendar")
    answer = client.post("/admin/calendar", data={"csrf_token": csrf_from(page), "day": "2027-01-04",
                                                  "working": "0", "note": "本地放假"})
    assert answer.status_code == 302
    assert db.session.get(Ticket, ticket.id).resolve_due_at == local(2027, 1, 8)
    row = db.session.scalar(select(CalendarOverride))
    assert row.created_by_id == people.admin.id
    assert db.session.scalar(select(TicketEvent.id).where(TicketEvent.action == "deadline_moved"))
    bad = client.post("/admin/calendar", data={"csrf_token": csrf_from(page), "day": "04/01/2027",
                                               "working": "0"})
    assert bad.status_code == 422


def test_the_admin_page_lists_years_with_their_source(client, people, frozen):
    frozen.move_to(local(2026, 12, 6, 10) + timedelta(hours=1))
    login(client, "admin")
    html = client.get("/admin/calendar").get_data(as_text=True)
    assert "chinese-calendar 软件包" in html and "<td>2026</td>" in html and "<td>2004</td>" in html
    assert "2027 年的节假日安排还没有导入" in html
