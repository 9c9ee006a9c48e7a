"""Alibaba Cloud SMS (dysmsapi 2017-05-25) through its official SDK.

Optional: `pip install community-service[aliyun]`; imported only when
COMMUNITY_SENDER names this class. Settings: COMMUNITY_SMS_ACCESS_KEY_ID,
COMMUNITY_SMS_ACCESS_KEY_SECRET, COMMUNITY_SMS_SIGN_NAME, COMMUNITY_SMS_TEMPLATE_IDS,
COMMUNITY_SMS_ENDPOINT (dysmsapi.aliyuncs.com).
"""
import json

from flask import current_app

from .gateways import CONFIG, REFUSE, RETRY, SendError, Sent, classify, setting, template_id

# Alibaba Cloud's error codes (SendSms answers HTTP 200 with Code != "OK" for most).
ERRORS = {
    "isv.BUSINESS_LIMIT_CONTROL": RETRY,     # 流控: too many to this number for now
    "Throttling.": RETRY,
    "ServiceUnavailable": RETRY,
    "InternalError": RETRY,
    "isv.AMOUNT_NOT_ENOUGH": CONFIG,         # the account ran out of credit
    "isv.OUT_OF_SERVICE": CONFIG,
    "isv.SMS_TEMPLATE_ILLEGAL": CONFIG,      # template id unknown or not approved
    "isv.SMS_SIGNATURE_ILLEGAL": CONFIG,
    "isv.SMS_SIGN_ILLEGAL": CONFIG,
    "isv.ACCOUNT_NOT_EXISTS": CONFIG,
    "isv.ACCOUNT_ABNORMAL": CONFIG,
    "InvalidAccessKeyId.": CONFIG,
    "SignatureDoesNotMatch": CONFIG,
    "Forbidden.": CONFIG,
    "isv.MOBILE_NUMBER_ILLEGAL": REFUSE,
    "isv.BLACK_KEY_CONTROL_LIMIT": REFUSE,
    "isv.TEMPLATE_PARAMS_ILLEGAL": REFUSE,
    "isv.PARAM_LENGTH_LIMIT": REFUSE,
    "isv.DAY_LIMIT_CONTROL": REFUSE,
}


class AliyunSender:
    def __init__(self, config=None):
        config = config or current_app.config
        try:
            from alibabacloud_dysmsapi20170525.client import Client
            from alibabacloud_tea_openapi import models as open_api
        except ImportError as exc:
            raise SendError(CONFIG, "sdk-missing",
                            "pip install community-service[aliyun]") from exc
        self.config = config
        endpoint = config.get("COMMUNITY_SMS_ENDPOINT") or "dysmsapi.aliyuncs.com"
        self.client = Client(open_api.Config(
            access_key_id=setting(config, "COMMUNITY_SMS_ACCESS_KEY_ID"),
            access_key_secret=setting(config, "COMMUNITY_SMS_ACCESS_KEY_SECRET"),
            endpoint=endpoint, protocol=config.get("COMMUNITY_SMS_PROTOCOL") or "https",
            read_timeout=10000, connect_timeout=5000))

    def send(self, message) -> Sent:
        from alibabacloud_dysmsapi20170525 import models

        request = models.SendSmsRequest(
            phone_numbers=message.phone, sign_name=setting(self.config, "COMMUNITY_SMS_SIGN_NAME"),
            template_code=template_id(self.config, message.template),
            template_param=json.dumps(message.params, ensure_ascii=False) if message.params else None,
            out_id=message.ref or None)
        try:
            body = self.client.send_sms(request).body
        except Exception as exc:  # the SDK's TeaException (HTTP errors) or the network
            code = getattr(exc, "code", None) or type(exc).__name__
            kind = classify(str(code), ERRORS, default=RETRY)
            raise SendError(kind, str(code), str(getattr(exc, "message", exc))[:200]) from exc
        if body.code != "OK":
            raise SendError(classify(body.code or "", ERRORS), body.code or "?", body.message or "")
        return Sent(gateway_ref=body.biz_id or "")
