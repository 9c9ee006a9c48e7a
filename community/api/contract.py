"""What the generated OpenAPI document says beyond what flask-smorest infers, so that
generated clients and fuzzers can trust it (issue 27): an operationId and a tag per
operation, security per operation, the headers of 401 and 429 answers and of every
answer's rate limit, what text the server refuses, servers, and a few examples."""
import re

from apispec import BasePlugin
from marshmallow import validate

from .schemas import Text

BEARER = {"bearerAuth": []}
SESSION = {"session": []}
SIGNED_IN = [BEARER, SESSION]
ANYONE = [BEARER, SESSION, {}]  # the reference data answers without signing in too

TAGS = [
    {"name": "requests", "description": "File, list and follow requests (诉求)"},
    {"name": "workflow", "description": "Steps on a request: 签收, 办结, 上报, 退单, 延期 …"},
    {"name": "queue", "description": "The staff work queue"},
    {"name": "assist", "description": "协办 tasks of departments"},
    {"name": "ratings", "description": "好差评 and figures"},
    {"name": "reference", "description": "Categories and areas, public"},
    {"name": "account", "description": "The caller and their API tokens"},
]

HEADERS = {
    "RetryAfter": {"description": "Seconds to wait before trying again",
                   "schema": {"type": "integer", "minimum": 0}},
    "RateLimitLimit": {"description": "Requests allowed in the current window",
                       "schema": {"type": "integer"}},
    "RateLimitRemaining": {"description": "Requests left in the current window",
                           "schema": {"type": "integer"}},
    "RateLimitReset": {"description": "When the window resets, in Unix seconds",
                       "schema": {"type": "integer"}},
    "WWWAuthenticate": {"description": "Bearer realm=\"api\": how to authenticate",
                        "schema": {"type": "string"}},
}
RATE_HEADERS = {"X-RateLimit-Limit": {"$ref": "#/components/headers/RateLimitLimit"},
                "X-RateLimit-Remaining": {"$ref": "#/components/headers/RateLimitRemaining"},
                "X-RateLimit-Reset": {"$ref": "#/components/headers/RateLimitReset"}}

# Text fields refuse control characters other than tab and newlines, NUL included (422,
# the field named): said as a pattern, generators and fuzzers know it. NUL or bytes that
# are not UTF-8 in the address, the query string or a form body are refused before any
# field is read (400 bad_characters / bad_encoding, community.web.refuse_bad_input).
TEXT_PATTERN = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$"
REFUSED = {
    "400": ("A request the server cannot read: a body that is not JSON (bad_request), NUL or "
            "bytes that are not UTF-8 in the query string or a form body (bad_characters, "
            "bad_encoding), JSON nested too deep (too_deep), a cursor the API did not hand "
            "out or that was altered (bad_cursor), a session write without X-CSRFToken (csrf)"),
    "422": ("A field failed validation (validation_failed; `fields` names each one). Text "
            "fields refuse control characters other than tab and newlines (their `pattern`)"),
}
ERROR_RESPONSE = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
ERROR_EXAMPLE = {"error": {"code": "validation_failed", "message": "输入有误，请检查。",
                           "fields": {"text": ["Control characters are not allowed."]}}}

FILING_EXAMPLE = {"kind": "help", "category": "ELD", "text": "3号楼门口的路灯坏了一周了。",
                  "grid": "S1C1G1"}
EXAMPLES = {
    "file_request": FILING_EXAMPLE,
    "action_resolve": {"result": "solved", "note": "已更换灯泡，今晚起恢复照明。"},
    "action_return": {"reason": "不属于本单位职责，应由供水公司处理。"},
    "action_escalate": {"reason": "需要街道协调物业。"},
    "post_rating": {"solved": "yes", "level": "satisfied", "comment": "修得很快。"},
    "create_token": {"name": "hotline-sync", "can_write": True, "days": 90},
}


def operation_id(endpoint: str) -> str:
    """api_v1.action_ask_info → actionAskInfo (generated clients name functions by it)."""
    first, *rest = endpoint.rsplit(".", 1)[-1].split("_")
    return first + "".join(word.capitalize() for word in rest)


def _tag(path: str, method: str) -> str:
    parts = path.split("/")[3:]  # after /api/v1
    head = parts[0] if parts else ""
    if head == "requests":
        if len(parts) >= 3 and parts[2] == "rating":
            return "ratings"
        if len(parts) >= 3 and method == "post":
            return "workflow"
        return "requests"
    return {"queue": "queue", "assist": "assist", "figures": "ratings", "categories": "reference",
            "areas": "reference", "me": "account", "tokens": "account"}.get(head, "requests")


class ContractPlugin(BasePlugin):
    def __init__(self, public_endpoints):
        self.public = public_endpoints

    def init_spec(self, spec):
        super().init_spec(spec)
        self.spec = spec

    def operation_helper(self, path=None, operations=None, **kwargs):
        rule = kwargs.get("rule")
        if rule is None or not operations:
            return
        for method, op in operations.items():
            if not isinstance(op, dict) or method not in ("get", "post", "put", "patch", "delete"):
                continue
            op["operationId"] = operation_id(rule.endpoint)
            op["tags"] = [_tag(path, method)]
            op["security"] = ANYONE if rule.endpoint in self.public else SIGNED_IN
            responses = op.setdefault("responses", {})
            if (op.get("parameters") or op.get("requestBody") or "{" in path) and \
                    "400" not in {str(code) for code in responses}:
                # Whatever carries text may be refused as unreadable (NUL in a query …).
                responses["400"] = dict(ERROR_RESPONSE, description=REFUSED["400"])
            if isinstance(responses.get(422, responses.get("422")), str):
                # flask-smorest's @paginate names its own 422 (a component's name, made a
                # $ref later); ours has the error shape and says what is refused.
                responses.pop(422, None)
                responses["422"] = dict(ERROR_RESPONSE)
            for status, response in op.get("responses", {}).items():
                code = str(status)
                if not isinstance(response, dict) or "$ref" in response:
                    continue
                if code in REFUSED:
                    response["description"] = REFUSED[code]
                headers = response.setdefault("headers", {})
                if code == "401":
                    headers["WWW-Authenticate"] = {"$ref": "#/components/headers/WWWAuthenticate"}
                if code == "429":
                    headers["Retry-After"] = {"$ref": "#/components/headers/RetryAfter"}
                if code == "429" or code.startswith("2"):
                    headers.update(RATE_HEADERS)
            example = EXAMPLES.get(rule.endpoint.rsplit(".", 1)[-1])
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if example is not None and body is not None:
                body["example"] = example


def text_pattern(self, field, **kwargs) -> dict:
    """apispec attribute function: a Text field documents the characters it refuses
    (unless its own pattern, stricter, says already: a phone number's)."""
    if not isinstance(field, Text) or any(isinstance(v, validate.Regexp) for v in field.validators):
        return {}
    return {"pattern": TEXT_PATTERN}


def install(api, public_endpoints) -> None:
    spec = api.spec
    spec.plugins.append(plugin := ContractPlugin(public_endpoints))
    plugin.init_spec(spec)
    api.ma_plugin.converter.add_attribute_function(text_pattern)
    for name, header in HEADERS.items():
        spec.components.header(name, header)
    for tag in TAGS:
        spec.tag(tag)
    error = spec.components.schemas.get("Error")  # registered by flask-smorest, before us
    if error is not None:
        error["examples"] = [ERROR_EXAMPLE]


assert re.compile(TEXT_PATTERN.encode().decode("unicode_escape")).match("3号楼\n门口\t")
