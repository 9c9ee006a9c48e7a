"""Tencent Cloud SMS (2021-01-11) through its official SDK (tencentcloud-sdk-python-sms).

Optional: `pip install community-service[tencent]`; imported only when
COMMUNITY_SENDER names this class. Settings: COMMUNITY_SMS_ACCESS_KEY_ID (SecretId),
COMMUNITY_SMS_ACCESS_KEY_SECRET (SecretKey), COMMUNITY_SMS_APP_ID (SmsSdkAppId),
COMMUNITY_SMS_SIGN_NAME, COMMUNITY_SMS_TEMPLATE_IDS, COMMUNITY_SMS_REGION (ap-guangzhou),
COMMUNITY_SMS_ENDPOINT (sms.tencentcloudapi.com). Template variables go by position.
"""
from flask import current_app

from . import templates
from .gateways import CONFIG, REFUSE, RETRY, SendError, Sent, classify, setting, template_id

ERRORS = {
    "LimitExceeded.": RETRY,                                   # per-number 30 s / hour limits
    "LimitExceeded.PhoneNumberDailyLimit": REFUSE,             # the gateway's own day cap: not today
    "LimitExceeded.DeliveryFrequencyLimit": RETRY,
    "RequestLimitExceeded": RETRY,
    "InternalError.": RETRY,
    "FailedOperation.TemplateIncorrectOrUnapproved": CONFIG,
    "FailedOperation.SignatureIncorrectOrUnapproved": CONFIG,
    "FailedOperation.InsufficientBalanceInSmsPackage": CONFIG,
    "FailedOperation.MissingTemplateToModify": CONFIG,
    "AuthFailure.": CONFIG,
    "UnauthorizedOperation.": CONFIG,
    "InvalidParameterValue.IncorrectPhoneNumber": REFUSE,
    "InvalidParameterValue.TemplateParameterFormatError": REFUSE,
    "InvalidParameterValue.TemplateParameterLengthLimit": REFUSE,
    "FailedOperation.PhoneNumberInBlacklist": REFUSE,
    "FailedOperation.ContainSensitiveWord": REFUSE,
    "UnsupportedOperation.": REFUSE,
}


class TencentSender:
    def __init__(self, config=None):
        config = config or current_app.config
        try:
            from tencentcloud.common import credential
            from tencentcloud.common.profile.client_profile import ClientProfile
            from tencentcloud.common.profile.http_profile import HttpProfile
            from tencentcloud.sms.v20210111 import sms_client
        except ImportError as exc:
            raise SendError(CONFIG, "sdk-missing",
                            "pip install community-service[tencent]") from exc
        self.config = config
        http = HttpProfile(endpoint=config.get("COMMUNITY_SMS_ENDPOINT") or "sms.tencentcloudapi.com",
                           reqTimeout=10)
        http.scheme = config.get("COMMUNITY_SMS_PROTOCOL") or "https"
        self.client = sms_client.SmsClient(
            credential.Credential(setting(config, "COMMUNITY_SMS_ACCESS_KEY_ID"),
                                  setting(config, "COMMUNITY_SMS_ACCESS_KEY_SECRET")),
            config.get("COMMUNITY_SMS_REGION") or "ap-guangzhou", ClientProfile(httpProfile=http))

    def send(self, message) -> Sent:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
        from tencentcloud.sms.v20210111 import models

        request = models.SendSmsRequest()
        request.PhoneNumberSet = ["+86" + message.phone if not message.phone.startswith("+") else message.phone]
        request.SmsSdkAppId = setting(self.config, "COMMUNITY_SMS_APP_ID")
        request.SignName = setting(self.config, "COMMUNITY_SMS_SIGN_NAME")
        request.TemplateId = template_id(self.config, message.template)
        request.TemplateParamSet = templates.positional(message.template, message.params)
        request.SessionContext = message.ref or ""
        try:
            response = self.client.SendSms(request)
        except TencentCloudSDKException as exc:  # an error for the whole call (keys, throttling)
            code = exc.get_code() or "?"
            kind = RETRY if code == "ClientNetworkError" else classify(code, ERRORS, default=RETRY)
            raise SendError(kind, code, (exc.get_message() or "")[:200]) from exc
        status = (response.SendStatusSet or [None])[0]
        if status is None:
            raise SendError(RETRY, "no-status", "the gateway answered without a status")
        if status.Code != "Ok":
            raise SendError(classify(status.Code or "", ERRORS), status.Code or "?", status.Message or "")
        return Sent(gateway_ref=status.SerialNo or "")
