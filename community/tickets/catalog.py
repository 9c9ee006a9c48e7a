"""The active categories as a filing reads them: a copy per process (issue 30).

A filing looked its category up by code, one query for a table that changes a few
times a year. Each process now keeps the active rows' values and checks, before
each use, a version token in Redis (read with the other copies' tokens, in the
one round trip a request makes: core.versions). Any change to a Category through
the ORM (the admin pages, the demo seed, the tests' factories) sets a new token
after its commit, and the changing transaction reads the table itself until then.
Without Redis every filing reads the table, as before; CACHE_SECONDS bounds a
token that was never set (a row changed by hand in SQL).

The lists of categories (the filing form's choices, the queue's filter) read the
same copy as plain values (Choice), not rows in the session: making ORM objects from
the copy cost more than the query did.
"""
import time as clock
from dataclasses import dataclass

from flask import current_app, has_app_context
from redis.exceptions import RedisError
from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import make_transient_to_detached, object_session

from community.core import versions
from community.core.extensions import db

from .models import Category

VERSION_KEY = versions.register("community:categories:version")
CACHE_SECONDS = 60
_BY_CODE = select(Category).where(Category.code == bindparam("code"), Category.active.is_(True))
_ACTIVE = select(Category).where(Category.active.is_(True)).order_by(Category.sort_order, Category.code)


@dataclass(frozen=True)
class Choice:
    """An active category as a list shows it: its columns' values, read-only."""
    id: int
    code: str
    name_zh: str
    name_en: str
    default_tier: str
    sla_class: str
    department_duty: bool
    department_id: int | None
    sort_order: int
    active: bool

    label = Category.label  # the one rule for a category's name in a language


def active_categories() -> list:
    """The active categories in list order (sort_order, code): Choice values from the copy,
    or the rows themselves while the copy cannot be trusted (same attributes)."""
    session = db.session
    copy = None if versions.changing(session, VERSION_KEY) else _copy()
    if copy is None:
        return list(session.scalars(_ACTIVE))
    return copy[1]


def choice_of(category_id) -> Choice | None:
    """The active category with this id from the copy (None: inactive, or no copy to trust)."""
    copy = None if versions.changing(db.session, VERSION_KEY) else _copy()
    return None if copy is None else copy[2].get(category_id)


def active_category(code: str) -> Category | None:
    """The active category with this code, in the session (as a query would give it)."""
    session = db.session
    if not code:
        return None
    copy = None if versions.changing(session, VERSION_KEY) else _copy()
    if copy is None:
        return session.scalar(_BY_CODE, {"code": code})
    values = copy[0].get(code)
    return None if values is None else _in_session(session(), values)


def _copy() -> tuple[dict, list, dict] | None:
    """({code: column values}, [Choice in list order], {id: Choice}) of the active
    categories; None when the copy cannot be trusted."""
    try:
        version = versions.started(VERSION_KEY)
    except (RedisError, OSError):
        return None
    cache = current_app.extensions.get("category_cache")
    if cache is not None and cache[0] == version and clock.monotonic() < cache[1]:
        return cache[2:]
    # The version is read before the rows: a change committed in between shows next time.
    table = Category.__table__
    with db.session.no_autoflush:
        rows = {row.code: dict(row._mapping) for row in db.session.execute(
            select(*table.columns).where(table.c.active.is_(True)))}
    choices = [Choice(**values) for values in sorted(rows.values(), key=lambda v: (v["sort_order"], v["code"]))]
    by_id = {choice.id: choice for choice in choices}
    current_app.extensions["category_cache"] = (version, clock.monotonic() + CACHE_SECONDS, rows, choices, by_id)
    return rows, choices, by_id


def _in_session(session, values: dict) -> Category:
    """The row as a persistent object of this session: the one already there, or a
    new one made from the copy's values (clean, as if loaded)."""
    key = session.identity_key(Category, values["id"])
    found = session.identity_map.get(key)
    if found is not None:
        return found
    row = Category(**values)
    make_transient_to_detached(row)
    session.add(row)
    return row


def _changed(_mapper, _connection, target) -> None:
    session = object_session(target)
    if session is not None:
        versions.change(session, VERSION_KEY)  # a new token once it commits
    if has_app_context():
        current_app.extensions.pop("category_cache", None)


def install() -> None:
    """Listen for changes to Category rows (once per process)."""
    for name in ("after_insert", "after_update", "after_delete"):
        if not event.contains(Category, name, _changed):
            event.listen(Category, name, _changed)
