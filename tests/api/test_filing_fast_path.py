"""The filing fast path (issue 9): few statements, a per-process policy copy that
follows every change, routing that sees new grids, outbox rows offered after commit."""
from datetime import date, timedelta

from rq import Queue
from sqlalchemy import select

from community.areas.models import UnitKind
from community.areas.services import community_area, list_units, load_areas
from community.core.extensions import db
from community.outbox.models import OutboxRow
from community.outbox.services import relay_outbox
from community.sla import services as sla
from community.tickets.models import Ticket
from community.core.timeutil import local_zone, utcnow
from tests.statements import recorded

FILING = {"kind": "help", "category": "ELD", "text": "楼道灯坏了，请尽快修理。"}


def _file(client, headers, **extra):
    answer = client.post("/api/v1/requests", json=dict(FILING, **extra), headers=headers)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def test_a_filing_takes_four_statements(app, client, people, areas, token):
    headers = token("resident")
    _file(client, headers)  # the token's first use also notes last_used_at
    with recorded() as statements:
        body = _file(client, headers, community="S1C1")
    # the community (by its code) with its grids and the units above it, and three
    # INSERTs: the token and its user are kept by the process (api/tokens.py), the
    # category too (tickets/catalog.py)
    assert len(statements) == 4, statements
    assert body["street"]["code"] == "S1" and body["community"]["code"] == "S1C1"


def test_a_policy_change_reaches_a_process_that_cached_the_old_table(app, client, people, areas, token):
    headers = token("resident")
    before = _file(client, headers)  # this process now holds the policy table
    cached = dict(app.extensions["sla_cache"])
    assert cached["sla_policies"]["value"]
    now = utcnow()
    sla.add_policy(people.admin, now, sla_class="general",
                   effective_from=now.astimezone(local_zone()).date(), response_hours=24,
                   accept_hours=3, resolve_unit="working_days", resolve_amount=7)
    db.session.commit()
    # Another process still has its old copy: the new version in Redis tells it to reload.
    app.extensions["sla_cache"] = cached
    after = _file(client, headers)
    assert before["accept_due_at"] != after["accept_due_at"]
    ticket = db.session.scalar(select(Ticket).where(Ticket.tracking_code == after["tracking_code"]))
    assert ticket.accept_due_at == ticket.submitted_at + timedelta(hours=3)


def test_a_policy_rolled_back_is_never_cached(app, people, areas):
    from tests.factories import T0, file_ticket

    sla.add_policy(people.admin, T0, sla_class="general", effective_from=date(2026, 11, 24),
                   response_hours=24, accept_hours=5, resolve_unit="working_days", resolve_amount=7)
    assert sla.terms_for("general", None, T0 + timedelta(days=1)).accept_hours == 5  # own change
    db.session.rollback()
    later = T0 + timedelta(days=1)
    assert sla.terms_for("general", None, later).accept_hours == 24
    assert file_ticket(people, areas, now=later).accept_due_at == later + timedelta(hours=24)


def test_without_redis_the_policies_are_read_each_time(app, people, areas):
    import redis

    real = app.extensions["redis"]
    app.extensions["redis"] = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    try:
        db.session.info.pop("sla_policies", None)
        app.extensions.pop("sla_cache", None)
        assert sla.terms_for("general", None, utcnow()).accept_hours == 24
        assert "sla_policies" not in app.extensions.get("sla_cache", {})
    finally:
        app.extensions["redis"] = real


def test_a_new_grid_is_found_by_the_next_filing(client, people, areas, token):
    headers = token("resident")
    assert _file(client, headers, address="9号楼")["grid"]["code"] == "S1C1G1"  # no grid knows it
    load_areas([{"kind": "grid", "code": "S1C1G9", "name": "新网格", "parent_code": "S1C1",
                 "address_hints": "9号楼"}])
    db.session.commit()
    assert _file(client, headers, address="9号楼")["grid"]["code"] == "S1C1G9"


def test_community_area_matches_the_grid_list(areas):
    community, grids, above = community_area(areas.S1C1.id)
    assert community is areas.S1C1
    assert grids == list_units(UnitKind.GRID, areas.S1C1.id)
    assert {u.id for u in above} == {areas.S1C1.street_id, areas.S1C1.county_id}
    assert community_area(999999) == (None, [], [])


def test_filing_rows_are_offered_after_commit_and_not_again(app, client, people, areas, token):
    from rq import SimpleWorker

    from community.outbox.services import DRAIN_JOB_PATH, OFFERED_KEY
    from workers import jobs

    body = _file(client, token("resident"))
    rows = list(db.session.scalars(select(OutboxRow)))
    assert rows and all(r.enqueued_at is not None for r in rows)
    assert relay_outbox(utcnow()) == 0  # nothing left for the relay
    connection = app.extensions["redis"]
    # Offered as a batch: the ids in the list, one drain job (no per-row job)
    assert sorted(int(i) for i in connection.lrange(OFFERED_KEY, 0, -1)) == sorted(r.id for r in rows)
    queue = Queue("default", connection=connection)
    assert [queue.fetch_job(i).func_name for i in queue.job_ids] == [DRAIN_JOB_PATH]
    jobs.use_app(app)
    SimpleWorker([queue], connection=connection).work(burst=True)
    db.session.expire_all()
    assert all(r.done_at is not None for r in db.session.scalars(select(OutboxRow)))
    assert connection.llen(OFFERED_KEY) == 0
    assert body["tracking_code"]
