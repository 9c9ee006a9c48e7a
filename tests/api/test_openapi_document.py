"""What /api/v1/openapi.json promises generators and fuzzers (issue 27 §3), checked on
the document itself: typed nullable objects, an operationId, a tag and security per
operation, the headers of 401, 429 and rate-limited answers, examples, servers, and
what the server refuses (control characters 422, NUL in a query 400), which the
server then does."""
import re

import pytest

from community.api.contract import TAGS, TEXT_PATTERN

METHODS = ("get", "post", "put", "patch", "delete")
PUBLIC = {"listCategories", "listAreas", "locate", "getArea"}


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").get_json()


def operations(spec):
    return [(path, method, op) for path, item in spec["paths"].items()
            for method, op in item.items() if method in METHODS]


def test_openapi_31_types_nullable_nested_objects(spec):
    assert spec["openapi"].startswith("3.1")
    schemas = spec["components"]["schemas"]
    for schema, field, target in (("EventOut", "unit", "UnitRef"), ("MeOut", "unit", "UnitRef"),
                                  ("MeOut", "home_community", "UnitRef"),
                                  ("AreaOut", "centre", "Point"), ("AreaDetail", "centre", "Point")):
        assert schemas[schema]["properties"][field] == {
            "anyOf": [{"$ref": f"#/components/schemas/{target}"}, {"type": "null"}]}, (schema, field)


def test_every_operation_has_an_id_a_declared_tag_and_its_own_security(spec):
    ops = operations(spec)
    ids = [op["operationId"] for _p, _m, op in ops]
    assert len(ops) >= 35 and len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[a-z][A-Za-z0-9]+", i) for i in ids)
    declared = {t["name"] for t in spec["tags"]}
    assert declared == {t["name"] for t in TAGS} and "api_v1" not in declared
    assert all(len(op["tags"]) == 1 and op["tags"][0] in declared for _p, _m, op in ops)
    assert len({op["tags"][0] for _p, _m, op in ops}) == len(declared)  # every tag used
    for _path, _method, op in ops:
        anonymous = {} in op["security"]
        assert anonymous == (op["operationId"] in PUBLIC), op["operationId"]
        assert {"bearerAuth": []} in op["security"] and {"session": []} in op["security"]
    assert set(spec["components"]["securitySchemes"]) == {"bearerAuth", "session"}


def test_headers_of_401_429_and_rate_limited_answers_are_documented(spec):
    headers = spec["components"]["headers"]
    assert {"RetryAfter", "RateLimitLimit", "RateLimitRemaining", "RateLimitReset",
            "WWWAuthenticate"} <= set(headers)
    for _path, _method, op in operations(spec):
        responses = op["responses"]
        assert "429" in responses and "default" in responses
        assert {"Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining",
                "X-RateLimit-Reset"} <= set(responses["429"]["headers"])
        if "401" in responses:
            assert "WWW-Authenticate" in responses["401"]["headers"]
        for code, answer in responses.items():
            if code.startswith("2"):
                assert "X-RateLimit-Remaining" in answer.get("headers", {}), (op["operationId"], code)
    assert not {"401"} & set(spec["paths"]["/api/v1/categories"]["get"]["responses"])


def test_examples_and_servers(spec):
    assert spec["servers"] == [{"url": "/", "description": "This server"}]
    bodies = {op["operationId"]: op["requestBody"]["content"]["application/json"]
              for _p, _m, op in operations(spec) if "requestBody" in op}
    for name in ("fileRequest", "actionResolve", "actionReturn", "actionEscalate", "postRating",
                 "createToken"):
        assert bodies[name]["example"], name
    assert spec["components"]["schemas"]["Error"]["examples"]


def test_the_document_says_what_the_server_refuses(spec):
    filing = spec["components"]["schemas"]["FilingIn"]["properties"]
    assert filing["text"]["pattern"] == TEXT_PATTERN and filing["address"]["pattern"] == TEXT_PATTERN
    for _path, _method, op in operations(spec):
        responses = op["responses"]
        if "422" in responses:
            assert "control characters" in responses["422"]["description"]
        if op.get("parameters") or op.get("requestBody") or "{" in _path:
            assert "NUL" in responses["400"]["description"], op["operationId"]
    idempotency = next(p for p in spec["paths"]["/api/v1/requests"]["post"]["parameters"]
                       if p["name"] == "Idempotency-Key")
    assert idempotency["schema"]["minLength"] == 1


def test_the_server_refuses_what_the_document_says(client, people, areas, token):
    headers = token("resident")
    from .test_requests import FILING

    for bad in ("灯坏了\x01", "灯\x1b[31m坏了", "灯坏了\x00", "\x7f"):
        answer = client.post("/api/v1/requests", json=FILING | {"text": bad}, headers=headers)
        assert answer.status_code == 422 and "text" in answer.get_json()["error"]["fields"], repr(bad)
    assert client.post("/api/v1/requests", json=FILING | {"text": "第一行\n第二行\t完"},
                       headers=headers).status_code == 201  # tab and newlines are text
    for url in ("/api/v1/requests?state=%00", "/api/v1/areas?parent=S1%00", "/api/v1/areas/S1%00"):
        answer = client.get(url, headers=headers)
        assert answer.status_code in (400, 404), url
        if answer.status_code == 400:
            assert answer.get_json()["error"]["code"] == "bad_characters", url
    assert client.get("/api/v1/areas?parent=S1%00").status_code == 400
    control = client.get("/api/v1/areas?parent=S1%07")
    assert control.status_code == 422 and "parent" in control.get_json()["error"]["fields"]
