"""Whole journeys in a real browser: a resident on a phone, a grid worker, a street officer."""
import io
import re

import pytest
from PIL import Image

from tests import factories

from .conftest import DESKTOP, PHONE

PASSWORD = factories.PASSWORD


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "lamp.png"
    image = Image.new("RGB", (64, 48), (200, 180, 40))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


def is_elder(page):
    return page.evaluate("document.documentElement.classList.contains('elder')")


def file_request(resident, photo):
    """Fill in the filing form as a resident would, with a photo; returns the tracking code."""
    page = resident.page
    resident.go("/")
    page.check("input[name=kind][value=help]")
    page.select_option("#category", "ELD")
    page.fill("#text", "楼道灯坏了，晚上看不见台阶，请尽快修理。")
    page.fill("#address", "1号楼2单元")
    page.set_input_files("#photos", str(photo))
    page.locator(".previews img").wait_for()  # site.js shows what will be sent
    page.click("#submit")
    page.wait_for_url(re.compile(r"/t/[A-Z0-9]+$"))
    code = page.inner_text("dd.code").strip()
    assert code in resident.flash()
    return code


def test_resident_files_follows_and_rates_while_staff_handle_it(visitor, people, areas, photo):
    resident = visitor(viewport=PHONE)
    resident.login(people.resident.phone, PASSWORD)
    resident.shot("phone-zh-file")
    code = file_request(resident, photo)
    page = resident.page
    assert page.locator(".timeline img.thumb").count() == 1
    assert page.locator("[data-due]").count() >= 1  # a live countdown is on the page
    resident.shot("phone-zh-track-submitted")

    # The request is in the grid worker's queue; accept it, then resolve it.
    worker = visitor(viewport=PHONE)
    worker.login("grid", PASSWORD)
    worker.go("/work")
    worker.page.click(f".queue a:has-text('{code}')")
    worker.page.click("form[action$='/accept'] button[type=submit]")
    assert "已签收" in worker.flash()
    worker.page.fill("form[action$='/respond'] textarea[name=text]", "已联系物业，今天下午更换灯泡。")
    worker.page.click("form[action$='/respond'] button[type=submit]")
    assert "答复已发送" in worker.flash()
    worker.shot("phone-zh-worker-ticket")
    worker.page.check("form[action$='/resolve'] input[name=result][value=solved]")
    worker.page.fill("form[action$='/resolve'] textarea[name=note]", "已更换灯泡，楼道灯恢复正常。")
    worker.page.click("form[action$='/resolve'] button[type=submit]")
    assert "已办结" in worker.flash()

    # The resident follows it (also without signing in, by code) and rates it.
    resident.go(f"/t/{code}")
    assert "已办结" in page.inner_text("dl.facts")
    # Rating (好差评) on the tracking page: two taps, plain forms.
    page.click("#rate button[name=solved][value=yes]")
    page.click("#rate button[name=level][value=satisfied]")
    assert "感谢" in resident.flash()
    assert "满意" in page.locator("#rate").inner_text()
    resident.shot("phone-zh-track-rated")
    anonymous = visitor(viewport=PHONE)
    anonymous.go("/t")
    anonymous.page.fill("#code", code)
    anonymous.page.click("main form button[type=submit]")
    assert anonymous.page.inner_text("dd.code").strip() == code
    for person in (resident, worker, anonymous):
        assert not [e for e in person.console_errors if "Content Security Policy" in e]


def test_elder_mode_switches_without_javascript_and_is_remembered(visitor, people, areas, browser,
                                                                  live_server):
    resident = visitor(viewport=PHONE)
    resident.login(people.resident.phone, PASSWORD)
    page = resident.page
    assert not is_elder(page)
    normal_size = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    resident.submit(".prefs button.toggle")
    assert is_elder(page)
    assert page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") > normal_size
    assert page.locator("input[name=grid]").count() == 0 and page.locator("#grid").count() == 0
    button_height = page.locator("#submit").bounding_box()["height"]
    assert button_height >= 60
    resident.shot("phone-zh-elder-file")
    resident.go("/my")
    assert is_elder(page)

    # Remembered on the account: another phone, signed in as the same person.
    other = visitor(viewport=PHONE)
    other.login(people.resident.phone, PASSWORD)
    assert is_elder(other.page)

    # And the same switch works with JavaScript turned off.
    context = browser.new_context(viewport=PHONE, locale="zh-CN", java_script_enabled=False,
                                  base_url=live_server)
    try:
        nojs = context.new_page()
        nojs.goto("/")
        nojs.click(".prefs button.toggle")
        assert "elder" in nojs.get_attribute("html", "class")
        nojs.click("a[hreflang=en]")
        assert "Large text mode" in nojs.inner_text(".prefs")
    finally:
        context.close()


def test_street_officer_sees_the_dashboard_charts_drawn(visitor, people, areas):
    officer = visitor(viewport=DESKTOP)
    officer.login("street", PASSWORD)
    assert officer.go("/stats").status == 200
    page = officer.page
    page.locator(".chart canvas, .chart svg").first.wait_for()
    assert page.locator(".chart canvas, .chart svg").count() >= 1
    officer.shot("desktop-zh-street-dashboard")
    assert not [e for e in officer.console_errors if "Content Security Policy" in e]
