"""Sessions end when they should (issue 21, finding 4): a copied cookie dies with the
logout, a password change ends the other devices, lifetimes by role, sign out everywhere."""
from datetime import timedelta

import pytest

from tests.factories import PASSWORD, csrf_from, login


def copy_cookie(app, source):
    """A second browser holding a copy of `source`'s session cookie (what a thief has)."""
    thief = app.test_client()
    cookie = source.get_cookie("session")
    thief.set_cookie("session", cookie.value, domain=cookie.domain)
    return thief


def signed_in(client) -> bool:
    return client.get("/api/v1/me").status_code == 200


def test_a_copied_cookie_stops_working_at_logout(app, people):
    browser = app.test_client()
    login(browser, "grid")
    thief = copy_cookie(app, browser)
    assert signed_in(thief) and thief.get("/work").status_code == 200
    browser.post("/logout", data={"csrf_token": csrf_from(browser.get("/"))})
    assert not signed_in(browser)
    assert not signed_in(thief) and thief.get("/work").status_code == 302  # to the sign-in page
    login(browser, "grid")  # signing in again works, with a fresh cookie
    assert signed_in(browser) and not signed_in(thief)


def test_a_password_change_ends_every_other_session(app, people):
    phone, laptop = app.test_client(), app.test_client()
    login(phone, "13800000001")
    login(laptop, "13800000001")
    page = laptop.get("/account")
    assert page.status_code == 200 and "138****0001" in page.get_data(as_text=True)
    wrong = laptop.post("/account/password", data={"csrf_token": csrf_from(page), "current": "nope-123",
                                                   "password": "river-stone-88"})
    assert wrong.status_code == 400 and "当前密码不正确" in wrong.get_data(as_text=True)
    weak = laptop.post("/account/password", data={"csrf_token": csrf_from(page), "current": PASSWORD,
                                                  "password": "password1"})
    assert weak.status_code == 400 and signed_in(phone)  # nothing changed
    changed = laptop.post("/account/password", data={"csrf_token": csrf_from(page), "current": PASSWORD,
                                                     "password": "river-stone-88"})
    assert changed.status_code == 302
    assert signed_in(laptop) and not signed_in(phone)
    login(phone, "13800000001", "river-stone-88")


def test_sign_out_everywhere(app, people):
    phone, laptop = app.test_client(), app.test_client()
    login(phone, "13800000001")
    login(laptop, "13800000001")
    page = laptop.get("/account")
    answer = laptop.post("/account/sign-out-everywhere", data={"csrf_token": csrf_from(page)})
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    assert not signed_in(phone) and not signed_in(laptop)
    assert "/login" in laptop.post("/account/sign-out-everywhere",
                                   data={"csrf_token": csrf_from(page)}).headers["Location"]
    assert not signed_in(laptop)  # anonymous: sent to sign in, nothing else


@pytest.mark.parametrize("who,still_in,gone", [
    ("grid", timedelta(hours=11, minutes=59), timedelta(hours=12)),       # staff: a shift
    ("13800000001", timedelta(days=29, hours=23), timedelta(days=30)),    # residents: a month
])
def test_sessions_last_a_configured_time_by_role(app, people, frozen, who, still_in, gone):
    browser = app.test_client()
    login(browser, who)
    frozen.shift(still_in)
    assert signed_in(browser)
    frozen.shift(gone - still_in)
    assert not signed_in(browser)


def test_lifetimes_are_configurable(app, people, frozen, monkeypatch):
    monkeypatch.setitem(app.config, "COMMUNITY_STAFF_SESSION_HOURS", 1)
    browser = app.test_client()
    login(browser, "grid")
    frozen.shift(timedelta(minutes=61))
    assert not signed_in(browser)
