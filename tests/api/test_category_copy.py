"""The categories a filing reads from the process's copy (tickets.catalog, issue 30):
every change reaches every process, a rolled-back one never does, no Redis no copy."""
import redis
from sqlalchemy import select

from community.admin.categories import update_category
from community.core.extensions import db
from community.core.timeutil import utcnow
from community.tickets import catalog
from community.tickets.models import Category

FILING = {"kind": "help", "category": "ELD", "text": "楼道灯坏了，请尽快修理。"}


def _form(row: Category, **changes) -> dict:
    form = {"name_zh": row.name_zh, "name_en": row.name_en, "default_tier": row.default_tier,
            "sla_class": row.sla_class, "department_duty": "y" if row.department_duty else "",
            "department": row.department.code if row.department else "",
            "sort_order": str(row.sort_order), "active": "y" if row.active else ""}
    form.update(changes)
    return form


def _category(code: str) -> Category:
    return db.session.scalar(select(Category).where(Category.code == code))


def test_a_deactivated_category_is_refused_by_a_process_that_cached_it(app, client, people, areas, token):
    headers = token("resident")
    assert client.post("/api/v1/requests", json=FILING, headers=headers).status_code == 201
    cached = app.extensions["category_cache"]
    assert "ELD" in cached[2]
    update_category(people.admin, utcnow(), _category("ELD"), _form(_category("ELD"), active=""))
    db.session.commit()
    app.extensions["category_cache"] = cached  # another process, still holding the old copy
    answer = client.post("/api/v1/requests", json=FILING, headers=headers)
    assert answer.status_code == 422 and answer.get_json()["error"]["code"] == "validation_failed"


def test_a_renamed_category_is_answered_with_its_new_name(app, client, people, areas, token):
    headers = token("resident")
    client.post("/api/v1/requests", json=FILING, headers=headers)
    cached = app.extensions["category_cache"]
    update_category(people.admin, utcnow(), _category("ELD"), _form(_category("ELD"), name_zh="为老服务"))
    db.session.commit()
    app.extensions["category_cache"] = cached
    answer = client.post("/api/v1/requests", json=FILING, headers=headers)
    assert answer.status_code == 201 and answer.get_json()["category_name"] == "为老服务"


def test_a_change_rolled_back_is_never_cached(app, people, areas):
    with app.test_request_context():
        row = _category("ELD")
        row.active = False
        db.session.flush()
        assert catalog.active_category("ELD") is None  # this transaction's own change
        db.session.rollback()
        assert catalog.active_category("ELD").code == "ELD"
        assert app.extensions["category_cache"][2]["ELD"]["active"] is True


def test_the_copy_gives_the_session_s_own_object(app, people, areas):
    with app.test_request_context():
        first = catalog.active_category("ELD")
        assert catalog.active_category("ELD") is first
        assert db.session.get(Category, first.id) is first and first in db.session
        assert not db.session.dirty and not db.session.new
        assert catalog.active_category("NOPE") is None and catalog.active_category("") is None


def test_without_redis_the_categories_are_read_each_time(app, people, areas):
    real = app.extensions["redis"]
    app.extensions["redis"] = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    try:
        app.extensions.pop("category_cache", None)
        assert catalog.active_category("ELD").code == "ELD"
        assert "category_cache" not in app.extensions
    finally:
        app.extensions["redis"] = real
