"""What every page shares: elder mode, language choice, local dates, error pages, CSP-safe markup."""
import re
from datetime import datetime, timedelta, timezone

import pytest
from flask_babel import refresh

from community.core.extensions import db
from community.web.i18n import local_time, time_left
from tests.factories import csrf_from, login


def toggle_elder(client, on, next_path="/t"):
    token = csrf_from(client.get("/t"))
    return client.post("/prefs/elder", data={"csrf_token": token, "on": "1" if on else "0",
                                              "next": next_path})


def is_elder(response):
    return '<html lang="zh-CN" class="elder">' in response.get_data(as_text=True) or \
        '<html lang="en" class="elder">' in response.get_data(as_text=True)


def test_elder_mode_switches_with_a_plain_form_and_is_remembered(client, areas):
    assert not is_elder(client.get("/"))
    response = toggle_elder(client, True, next_path="/t?code=")
    assert response.status_code == 302 and response.headers["Location"].endswith("/t?code=")
    assert "elder=1" in response.headers["Set-Cookie"] and "Max-Age" in response.headers["Set-Cookie"]
    page = client.get("/")
    assert is_elder(page)
    assert 'aria-pressed="true"' in page.get_data(as_text=True)
    toggle_elder(client, False)
    assert not is_elder(client.get("/"))


def test_elder_mode_is_kept_on_the_account(client, app, people):
    login(client, "13800000001")
    toggle_elder(client, True)
    db.session.refresh(people.resident)
    assert people.resident.elder_mode is True
    other_phone = app.test_client()
    login(other_phone, "13800000001")
    assert is_elder(other_phone.get("/my"))


def test_elder_mode_asks_fewer_questions_when_filing(client, people, areas):
    login(client, "13800000001")
    normal = client.get("/").get_data(as_text=True)
    assert 'name="grid"' in normal and 'name="text_public"' in normal
    toggle_elder(client, True)
    elder = client.get("/").get_data(as_text=True)
    assert 'name="grid"' not in elder and 'name="text_public"' not in elder
    assert '<input type="hidden" name="kind" value="help">' in elder


def test_elder_toggle_refuses_a_foreign_next_and_needs_csrf(client, areas):
    response = toggle_elder(client, True, next_path="//evil.example/x")
    assert response.headers["Location"] in ("/", "http://localhost/")
    assert client.post("/prefs/elder", data={"on": "1"}).status_code == 400


def test_language_choice_is_remembered_in_a_cookie_and_on_the_account(client, app, people):
    login(client, "13800000001")
    response = client.get("/my?lang=en")
    assert "My requests" in response.get_data(as_text=True)
    assert "lang=en" in response.headers.get("Set-Cookie", "")
    db.session.refresh(people.resident)
    assert people.resident.locale == "en"
    fresh = app.test_client()
    fresh.set_cookie("lang", "en", domain="localhost")
    assert "Follow a request" in fresh.get("/t").get_data(as_text=True)


def test_chinese_is_the_default(client, areas):
    body = client.get("/", headers={"Accept-Language": ""}).get_data(as_text=True)
    assert '<html lang="zh-CN"' in body and "有事您说" in body


@pytest.mark.parametrize("lang, text", [("zh", "没有找到这个页面。"), ("en", "This page was not found.")])
def test_error_pages_speak_the_users_language_and_link_back_without_javascript(client, areas, lang,
                                                                                text):
    client.get(f"/t?lang={lang}")
    response = client.get("/no-such-page", headers={"Referer": "http://localhost/t"})
    body = response.get_data(as_text=True)
    assert response.status_code == 404 and text in body
    assert "javascript:" not in body
    assert 'href="http://localhost/t"' in body


def test_a_foreign_referrer_is_not_offered_as_the_way_back(client, areas):
    body = client.get("/no-such-page", headers={"Referer": "http://evil.example/"}).get_data(as_text=True)
    assert "evil.example" not in body


def test_upload_limit_message_quotes_the_configuration(client, app, people, areas):
    login(client, "13800000001")
    old = app.config["MAX_CONTENT_LENGTH"], app.config["COMMUNITY_PHOTO_MAX_BYTES"]
    app.config.update(MAX_CONTENT_LENGTH=1000, COMMUNITY_PHOTO_MAX_BYTES=2 * 1024 * 1024)
    try:
        response = client.post("/", data={"text": "x" * 2000})
    finally:
        app.config["MAX_CONTENT_LENGTH"], app.config["COMMUNITY_PHOTO_MAX_BYTES"] = old
    assert response.status_code == 413
    assert "2 MB" in response.get_data(as_text=True)


def test_photo_label_follows_the_configured_limits(client, app, people, areas):
    login(client, "13800000001")
    app.config["COMMUNITY_PHOTO_MAX_COUNT"] = 5
    try:
        body = client.get("/").get_data(as_text=True)
    finally:
        app.config["COMMUNITY_PHOTO_MAX_COUNT"] = 3
    assert "最多5张" in body


def test_dates_are_local_in_each_language(app):
    moment = datetime(2026, 11, 23, 2, 5, tzinfo=timezone.utc)  # 10:05 in Shanghai
    with app.test_request_context("/?lang=zh"):
        refresh()  # the locale is cached on the app context the test already holds
        assert local_time(moment) == "2026年11月23日 10:05"
        assert local_time(moment, "date") == "2026年11月23日"
    with app.test_request_context("/?lang=en"):
        refresh()
        assert local_time(moment) == "23 Nov 2026, 10:05"
        left = time_left(moment + timedelta(hours=3, minutes=20), moment)
        assert 'data-due="2026-11-23T05:25:00Z"' in left and "3 h 20 min left" in left


def test_pages_carry_no_inline_script_or_style(client, people, areas):
    """The CSP allows scripts and styles from 'self' only: nothing inline may be needed."""
    login(client, "13800000001")
    for path in ("/", "/my", "/t", "/notifications", "/no-such-page"):
        body = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), path
        assert not re.search(r"\sstyle=", body) and "<style" not in body, path
        assert "javascript:" not in body and not re.search(r"\son[a-z]+=", body), path


def test_switches_on_a_page_rendered_after_a_post_lead_back_to_a_page_that_exists(client, people,
                                                                                  areas):
    login(client, "13800000001")
    page = client.get("/")
    data = {"csrf_token": csrf_from(page), "text": ""}
    body = client.post("/", data=data, headers={"Referer": "http://localhost/?x=1"}).get_data(as_text=True)
    assert 'name="next" value="/?x=1"' in body
    assert 'href="/?x=1&amp;lang=en"' in body


def test_elder_mode_says_where_a_request_stands_in_plain_words(client, people, areas, frozen):
    from tests.factories import file_ticket

    ticket = file_ticket(people, areas)
    assert "正在安排人来办" not in client.get(f"/t/{ticket.tracking_code}").get_data(as_text=True)
    toggle_elder(client, True)
    assert "正在安排人来办" in client.get(f"/t/{ticket.tracking_code}").get_data(as_text=True)
