"""docs/exchange.md's JSON Schemas are the contract (issue 27 §1): every order the
reference upstream sends, every answer and every step it hears back validates against
them, and an order they refuse, the platform refuses too (nothing filed)."""
import re
from datetime import timedelta
from pathlib import Path

import jsonschema_rs
import pytest
from sqlalchemy import func, select

from community.core.extensions import db
from community.ratings import services as ratings
from community.tickets import links
from community.tickets.models import Ticket
from community.workqueue import actions
from community.workqueue.extensions import request_extension
from community.workqueue.routing import return_ticket

from .helpers import run_deliveries
from .reference import send_order
from .test_upstream import NOW, SECRET, order, upstream  # noqa: F401  (the fixture)

DOC = Path(__file__).resolve().parents[2] / "docs" / "exchange.md"


def documented(name: str):
    found = re.search(rf"<!-- schema: {name} -->\s*```json\n(.*?)```", DOC.read_text(), re.S)
    assert found, f"docs/exchange.md has no schema {name}"
    import json

    return jsonschema_rs.validator_for(json.loads(found.group(1)), validate_formats=True)


def test_orders_answers_and_steps_keep_to_the_documented_schemas(app, client, people, mapped, upstream,
                                                                 frozen):
    order_schema, answer_schema, step_schema = documented("order"), documented("order-answer"), \
        documented("step")
    sent = [order("DOC-1"), order("DOC-2", kind="complaint", location={"lat": 25.005, "long": 102.005},
                                  caller={"name": "", "phone": "0871-6512 3456"}),
            order("DOC-3", category="unknown", location={"address": "社区1-1 3号楼"})]
    codes = []
    for one in sent:
        order_schema.validate(one)
        answer = send_order(client, "hotline", SECRET, one, NOW)
        assert answer.status_code == 201, answer.get_json()
        answer_schema.validate(answer.get_json())
        codes.append(answer.get_json()["tracking_code"])
    again = send_order(client, "hotline", SECRET, sent[0], NOW)
    assert again.status_code == 200
    answer_schema.validate(again.get_json())

    first, second, _third = (db.session.scalar(select(Ticket).where(Ticket.tracking_code == c)) for c in codes)
    actions.accept(first, people.grid, NOW)
    request_extension(first, people.grid, NOW, 2, "等待配件")
    actions.resolve(first, people.grid, NOW, "partly", "先修好了一盏。")
    return_ticket(second, people.grid, NOW, "不属于本网格。")
    db.session.commit()
    later = NOW + timedelta(hours=1)
    frozen.move_to(later)
    token = links.issue(first, later, resolution=ratings.rateable_resolution(first))
    ratings.rate(first, None, later, "partly", "basic", "还有一盏没修。", link=links.find(token, later))
    db.session.commit()
    for _round in range(5):
        run_deliveries(later)
    steps = sorted({m["event"] for m in upstream.received})
    assert steps == ["accepted", "extension_requested", "rated", "resolved", "returned"]
    for message in upstream.received:
        step_schema.validate(message)


@pytest.mark.parametrize("bad", [
    {"due_at": "tomorrow"}, {"due_at": "2026-11-24T10:00:00"},  # no zone
    {"text": ""}, {"text": "x" * 4001}, {"text": "灯坏了\x07"},
    {"order_id": ""}, {"order_id": "x" * 65}, {"category": ""},
    {"kind": "gossip"}, {"caller": {"phone": "call me"}}, {"caller": {"name": "x" * 65}},
    {"location": {}}, {"location": {"lat": 95, "long": 102}}, {"location": {"lat": 25.0}},
    {"location": {"unit": ""}}, {"location": {"address": "门" * 201}},
    "drop order_id", "drop due_at", "drop text", "drop location", "drop category",
])
def test_what_the_schema_refuses_the_platform_refuses(app, client, people, areas, upstream, frozen, bad):
    if isinstance(bad, str):
        body = {k: v for k, v in order().items() if k != bad.split()[1]}
    else:
        body = order() | bad
    assert not documented("order").is_valid(body)
    answer = send_order(client, "hotline", SECRET, body, NOW)
    assert answer.status_code in (400, 422), (bad, answer.get_json())
    assert db.session.scalar(select(func.count(Ticket.id))) == 0
