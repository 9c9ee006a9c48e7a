"""The floor for filing throughput: a filing's own round trips, nothing else.

What POST /api/v1/requests must do at the least, written straight on
SQLAlchemy Core in a bare Flask view: look the token and its user up, count one
hit against the caller's limit in Redis and read the SLA policy version there (the
two Redis trips a filing makes before its commit), read the community's area and the
category, INSERT the outbox row, the ticket and its first event in one
transaction, offer the outbox row to the worker in one Redis round trip, and
answer JSON. No ORM, no schema library, no extension hooks, no working-day
calendar (the deadlines are now + 24 h), no translations.

It is not a second implementation: it skips checks the platform must make. It
measures how far any implementation of the same work could go on this stack
and machine, so the table can say how much of the gap to the bare INSERT is
the work itself and how much the platform's layers. `gunicorn
bench.apps.floor_app:app` with DATABASE_URL and REDIS_URL set, against a bench city
(its rows are deleted with the city's restore).
"""
import hashlib
import json
import os
import secrets
from datetime import datetime, timedelta, timezone

import redis
from flask import Flask, jsonify, request
from sqlalchemy import create_engine, text

app = Flask(__name__)
_engine = []  # made on first use, as in bare_app
_redis = []

CALLER = text(
    "SELECT t.id, u.id AS user_id, u.name, u.phone FROM api_tokens t JOIN users u ON u.id = t.user_id "
    "WHERE t.token_hash = :hash AND t.revoked_at IS NULL AND u.active "
    "AND (t.expires_at IS NULL OR t.expires_at > :now)")
# The community, its street and county, and its active grids: one statement, as the platform's.
AREA = text(
    "SELECT id, code, name, kind, street_id, county_id FROM units WHERE "
    "id = (SELECT id FROM units WHERE code = :code) OR id = (SELECT street_id FROM units WHERE code = :code) "
    "OR id = (SELECT county_id FROM units WHERE code = :code) "
    "OR (parent_id = (SELECT id FROM units WHERE code = :code) AND kind = 'grid' AND active) ORDER BY code")
CATEGORY = text("SELECT id, code, name_zh FROM categories WHERE code = :code AND active")
OUTBOX = text("INSERT INTO outbox (kind, key, payload, created_at, enqueued_at, attempts, last_error) "
              "VALUES ('bench.floor', :key, :payload, :now, :now, 0, '') RETURNING id")
TICKET = text(
    "INSERT INTO tickets (tracking_code, kind, category_id, text, text_public, urgency, state, tier, "
    "level, handling_unit_id, grid_id, community_id, street_id, county_id, address, resident_id, "
    "contact_name, contact_phone, channel, submitted_at, arrived_at, response_due_at, accept_due_at, "
    "resolve_due_at, result_note, extension_count, reopen_count, updated_at, version, next_due_at, "
    "sla_check_at, sla_flags) VALUES (:code, :kind, :category, :text, false, 'normal', 'submitted', "
    "'grid', 1, :grid, :grid, :community, :street, :county, :address, :user, :name, :phone, 'api', "
    ":now, :now, :due, :due, :due, '', 0, 0, :now, 1, :due, :due, 0) RETURNING id")
EVENT = text("INSERT INTO ticket_events (ticket_id, at, actor_id, action, to_state, unit_id, note, public) "
             "VALUES (:ticket, :now, :user, 'submit', 'submitted', :grid, '', true)")
FIELDS = ("kind", "category", "text", "community")


def _connections():
    if not _engine:
        url = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
        _engine.append(create_engine(url))
        _redis.append(redis.Redis.from_url(os.environ["REDIS_URL"]))
    return _engine[0], _redis[0]


@app.post("/file")
def file():
    data = request.get_json(silent=True) or {}
    missing = [name for name in FIELDS if not isinstance(data.get(name), str) or not data[name]]
    if missing:
        return jsonify(error="missing", fields=missing), 422
    engine, store = _connections()
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    secret = request.headers.get("Authorization", "").removeprefix("Bearer ")
    with engine.begin() as conn:
        caller = conn.execute(CALLER, {"hash": hashlib.sha256(secret.encode()).hexdigest(),
                                       "now": now}).one_or_none()
        if caller is None:
            return jsonify(error="unauthorized"), 401
        hits = store.pipeline(transaction=False)
        hits.incr(f"bench:floor:{caller.id}")
        hits.expire(f"bench:floor:{caller.id}", 3600, nx=True)
        hits.execute()
        store.get("bench:floor:policies")  # the platform reads its SLA policy version per filing
        units = conn.execute(AREA, {"code": data["community"]}).all()
        community = next((u for u in units if u.code == data["community"]), None)
        grid = next((u for u in units if u.kind == "grid"), None)
        category = conn.execute(CATEGORY, {"code": data["category"]}).one_or_none()
        if community is None or grid is None or category is None:
            return jsonify(error="unknown community or category"), 422
        row_id = conn.execute(OUTBOX, {"key": f"bench:floor:{secrets.token_hex(8)}",
                                       "payload": json.dumps({"day": now.date().isoformat()}),
                                       "now": now}).scalar_one()
        code = secrets.token_hex(6).upper()
        due = now + timedelta(hours=24)
        ticket_id = conn.execute(TICKET, {
            "code": code, "kind": data["kind"], "category": category.id, "text": data["text"][:4000],
            "grid": grid.id, "community": community.id, "street": community.street_id,
            "county": community.county_id, "address": str(data.get("address", ""))[:200],
            "user": caller.user_id, "name": caller.name, "phone": caller.phone or "", "now": now,
            "due": due}).scalar_one()
        conn.execute(EVENT, {"ticket": ticket_id, "now": now, "user": caller.user_id, "grid": grid.id})
    offer = store.pipeline(transaction=False)
    offer.rpush("bench:floor:offered", row_id)
    offer.set("bench:floor:pending", "1", nx=True, ex=30)
    offer.execute()
    return jsonify(id=ticket_id, tracking_code=code, kind=data["kind"], category=category.code,
                   category_name=category.name_zh, state="submitted", tier="grid", grid=grid.name,
                   community=community.name, text=data["text"], address=data.get("address", ""),
                   submitted_at=now.isoformat() + "Z", response_due_at=due.isoformat() + "Z"), 201
