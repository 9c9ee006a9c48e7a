"""Issue 26: templates only (no free text), caps, budget, opt-outs, reach."""
import ast
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from community.auth.models import OneTimeCode
from community.auth.services import send_code
from community.core.errors import ValidationFailed
from community.core.extensions import db
from community.sms import limits, services, templates
from community.sms.templates import TEMPLATES, BadParams
from community.workqueue.models import Notification
from community.workqueue.notifications import deliver_pending
from tests.factories import ELDER_PHONE, T0, daiban

ROOT = Path(__file__).resolve().parents[2]
SENDING_CALLS = {"send_code_text": 1, "queue_notice": None, "notice_row": None}  # name: positional index of code


def _template_codes(node) -> list[str] | None:
    """The template codes an argument can be, when written as literals; None otherwise."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        a, b = _template_codes(node.body), _template_codes(node.orelse)
        return a + b if a is not None and b is not None else None
    return None


def _calls():
    for path in sorted((ROOT / "community").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                yield path.relative_to(ROOT), node, name


def test_every_text_the_code_sends_is_a_listed_template():
    """Walks the code: each call that texts names a listed template by a literal code;
    no Notification is written with a phone and words of its own; nobody but the sms
    services talks to the sender."""
    problems, seen = [], set()
    for path, node, name in _calls():
        where = f"{path}:{node.lineno}"
        if name in SENDING_CALLS and path.as_posix() != "community/sms/services.py":  # (its own forwarding)
            index = SENDING_CALLS[name]
            arg = next((kw.value for kw in node.keywords if kw.arg == "code"), None)
            if arg is None and index is not None and len(node.args) > index:
                arg = node.args[index]
            codes = _template_codes(arg) if arg is not None else None
            if codes is None or any(code not in TEMPLATES for code in codes):
                problems.append(f"{where}: {name} without a listed template code")
            else:
                seen.update(codes)
        elif name == "Notification":
            phone = next((kw.value for kw in node.keywords if kw.arg == "phone"), None)
            if phone is not None and not (isinstance(phone, ast.Constant) and phone.value == ""):
                problems.append(f"{where}: a Notification with a phone must come from notice_row (a template)")
        elif name in ("get_sender", "send_text") and path.as_posix() != "community/sms/services.py":
            problems.append(f"{where}: {name} outside community/sms/services.py")
    assert not problems, "\n".join(problems)
    assert seen == set(TEMPLATES), f"listed but never sent: {set(TEMPLATES) - seen}"


def test_the_docs_list_every_template_with_its_wording():
    doc = (ROOT / "docs" / "messaging.md").read_text(encoding="utf-8")
    for template in TEMPLATES.values():
        assert f"`{template.code}`" in doc
        assert template.zh.replace("{site}", "https://example.gov.cn") in doc, template.code


def test_parameters_respect_the_gateways_limits():
    assert templates.check("TICKET_STEP", {"code": "ABCD2345", "step": "签收"}) == {"code": "ABCD2345", "step": "签收"}
    with pytest.raises(BadParams):
        templates.check("TICKET_STEP", {"code": "ABCD2345", "step": "x" * 13})  # too long
    with pytest.raises(BadParams):
        templates.check("TICKET_STEP", {"code": "ABCD2345", "step": "看 www.x.cn"})  # a link
    with pytest.raises(BadParams):
        templates.check("TICKET_STEP", {"code": "ABCD2345", "step": "see http://x"})
    with pytest.raises(BadParams):
        templates.check("TICKET_STEP", {"code": "ABCD2345"})  # missing
    with pytest.raises(BadParams):
        templates.check("LINK_RATE", {"code": "ABCD2345", "token": "https://evil.example/x"})
    with pytest.raises(BadParams):
        templates.check("NO_SUCH", {})
    assert templates.render("LINK_RATE", {"code": "C", "token": "t.k"}, "en", "https://a.gov.cn/") \
        .endswith("https://a.gov.cn/r/t.k")


def test_a_texted_link_is_short(app, ctx, people, areas):
    daiban(people, areas)
    note = db.session.scalar(select(Notification).where(Notification.template == "LINK_CANCEL"))
    assert len(note.params["token"]) <= 32 and "/r/" + note.params["token"] in note.text


def test_the_staff_note_is_in_app_only(app, ctx, people, areas):
    from community.workqueue import actions

    ticket = daiban(people, areas)
    actions.accept(ticket, people.grid, T0 + timedelta(hours=1))
    actions.respond(ticket, people.grid, T0 + timedelta(hours=2), "明天上午上门，请留意电话 13900002222")
    db.session.commit()
    notes = db.session.scalars(select(Notification).where(Notification.event_id.is_not(None))).all()
    [note] = [n for n in notes if n.params["step"] == "答复"]
    assert "明天上午上门" in note.text and note.params == {"code": ticket.tracking_code, "step": "答复"}


# --- caps and budget -------------------------------------------------------------------------------------

def test_per_phone_caps_stop_codes(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "COMMUNITY_SMS_PHONE_CAPS", "2/minute;3/hour")
    params = {"code": "123456", "minutes": "10"}
    services.send_code_text("13800000009", "VERIFY_CODE", params, T0)
    services.send_code_text("13800000009", "VERIFY_CODE", params, T0 + timedelta(seconds=5))
    with pytest.raises(limits.Capped):
        services.send_code_text("13800000009", "VERIFY_CODE", params, T0 + timedelta(seconds=10))
    services.send_code_text("13800000009", "VERIFY_CODE", params, T0 + timedelta(minutes=2))
    with pytest.raises(limits.Capped):  # the hour's 3 are used
        services.send_code_text("13800000009", "VERIFY_CODE", params, T0 + timedelta(minutes=4))
    services.send_code_text("13800000008", "VERIFY_CODE", params, T0 + timedelta(minutes=4))  # another number


def test_per_ip_caps_on_sign_up_codes(app, ctx, monkeypatch):
    """One address may not text number after number: the cap refuses, and no code is kept."""
    monkeypatch.setitem(app.config, "COMMUNITY_SMS_IP_CAPS", "3/hour")
    for i in range(3):
        send_code(f"1380000100{i}", "signup", T0, address="203.0.113.9")
    with pytest.raises(ValidationFailed):
        send_code("13800001009", "signup", T0, address="203.0.113.9")
    assert db.session.scalar(select(OneTimeCode).where(OneTimeCode.phone == "13800001009")) is None
    send_code("13800001009", "signup", T0, address="198.51.100.7")  # another caller



def test_a_capped_phone_refuses_the_code_and_keeps_nothing(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "COMMUNITY_SMS_PHONE_CAPS", "1/day")
    send_code("13800002001", "signup", T0)
    with pytest.raises(ValidationFailed):
        send_code("13800002001", "signup", T0 + timedelta(minutes=5))
    assert db.session.query(OneTimeCode).filter_by(phone="13800002001").count() == 1


def test_a_capped_phone_delays_notices_through_the_outbox(app, ctx, monkeypatch, people, areas):
    from community.outbox.models import OutboxRow
    from community.workqueue.notifications import RETRY_KIND

    monkeypatch.setitem(app.config, "COMMUNITY_SMS_PHONE_CAPS", "1/minute")
    daiban(people, areas)
    assert deliver_pending(T0) == 1  # the second to the same number waits a minute
    waiting = db.session.scalar(select(Notification).where(Notification.status == "retrying"))
    assert "cap" in waiting.status_detail
    assert db.session.query(OutboxRow).filter_by(kind=RETRY_KIND).count() == 1


def test_the_daily_budget_holds_notices_and_alerts_admins_once(app, ctx, monkeypatch, people, areas):
    monkeypatch.setitem(app.config, "COMMUNITY_SMS_DAILY_BUDGET", 2)
    services.send_code_text("13800003001", "VERIFY_CODE", {"code": "1", "minutes": "10"}, T0)
    services.send_code_text("13800003002", "VERIFY_CODE", {"code": "1", "minutes": "10"}, T0)
    alerts = db.session.scalars(select(Notification).where(Notification.user_id == people.admin.id)).all()
    assert len(alerts) == 1 and "预算" in alerts[0].text and alerts[0].phone == ""
    services.send_code_text("13800003003", "VERIFY_CODE", {"code": "1", "minutes": "10"}, T0)  # codes still go
    daiban(people, areas)
    assert deliver_pending(T0) == 0
    assert {n.status_detail for n in db.session.scalars(select(Notification).where(
        Notification.phone == ELDER_PHONE))} == {"daily budget spent"}
    assert db.session.scalar(select(db.func.count()).select_from(Notification).where(
        Notification.user_id == people.admin.id)) == 1  # alerted once that day


def test_caps_are_well_formed():
    assert limits.parse_caps("3/minute; 10/hours") == [(3, 60, "minute"), (10, 3600, "hour")]
    with pytest.raises(ValueError):
        limits.parse_caps("ten/minute")


# --- opt-outs, reach ------------------------------------------------------------------------------------

def test_an_opted_out_number_gets_no_notices_but_its_codes(app, ctx, people, areas, caplog):
    services.opt_out(ELDER_PHONE, T0)
    ticket = daiban(people, areas)
    deliver_pending(T0)
    notes = db.session.scalars(select(Notification).where(Notification.phone == ELDER_PHONE)).all()
    assert notes and {n.status for n in notes} == {"opted_out"} and all(n.sent_at is None for n in notes)
    assert services.reach(ticket, T0)["call"] is True  # the call replaces the texts
    caplog.clear()
    send_code(ELDER_PHONE, "signup", T0)  # asked for: it goes
    assert any("VERIFY_CODE" in r.getMessage() for r in caplog.records)
    services.opt_in(ELDER_PHONE)
    assert not limits.opted_out(ELDER_PHONE)


def test_reach_from_receipts(app, ctx, people, areas):
    ticket = daiban(people, areas)
    assert services.reach(ticket, T0)["state"] == "waiting"
    for note in db.session.scalars(select(Notification).where(Notification.phone == ELDER_PHONE)):
        note.status, note.gateway_ref = "sent", f"biz-{note.id}"
    assert services.reach(ticket, T0)["state"] == "waiting"
    first = db.session.scalar(select(Notification).where(Notification.phone == ELDER_PHONE).limit(1))
    assert services.apply_receipt(first.gateway_ref, False, T0, "MK:0001")
    assert services.reach(ticket, T0)["state"] == "waiting"  # the other may still arrive
    for note in db.session.scalars(select(Notification).where(Notification.phone == ELDER_PHONE)):
        services.apply_receipt(note.gateway_ref, False, T0, "MK:0001")
    assert services.reach(ticket, T0) | {"last": None} == {"state": "not_reached", "last": None, "call": True}
    assert services.apply_receipt(first.gateway_ref, True, T0)
    assert services.reach(ticket, T0)["state"] == "reached"
    assert not services.apply_receipt("no-such-id", True, T0)


def test_texts_stuck_retrying_for_a_day_flag_a_call(app, ctx, people, areas):
    ticket = daiban(people, areas)
    for note in db.session.scalars(select(Notification).where(Notification.phone == ELDER_PHONE)):
        note.status = "retrying"
    assert services.reach(ticket, T0 + timedelta(hours=23))["call"] is False
    assert services.reach(ticket, T0 + timedelta(hours=25))["call"] is True


def test_the_log_sender_shows_the_text_and_counts_it_delivered(app, ctx, people, areas, caplog):
    ticket = daiban(people, areas)
    deliver_pending(T0)
    assert any(r.name == "community.messaging" and "LINK_CANCEL" in r.getMessage() and "/r/" in r.getMessage()
               for r in caplog.records)
    assert services.reach(ticket, T0)["state"] == "reached"


def test_the_cli_lists_templates_and_records_opt_outs(app, ctx):
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["sms", "templates"]).output
    assert all(code in listed for code in TEMPLATES) and "/r/${token}" in listed
    assert runner.invoke(args=["sms", "opt-out", "139 0000 1111"]).output.strip() == "opted out"
    assert limits.opted_out("13900001111")
    assert runner.invoke(args=["sms", "opt-out", "12345"]).exit_code != 0  # not a phone number: nothing kept
    assert runner.invoke(args=["sms", "opt-in", "13900001111"]).exit_code == 0
    assert not limits.opted_out("13900001111")
