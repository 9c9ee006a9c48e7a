"""A stand-in for the SMS gateways on 127.0.0.1, for the adapters' tests (issue 26).

It checks what the official SDK sends as the real gateway would (the request's
signature with the secret we configured, the action, the signature name 签名, the
template id and its parameters) and answers as the gateway answers: success,
throttled, or template not approved. `answer` chooses; `requests` keeps what came.
"""
import hashlib
import hmac
import json
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlsplit

ALIYUN = {"ok": {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "R1"},
          "throttled": {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控Permits:1",
                        "RequestId": "R2"},
          "unapproved": {"Code": "isv.SMS_TEMPLATE_ILLEGAL", "Message": "该账号下找不到对应模板",
                         "RequestId": "R3"},
          "bad_number": {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号", "RequestId": "R4"}}
TENCENT_STATUS = {"ok": ("Ok", "send success"),
                  "throttled": ("LimitExceeded.PhoneNumberThirtySecondLimit", "单个手机号30秒内下发短信条数超过设定的上限"),
                  "unapproved": ("FailedOperation.TemplateIncorrectOrUnapproved", "模版未审批或请求的内容与审核通过的模版内容不匹配"),
                  "bad_number": ("InvalidParameterValue.IncorrectPhoneNumber", "手机号格式错误")}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def aliyun_signature(secret: str, method: str, path: str, headers: dict, body: bytes) -> str:
    """ACS3-HMAC-SHA256 as Alibaba Cloud computes it on its side."""
    parts = urlsplit(path)
    query = sorted(parse_qsl(parts.query, keep_blank_values=True))
    canonical_query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in query)
    auth = headers["authorization"]
    signed = auth.split("SignedHeaders=")[1].split(",")[0].split(";")
    canonical_headers = "".join(f"{name}:{headers[name].strip()}\n" for name in signed)
    canonical = "\n".join([method, parts.path or "/", canonical_query, canonical_headers, ";".join(signed),
                           _sha256(body)])
    to_sign = "ACS3-HMAC-SHA256\n" + _sha256(canonical.encode())
    return hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


def tencent_signature(secret_key: str, headers: dict, body: bytes) -> str:
    """TC3-HMAC-SHA256 as Tencent Cloud computes it on its side."""
    timestamp = int(headers["x-tc-timestamp"])
    date = datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")
    canonical = (f"POST\n/\n\ncontent-type:{headers['content-type']}\nhost:{headers['host']}\n\n"
                 f"content-type;host\n{_sha256(body)}")
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{date}/sms/tc3_request\n{_sha256(canonical.encode())}"

    def mac(key, msg):
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    key = mac(mac(mac(("TC3" + secret_key).encode(), date), "sms"), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


class FakeGateway:
    def __init__(self, secret: str):
        self.secret = secret
        self.answer = "ok"
        self.requests: list[dict] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, reply = gateway.handle(self.command, self.path, headers, body)
                data = json.dumps(reply, ensure_ascii=False).encode()
                self.send_response(status)
                # As each sends it (Tencent's SDK reads errors only under exactly this type).
                self.send_header("Content-Type", "application/json" if "TC3" in headers.get(
                    "authorization", "") else "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # shutdown() waits for the loop's next poll: 0.5 s by default, at every test's end.
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def handle(self, method, path, headers, body):
        auth = headers.get("authorization", "")
        if auth.startswith("ACS3-HMAC-SHA256"):
            given = auth.rsplit("Signature=", 1)[1]
            ok = hmac.compare_digest(given, aliyun_signature(self.secret, method, path, headers, body))
            query = dict(parse_qsl(urlsplit(path).query))
            self.requests.append({"gateway": "aliyun", "signed": ok, "action": headers.get("x-acs-action"),
                                  "params": query})
            if not ok:
                return 400, {"Code": "SignatureDoesNotMatch", "Message": "signature mismatch", "RequestId": "R0"}
            return 200, ALIYUN[self.answer]
        if auth.startswith("TC3-HMAC-SHA256"):
            given = auth.rsplit("Signature=", 1)[1]
            ok = hmac.compare_digest(given, tencent_signature(self.secret, headers, body))
            payload = json.loads(body or b"{}")
            self.requests.append({"gateway": "tencent", "signed": ok, "action": headers.get("x-tc-action"),
                                  "params": payload})
            if not ok:
                return 200, {"Response": {"Error": {"Code": "AuthFailure.SignatureFailure",
                                                    "Message": "签名错误"}, "RequestId": "R0"}}
            code, message = TENCENT_STATUS[self.answer]
            return 200, {"Response": {"SendStatusSet": [{
                "SerialNo": "2028:f825e6b16e23f73f4123" if code == "Ok" else "", "PhoneNumber":
                payload["PhoneNumberSet"][0], "Fee": 1 if code == "Ok" else 0, "SessionContext":
                payload.get("SessionContext", ""), "Code": code, "Message": message, "IsoCode": "CN"}],
                "RequestId": "R1"}}
        return 403, {"error": "unsigned"}
