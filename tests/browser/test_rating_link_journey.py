"""Issue 20 in a real browser: a grid worker files a 代办 request for an elderly
resident with no account and resolves it; the rating link texted to her phone opens
on a phone; she gives a 差评 with two reasons; the street's rectification case shows them."""
import re

from community.core.extensions import db
from community.ratings.models import Rating
from community.tickets.models import Ticket
from tests import factories
from tests.factories import ELDER_PHONE, texted_link

from .conftest import DESKTOP, PHONE

PASSWORD = factories.PASSWORD


def test_daiban_resolved_rated_by_link_on_a_phone_reasons_on_the_case(app, visitor, people, areas):
    worker = visitor(viewport=DESKTOP)
    worker.login("grid", PASSWORD)
    page = worker.page
    worker.go("/")
    page.check("input[name=kind][value=help]")
    page.select_option("#category", "ELD")
    page.fill("#text", "独居老人来电：厨房水管漏水，地面积水。")
    page.select_option("#community", str(areas.S1C1.id))
    page.fill("#address", "1号楼")
    page.fill("#contact_name", "王奶奶")
    page.fill("#contact_phone", ELDER_PHONE)
    page.select_option("#channel", "grid_worker")
    page.click("#submit")
    page.wait_for_url(re.compile(r"/t/[A-Z0-9]+$"))
    code = page.inner_text("dd.code").strip()
    assert page.locator("#rate").count() == 0  # the staff's screen: the code, no rating control

    with app.app_context():
        ticket_id = db.session.scalar(db.select(Ticket.id).where(Ticket.tracking_code == code))
    worker.go(f"/work/tickets/{ticket_id}")
    with page.expect_navigation():
        page.click("form[action$='/accept'] button[type=submit]")
    assert page.locator("form[action$='/resolve'] input[name=result]:checked").count() == 0
    page.check("form[action$='/resolve'] input[name=result][value=solved]")
    page.fill("form[action$='/resolve'] textarea[name=note]", "已上门更换水管，地面已清理。")
    with page.expect_navigation():
        page.click("form[action$='/resolve'] button[type=submit]")
    assert "已办结" in worker.flash()

    with app.app_context():
        ticket = db.session.scalar(db.select(Ticket).where(Ticket.tracking_code == code))
        token = texted_link(ticket)  # what the text message to her phone carries

    elder = visitor(viewport=PHONE)
    elder.go(f"/r/{token}")
    phone = elder.page
    assert code in phone.inner_text("dd.code")
    with phone.expect_navigation():
        phone.click("#rate button[name=solved][value=partly]")
    with phone.expect_navigation():
        phone.click("#rate button[name=level][value=dissatisfied]")
    phone.check("#rate input[name=reasons][value=too_slow]")
    phone.check("#rate input[name=reasons][value=not_contacted]")
    elder.shot("phone-zh-rating-link-reasons")
    with phone.expect_navigation():
        phone.click("#rate button[type=submit]")
    assert "感谢" in elder.flash()
    assert "办理太慢" in phone.locator("#rate").inner_text()
    elder.go(f"/r/{token}")  # used once: used up
    assert "用过" in phone.inner_text("main")

    with app.app_context():
        case_id = db.session.scalar(db.select(Rating).where(Rating.ticket_id == ticket_id)).case.id
    street = visitor(viewport=DESKTOP)
    street.login("street", PASSWORD)
    street.go(f"/ratings/cases/{case_id}")
    reasons = street.page.inner_text("dd.reasons")
    assert "办理太慢" in reasons and "没联系我" in reasons
    street.shot("desktop-zh-case-reasons")
