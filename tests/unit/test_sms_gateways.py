"""Issue 26: the Alibaba Cloud and Tencent Cloud adapters against a gateway on
127.0.0.1 that checks what the official SDK sends and answers as the gateway does."""
import pytest

from community.core.extensions import db
from community.outbox.models import OutboxRow
from community.sms import gateways
from community.sms.aliyun import AliyunSender
from community.sms.gateways import CONFIG, REFUSE, RETRY, Outgoing, SendError
from community.sms.tencent import TencentSender
from community.workqueue.models import Notification
from community.workqueue.notifications import RETRY_KIND, StillWaiting, _retry, deliver_pending
from tests.factories import ELDER_PHONE, T0, daiban
from tests.sms_gateway import FakeGateway

IDS = {"VERIFY_CODE": "SMS_100001", "SIGNUP_TAKEN": "SMS_100002", "TICKET_STEP": "SMS_100003",
       "LINK_CANCEL": "SMS_100004", "LINK_RATE": "SMS_100005"}


def configure(monkeypatch, app, gateway, kind):
    for key, value in {"COMMUNITY_SMS_ACCESS_KEY_ID": "LTAI-test-key", "COMMUNITY_SMS_ACCESS_KEY_SECRET":
                       gateway.secret, "COMMUNITY_SMS_SIGN_NAME": "社区接诉即办",
                       "COMMUNITY_SMS_TEMPLATE_IDS": IDS, "COMMUNITY_SMS_APP_ID": "1400006666",
                       "COMMUNITY_SMS_ENDPOINT": gateway.endpoint, "COMMUNITY_SMS_PROTOCOL": "http"}.items():
        monkeypatch.setitem(app.config, key, value)
    sender = AliyunSender(app.config) if kind == "aliyun" else TencentSender(app.config)
    monkeypatch.setitem(app.extensions, "sender", sender)
    return sender


CODE = Outgoing(phone="13800000001", template="VERIFY_CODE", params={"code": "123456", "minutes": "10"},
                text="", ref="n7")


def test_aliyun_sends_the_approved_template_signed(app, ctx, monkeypatch):
    with FakeGateway("aliyun-secret") as gateway:
        sender = configure(monkeypatch, app, gateway, "aliyun")
        sent = sender.send(CODE)
    assert sent.gateway_ref == "900619746936498440^0" and not sent.delivered
    [request] = gateway.requests
    assert request["signed"] and request["action"] == "SendSms"
    assert request["params"]["SignName"] == "社区接诉即办"
    assert request["params"]["TemplateCode"] == "SMS_100001"
    assert request["params"]["PhoneNumbers"] == "13800000001"
    assert request["params"]["TemplateParam"] == '{"code": "123456", "minutes": "10"}'
    assert request["params"]["OutId"] == "n7"


def test_tencent_sends_the_approved_template_signed(app, ctx, monkeypatch):
    with FakeGateway("tencent-secret") as gateway:
        sender = configure(monkeypatch, app, gateway, "tencent")
        sent = sender.send(CODE)
    assert sent.gateway_ref == "2028:f825e6b16e23f73f4123"
    [request] = gateway.requests
    assert request["signed"] and request["action"] == "SendSms"
    body = request["params"]
    assert body["SignName"] == "社区接诉即办" and body["TemplateId"] == "SMS_100001"
    assert body["SmsSdkAppId"] == "1400006666" and body["PhoneNumberSet"] == ["+8613800000001"]
    assert body["TemplateParamSet"] == ["123456", "10"]  # {1}, {2}: the template's order


@pytest.mark.parametrize("kind", ["aliyun", "tencent"])
@pytest.mark.parametrize("answer, meaning", [("throttled", RETRY), ("unapproved", CONFIG), ("bad_number", REFUSE)])
def test_gateway_errors_are_classified(app, ctx, monkeypatch, kind, answer, meaning):
    with FakeGateway("s3cret") as gateway:
        sender = configure(monkeypatch, app, gateway, kind)
        gateway.answer = answer
        with pytest.raises(SendError) as caught:
            sender.send(CODE)
    assert caught.value.kind == meaning


@pytest.mark.parametrize("kind", ["aliyun", "tencent"])
def test_wrong_secret_is_a_configuration_error(app, ctx, monkeypatch, kind):
    with FakeGateway("the-real-secret") as gateway:
        configure(monkeypatch, app, gateway, kind)
        monkeypatch.setitem(app.config, "COMMUNITY_SMS_ACCESS_KEY_SECRET", "a-wrong-one")
        sender = AliyunSender(app.config) if kind == "aliyun" else TencentSender(app.config)
        with pytest.raises(SendError) as caught:
            sender.send(CODE)
    assert caught.value.kind == CONFIG and not gateway.requests[0]["signed"]


def test_a_template_without_an_id_is_a_configuration_error(app, ctx, monkeypatch):
    with FakeGateway("s") as gateway:
        sender = configure(monkeypatch, app, gateway, "aliyun")
        monkeypatch.setitem(app.config, "COMMUNITY_SMS_TEMPLATE_IDS", "VERIFY_CODE=SMS_1")
        with pytest.raises(SendError) as caught:
            sender.send(Outgoing(phone="13800000001", template="TICKET_STEP",
                                 params={"code": "ABC", "step": "签收"}, text=""))
    assert caught.value.kind == CONFIG and not gateway.requests


def test_ids_from_the_environment_form():
    assert gateways.template_id({"COMMUNITY_SMS_TEMPLATE_IDS": "VERIFY_CODE=SMS_1, LINK_RATE=SMS_2"},
                                "LINK_RATE") == "SMS_2"


@pytest.mark.parametrize("kind", ["aliyun", "tencent"])
def test_a_throttled_notice_goes_through_the_outbox_retries(app, ctx, monkeypatch, people, areas, kind):
    """Throttled: the message waits with its own outbox row; that row fails (RQ backs off)
    until the gateway takes it; then it is sent with the gateway's id, once."""
    with FakeGateway("s3cret") as gateway:
        configure(monkeypatch, app, gateway, kind)
        daiban(people, areas)  # the 代办 request: a link text to the elder's phone
        gateway.answer = "throttled"
        assert deliver_pending(T0) == 0
        db.session.commit()
        note = db.session.query(Notification).filter_by(phone=ELDER_PHONE, template="LINK_CANCEL").one()
        assert note.status == "retrying" and note.sent_at is None
        rows = db.session.query(OutboxRow).filter_by(kind=RETRY_KIND).all()
        assert len(rows) == 2  # the step notice and the link: each waits on its own row
        [row] = [r for r in rows if r.payload["id"] == note.id]
        with pytest.raises(StillWaiting):
            _retry(row.payload)
        db.session.rollback()
        gateway.answer = "ok"
        _retry(row.payload)
        db.session.commit()
        _retry(row.payload)  # a second copy of the job: nothing more goes out
    db.session.refresh(note)
    assert note.status == "sent" and note.sent_at is not None and note.gateway_ref
    assert len(gateway.requests) == 4  # two throttled, one refused again, one taken
    sent = gateway.requests[-1]["params"]
    template = sent.get("TemplateCode") or sent.get("TemplateId")
    assert template == "SMS_100004"  # LINK_CANCEL


def test_an_unapproved_template_keeps_the_notice_waiting_and_logs_an_error(app, ctx, monkeypatch, people,
                                                                           areas, caplog):
    with FakeGateway("s3cret") as gateway:
        configure(monkeypatch, app, gateway, "aliyun")
        daiban(people, areas)
        gateway.answer = "unapproved"
        deliver_pending(T0)
    note = db.session.query(Notification).filter_by(phone=ELDER_PHONE, template="LINK_CANCEL").one()
    assert note.status == "retrying" and "isv.SMS_TEMPLATE_ILLEGAL" in note.status_detail
    assert any(r.levelname == "ERROR" and "SMS_TEMPLATE_ILLEGAL" in r.getMessage() for r in caplog.records)


def test_a_refused_number_is_final_and_flags_a_call(app, ctx, monkeypatch, people, areas):
    from community.sms.services import reach

    with FakeGateway("s3cret") as gateway:
        configure(monkeypatch, app, gateway, "tencent")
        ticket = daiban(people, areas)
        gateway.answer = "bad_number"
        deliver_pending(T0)
        db.session.commit()
    notes = db.session.query(Notification).filter_by(phone=ELDER_PHONE).all()
    assert len(notes) == 2 and {n.status for n in notes} == {"refused"}
    assert not db.session.query(OutboxRow).filter_by(kind=RETRY_KIND).count()
    assert reach(ticket, T0)["call"] is True
