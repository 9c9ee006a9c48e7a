"""Issue 24 in a browser at phone size: staff land on 工作台, the bell, search, a 代办
filing choosing a grid (script reloads the grids), password reset, an English timeline."""
import re

from community.core.extensions import db
from community.core.timeutil import utcnow
from community.workqueue import routing
from community.workqueue.models import Notification
from tests import factories
from tests.factories import file_ticket


def test_a_grid_workers_day_on_a_phone(visitor, people, areas):
    now = utcnow()
    ticket = file_ticket(people, areas, now=now)
    db.session.add(Notification(user_id=people.grid.id, ticket_id=ticket.id, text="【时限预警】签收期限将到。",
                                created_at=now, sent_at=now))
    db.session.commit()
    worker = visitor()
    worker.login("grid", factories.PASSWORD)
    page = worker.page
    assert page.url.endswith("/work")  # 工作台, not the filing form
    assert "待我处理" in page.inner_text("nav.tabs")
    bell = page.locator("a.bell")
    assert "1 条未读" in bell.get_attribute("aria-label")
    worker.shot("phone-zh-everyday-queue")
    worker.submit("a.bell")
    worker.shot("phone-zh-everyday-bell")
    worker.submit(f'a[href="/work/tickets/{ticket.id}"]')
    assert page.url.endswith(f"/work/tickets/{ticket.id}")

    worker.go("/work")
    page.fill("input[name=q]", ticket.tracking_code.lower())
    worker.submit("form.search-box button[type=submit]")
    assert ticket.tracking_code in page.inner_text("main")
    worker.shot("phone-zh-everyday-search")

    # 代办: the form starts at the worker's grid
    worker.go("/")
    assert page.locator("select[name=grid]").input_value() == str(areas.S1C1G1.id)

    # a community worker chooses a grid of their community; the script reloads the grids
    worker = visitor()
    worker.login("community", factories.PASSWORD)
    page = worker.page
    worker.go("/")
    assert page.locator("select[name=community]").input_value() == str(areas.S1C1.id)
    assert page.locator("button[name=show_grids]").is_hidden()  # the script does it
    page.select_option("select[name=community]", str(areas.S1C2.id))
    page.wait_for_function("() => [...document.querySelector('select[name=grid]').options]"
                           ".some(o => o.text.includes('1-2-'))")
    page.select_option("select[name=community]", str(areas.S1C1.id))
    page.wait_for_function("() => [...document.querySelector('select[name=grid]').options]"
                           ".some(o => o.text.includes('1-1-2'))")
    page.select_option("select[name=grid]", str(areas.S1C1G2.id))
    page.select_option("select[name=category]", "ELD")
    page.fill("textarea[name=text]", "独居老人家里水管漏水。")
    page.fill("input[name=contact_name]", "王大爷")
    page.fill("input[name=contact_phone]", "13800000002")
    worker.shot("phone-zh-everyday-file-for")
    # Enter in a field files the request (the form's default button is the filing's own,
    # not 查找 or 显示网格 above it).
    with page.expect_navigation(wait_until="load"):
        page.press("input[name=contact_phone]", "Enter")
    assert "/t/" in page.url, page.inner_text("main")
    code = page.url.rsplit("/", 1)[1]
    from community.tickets.models import Ticket
    db.session.expire_all()
    assert Ticket.query.filter_by(tracking_code=code).one().grid_id == areas.S1C1G2.id


def test_an_english_timeline_and_a_password_reset(visitor, people, areas, caplog):
    import logging

    caplog.set_level(logging.INFO, logger="community.messaging")
    now = utcnow()
    ticket = file_ticket(people, areas, now=now)
    routing.escalate(ticket, people.grid, now, "需要社区协调", to_tier="community")
    db.session.commit()
    officer = visitor(locale="en-US")
    officer.login("community", factories.PASSWORD)
    officer.go(f"/work/tickets/{ticket.id}?lang=en")
    timeline = officer.page.inner_text("ol.timeline")
    assert "Escalated to the" in timeline and "上报至" not in timeline
    officer.shot("phone-en-everyday-timeline")

    resident = visitor()
    resident.go("/login")
    resident.submit("a[href='/reset']")
    page = resident.page
    page.fill("input[name=phone]", people.resident.phone)
    resident.submit("input[name=send_code], button[name=send_code]")
    codes = [m for r in caplog.records if r.name == "community.messaging"
             for m in re.findall(r"\b(\d{6})\b", r.getMessage())]
    assert codes
    page.fill("input[name=phone]", people.resident.phone)
    page.fill("input[name=code]", codes[-1])
    page.fill("input[name=password]", "brand-new-path-9")
    resident.shot("phone-zh-everyday-reset")
    resident.submit("input[name=submit], button[name=submit]")
    assert page.url.endswith("/login")
    resident.login(people.resident.phone, "brand-new-path-9")
