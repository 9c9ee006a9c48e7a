"""Writing a new request's rows without the ORM's unit of work (issue 9).

A plain filing adds two rows, the ticket and its first event. The flush that
writes them costs more CPU than the rest of the request together: it sorts the
dependencies of every mapper and walks every relationship before it sends the
same two INSERTs. write_new() sends those INSERTs itself and registers the rows
with the session as the flush does after its INSERTs, so the answer reads them
(and the units and category they point at) without a query.

It does so only when the flush would have written exactly these rows and
nothing listens to their mappers' insert events; anything else waiting (the
notification of a 代办 filing, photos, rows of other services) and the
ordinary flush runs, as before. The session's before_flush listeners (the
deadline columns next_due_at and sla_check_at) run first, over the same pending
rows a flush would show them, so the rows written are the rows a flush writes.
"""
import functools

from sqlalchemy import inspect, insert
from sqlalchemy.orm import scoped_session
from sqlalchemy.orm.interfaces import MANYTOONE


def write_new(session, objects: list) -> bool:
    """INSERT `objects` (parents first) and make them persistent; False, with
    nothing written, when the ordinary flush must do it."""
    if isinstance(session, scoped_session):
        session = session()  # the listeners and the identity map belong to the real one
    if not _only_these(session, objects) or session.deleted or session.dirty:
        return False
    states = [inspect(obj) for obj in objects]
    if not all(_plain(state) for state in states):
        return False
    with session.no_autoflush:  # as inside a flush
        session.dispatch.before_flush(session, None, None)
    if not _only_these(session, objects):
        return False  # a listener added rows: the flush writes them all (listeners are idempotent)
    conn = session.connection()
    with session.no_autoflush:  # reading an expired parent's key must not flush these rows
        for state in states:
            _sync_many_to_one(state)
            values = _column_values(state)
            key = conn.execute(_insert(state.mapper.local_table), values).one()
            for column, value in zip(state.mapper.local_table.primary_key.columns, key):
                setattr(state.obj(), state.mapper.get_property_by_column(column).key, value)
    # What the flush does once its INSERTs are in: identity keys, the identity map,
    # clean attributes, and the transaction's note of them (a rollback expunges them).
    # A private method, so SQLAlchemy is pinned; tests/api/test_filing_plainwrite.py
    # compares the outcome with the flush's.
    session._register_persistent(set(states))
    return True


def _only_these(session, objects) -> bool:
    return {id(obj) for obj in session.new} == {id(obj) for obj in objects}


@functools.cache
def _keys(mapper) -> tuple:
    """(column, attribute key) for every column of the mapper's table."""
    return tuple((column, mapper.get_property_by_column(column).key)
                 for column in mapper.local_table.columns)


@functools.cache
def _many_to_one(mapper) -> tuple:
    """(relationship key, [(local attribute, remote column)]) of every many-to-one."""
    return tuple((rel.key, [(mapper.get_property_by_column(local).key, remote)
                            for local, remote in rel.local_remote_pairs])
                 for rel in mapper.relationships if rel.direction is MANYTOONE)


def _plain(state) -> bool:
    """No insert listeners, and every column left unset has a plain default."""
    mapper = state.mapper
    if mapper.dispatch.before_insert or mapper.dispatch.after_insert or mapper.inherits:
        return False
    for column, key in _keys(mapper):
        if key in state.dict:
            # The flush leaves a None out of the INSERT where a default exists and
            # always numbers the version itself: both are the flush's to do.
            if column is mapper.version_id_col or (
                    state.dict[key] is None and (column.default is not None
                                                 or column.server_default is not None)):
                return False
            continue
        if column.server_default is not None or (column.default is not None
                                                 and not column.default.is_scalar):
            return False
        if column is mapper.version_id_col and mapper.version_id_generator is False:
            return False
    return True


def _sync_many_to_one(state) -> None:
    """What the flush does for `ticket.category = c`: copy c's key into category_id."""
    obj = state.obj()
    for rel_key, pairs in _many_to_one(state.mapper):
        if rel_key not in state.dict:
            continue
        target = state.dict[rel_key]
        target_mapper = inspect(target).mapper if target is not None else None
        for local_key, remote in pairs:
            value = None if target is None else \
                getattr(target, target_mapper.get_property_by_column(remote).key)
            setattr(obj, local_key, value)


def _column_values(state) -> dict:
    """Every column's value, defaults applied to the object too (as after a flush)."""
    obj, mapper, values = state.obj(), state.mapper, {}
    for column, key in _keys(mapper):
        if key not in state.dict:
            if column.primary_key and column.autoincrement:
                continue
            if column is mapper.version_id_col:
                value = mapper.version_id_generator(None)
            else:
                value = column.default.arg if column.default is not None else None
            setattr(obj, key, value)
        values[column.key] = state.dict[key]
    return values


@functools.cache
def _insert(table):
    return insert(table).returning(*table.primary_key.columns)
