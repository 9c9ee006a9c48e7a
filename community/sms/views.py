"""Delivery receipts pushed by the gateways: POST /sms/receipts/<gateway>/<token>.

The city gives the gateway this URL with a long random COMMUNITY_SMS_RECEIPT_TOKEN
in it; neither gateway signs its receipt pushes, so the secret path is what tells a
receipt from a forgery (compared in constant time). Unset token: no callback (404).
Each answers in the body the gateway expects, else it pushes the batch again.
"""
import hmac
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, jsonify, request

from community.core.extensions import csrf, db, limiter
from community.core.timeutil import utcnow

from . import services

log = logging.getLogger(__name__)
bp = Blueprint("sms", __name__, url_prefix="/sms")
CHINA = ZoneInfo("Asia/Shanghai")  # both gateways write receipt times in Beijing time


def _when(text: str | None) -> datetime:
    try:
        return datetime.strptime(text or "", "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA).astimezone(
            ZoneInfo("UTC"))
    except ValueError:
        return utcnow()


def _authorised(token: str) -> None:
    expected = current_app.config.get("COMMUNITY_SMS_RECEIPT_TOKEN") or ""
    if not expected or not hmac.compare_digest(expected.encode(), (token or "").encode()):
        abort(404)


def _items():
    body = request.get_json(silent=True)
    if isinstance(body, dict):
        body = [body]
    if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
        abort(400)
    return body


@bp.post("/receipts/aliyun/<token>")
def aliyun_receipts(token):
    """Alibaba Cloud's SmsReport push: [{biz_id, success, err_code, err_msg, report_time, …}]."""
    _authorised(token)
    for item in _items():
        services.apply_receipt(str(item.get("biz_id") or ""), bool(item.get("success")),
                               _when(item.get("report_time")),
                               f"{item.get('err_code', '')} {item.get('err_msg', '')}".strip())
    db.session.commit()
    return jsonify({"code": 0, "msg": "成功"})


@bp.post("/receipts/tencent/<token>")
def tencent_receipts(token):
    """Tencent Cloud's status push: [{sid, report_status SUCCESS|FAIL, errmsg, user_receive_time, …}]."""
    _authorised(token)
    for item in _items():
        services.apply_receipt(str(item.get("sid") or ""), item.get("report_status") == "SUCCESS",
                               _when(item.get("user_receive_time")),
                               f"{item.get('errmsg', '')} {item.get('description', '')}".strip())
    db.session.commit()
    return jsonify({"result": 0, "errmsg": "OK"})


def init_sms(app) -> None:
    csrf.exempt(bp)      # the gateway has no session; the secret path authenticates it
    limiter.exempt(bp)   # a gateway pushes receipts in bursts
    app.register_blueprint(bp)
    from .cli import sms_cli

    app.cli.add_command(sms_cli)
