"""Issue 26: delivery receipts through the callback endpoints, and what staff see."""
from sqlalchemy import select

from community.core.extensions import db
from community.workqueue.models import Notification
from tests import factories
from tests.factories import ELDER_PHONE, T0, daiban

TOKEN = "k3y-only-the-gateway-knows-0123456789abcdef"


def _sent(people, areas):
    ticket = daiban(people, areas)
    notes = list(db.session.scalars(select(Notification).where(Notification.phone == ELDER_PHONE)))
    for i, note in enumerate(notes):
        note.status, note.sent_at, note.gateway_ref = "sent", T0, f"90061974693649844{i}^0"
    db.session.commit()
    return ticket, notes


def test_aliyun_receipts_update_the_status(app, client, people, areas, monkeypatch):
    monkeypatch.setitem(app.config, "COMMUNITY_SMS_RECEIPT_TOKEN", TOKEN)
    ticket, notes = _sent(people, areas)
    body = [{"phone_number": ELDER_PHONE, "send_time": "2026-11-23 10:00:01", "report_time":
             "2026-11-23 10:00:09", "success": True, "err_code": "DELIVERED", "err_msg": "用户接收成功",
             "sms_size": "1", "biz_id": notes[0].gateway_ref, "out_id": f"n{notes[0].id}"},
            {"phone_number": ELDER_PHONE, "success": False, "err_code": "MK:0001", "err_msg": "",
             "report_time": "2026-11-23 10:00:09", "biz_id": notes[1].gateway_ref}]
    answer = client.post(f"/sms/receipts/aliyun/{TOKEN}", json=body)
    assert answer.status_code == 200 and answer.get_json() == {"code": 0, "msg": "成功"}
    db.session.expire_all()
    first, second = (db.session.get(Notification, n.id) for n in notes)
    assert first.status == "delivered" and second.status == "undelivered" and "MK:0001" in second.status_detail
    assert first.status_at.hour == 2  # 10:00:09 Beijing time, kept in UTC


def test_tencent_receipts_update_the_status(app, client, people, areas, monkeypatch):
    monkeypatch.setitem(app.config, "COMMUNITY_SMS_RECEIPT_TOKEN", TOKEN)
    ticket, notes = _sent(people, areas)
    body = [{"user_receive_time": "2026-11-23 10:00:09", "nationcode": "86", "mobile": ELDER_PHONE,
             "report_status": "FAIL", "errmsg": "UNDELIV", "description": "用户短信未送达", "sid": n.gateway_ref}
            for n in notes]
    answer = client.post(f"/sms/receipts/tencent/{TOKEN}", json=body)
    assert answer.get_json() == {"result": 0, "errmsg": "OK"}
    db.session.expire_all()
    assert {db.session.get(Notification, n.id).status for n in notes} == {"undelivered"}
    # …and staff see that the resident was not reached: call them (回访)
    factories.login(client, "grid")
    page = client.get(f"/work/tickets/{ticket.id}").get_data(as_text=True)
    assert "短信未能送达居民，请电话回访。" in page


def test_a_receipt_with_a_wrong_or_no_token_changes_nothing(app, client, people, areas, monkeypatch):
    ticket, notes = _sent(people, areas)
    forged = [{"biz_id": notes[0].gateway_ref, "success": False, "err_code": "X"}]
    assert client.post(f"/sms/receipts/aliyun/{TOKEN}", json=forged).status_code == 404  # no token configured
    monkeypatch.setitem(app.config, "COMMUNITY_SMS_RECEIPT_TOKEN", TOKEN)
    assert client.post("/sms/receipts/aliyun/guess", json=forged).status_code == 404
    assert client.post(f"/sms/receipts/aliyun/{TOKEN}", data="not json",
                       content_type="application/json").status_code == 400
    db.session.expire_all()
    assert db.session.get(Notification, notes[0].id).status == "sent"


def test_staff_see_a_delivered_text(app, client, people, areas, monkeypatch):
    monkeypatch.setitem(app.config, "COMMUNITY_SMS_RECEIPT_TOKEN", TOKEN)
    ticket, notes = _sent(people, areas)
    client.post(f"/sms/receipts/tencent/{TOKEN}", json=[{"sid": notes[0].gateway_ref, "report_status": "SUCCESS"}])
    factories.login(client, "grid")
    page = client.get(f"/work/tickets/{ticket.id}").get_data(as_text=True)
    assert "已送达居民" in page and "请电话回访" not in page
