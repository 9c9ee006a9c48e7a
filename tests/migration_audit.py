"""Every statement the migrations send to PostgreSQL, checked for a long lock on a big table
(issue 30). conftest's schema build records them (`recording(engine)`);
tests/unit/test_migration_locks.py asserts nothing was found.

A city's big tables must stay writable while a migration runs. Found:
- `CREATE INDEX` on a big table without CONCURRENTLY (a SHARE lock for the whole build);
- `ADD CONSTRAINT … FOREIGN KEY / CHECK` on a big table without NOT VALID (checked under
  the ALTER's lock: core.migrating.add_foreign_key / add_check validate after a commit);
- an UPDATE / DELETE / INSERT … SELECT over a big table that is not cut into id slices
  (`:low`/`:high`, core.migrating.run_sliced) or keyed by id: its row locks last the
  whole statement;
- any such scan, a VALIDATE or an index build in a transaction that already holds a
  write-blocking lock on a big table (an ALTER, a LOCK, a new foreign key to it): that
  lock lasts the scan (core.migrating.commit ends the transaction first).
Tables created in the same transaction are new and empty, hence exempt.
"""
import re
from contextlib import contextmanager

from sqlalchemy import event

BIG = {"tickets", "ticket_events", "ratings", "resolutions", "users", "notifications",
       "rectification_cases", "assist_tasks", "extension_requests", "stat_daily",
       "stat_category_daily", "ticket_photos", "ticket_arrivals"}
# The one step that cannot do better, measured and explained in bench/RESULTS.md: 0030's
# swap fills the messages written meanwhile by code that knew no event_at, under the lock
# that swaps the tables (so none is written between the fill and the swap).
ALLOWED = ("UPDATE notifications_next SET event_at",)

NAME = r'"?(?:\w+"?\.)?"?(\w+)"?'
CREATE_TABLE = re.compile(rf"^CREATE TABLE (?:IF NOT EXISTS )?{NAME}", re.IGNORECASE)
CREATE_INDEX = re.compile(rf"^CREATE (?:UNIQUE )?INDEX (CONCURRENTLY )?(?:IF NOT EXISTS )?\S+ "
                          rf"ON (?:ONLY )?{NAME}", re.IGNORECASE)
ALTER = re.compile(rf"^ALTER TABLE (?:ONLY )?(?:IF EXISTS )?{NAME}", re.IGNORECASE)
LOCK = re.compile(rf"^LOCK TABLE {NAME}", re.IGNORECASE)
DROP_TABLE = re.compile(rf"^DROP TABLE (?:IF EXISTS )?{NAME}", re.IGNORECASE)
WRITE = re.compile(rf"^(?:UPDATE|DELETE FROM|INSERT INTO) {NAME}", re.IGNORECASE)
FROM = re.compile(rf"\b(?:FROM|JOIN) {NAME}", re.IGNORECASE)
REFERENCES = re.compile(rf"\bREFERENCES {NAME}", re.IGNORECASE)
KEYED = re.compile(r"\bid\s*(?:=\s*%\(|=\s*:|IN\s*\(\s*\d)", re.IGNORECASE)


def _base(name: str) -> str:
    return name.lower().removesuffix("_next")


class Audit:
    def __init__(self):
        self.found: list[str] = []
        self.statements = 0
        self.concurrent_indexes = 0
        self.validated = 0
        self.revision = None
        self.locked: dict[str, str] = {}  # big table → the statement that locked it
        self.created: set[str] = set()  # tables made in this transaction

    def end_transaction(self):
        self.locked.clear()
        self.created.clear()

    def _flag(self, why: str, sql: str):
        if not sql.startswith(ALLOWED):
            self.found.append(f"the revision after {self.revision or 'none'}: {why}: {sql[:160]}")

    def _big(self, name: str) -> bool:
        return _base(name) in BIG and _base(name) not in self.created

    def see(self, sql: str, params, autocommit: bool):
        sql = " ".join(sql.split())
        self.statements += 1
        if re.match(r"^(?:UPDATE|INSERT INTO) alembic_version\b", sql):  # the next revision starts
            values = list(params.values()) if isinstance(params, dict) else []
            written = re.search(r"(?:SET version_num\s*=\s*|VALUES \()'(\w+)'", sql)
            self.revision = written[1] if written else next((v for v in values if isinstance(v, str)), "?")
            return
        if autocommit:
            self.end_transaction()
        sliced = isinstance(params, dict) and {"low", "high"} <= params.keys()
        scans = self._scans(sql, sliced)
        if scans and self.locked:
            taken = next(iter(self.locked.values()))[:60]
            self._flag(f"scans {scans} while holding a write lock taken by «{taken}»", sql)
        if match := CREATE_TABLE.match(sql):
            self.created.add(_base(match[1]))
            for target in REFERENCES.findall(sql):
                if self._big(target) and not autocommit:
                    self.locked.setdefault(_base(target), sql)
        elif match := CREATE_INDEX.match(sql):
            if match[1]:
                self.concurrent_indexes += 1
            elif self._big(match[2]):
                self._flag("index built without CONCURRENTLY", sql)
                self.locked.setdefault(_base(match[2]), sql)
        elif match := ALTER.match(sql):
            table = match[1]
            if re.search(r"\bVALIDATE CONSTRAINT\b", sql, re.IGNORECASE):
                self.validated += 1
            elif self._big(table):
                if re.search(r"\bADD CONSTRAINT\b.*\b(?:FOREIGN KEY|CHECK)\b", sql, re.IGNORECASE) \
                        and not re.search(r"\bNOT VALID\s*$", sql, re.IGNORECASE):
                    self._flag("constraint checked under the ALTER's lock (add it NOT VALID, "
                               "VALIDATE after a commit)", sql)
                if not autocommit:
                    self.locked.setdefault(_base(table), sql)
            for target in REFERENCES.findall(sql):
                if self._big(target) and not autocommit:
                    self.locked.setdefault(_base(target), sql)
        elif match := (LOCK.match(sql) or DROP_TABLE.match(sql)):
            if self._big(match[1]) and not autocommit:
                self.locked.setdefault(_base(match[1]), sql)
        elif (match := WRITE.match(sql)) and self._big(match[1]):
            reads = re.search(r"\bSELECT\b", sql, re.IGNORECASE)
            if not sliced and not KEYED.search(sql) and (not sql.upper().startswith("INSERT") or reads):
                self._flag("whole-table write (cut it into id slices: run_sliced)", sql)

    def _scans(self, sql: str, sliced: bool) -> str | None:
        """The big table a statement reads through (None for a look-up by key or max/min)."""
        head = sql.split(" ", 1)[0].upper()
        if re.search(r"\bVALIDATE CONSTRAINT\b", sql, re.IGNORECASE):
            return ALTER.match(sql)[1]
        if (match := CREATE_INDEX.match(sql)) and self._big(match[2]):
            return match[2]
        if head not in ("UPDATE", "DELETE", "INSERT", "SELECT", "WITH") or KEYED.search(sql):
            return None
        if head == "SELECT" and re.match(r"^SELECT (?:max|min|count)\(\w*\) FROM \w+$", sql, re.IGNORECASE):
            return None
        tables = [t for t in FROM.findall(sql) + [m[1] for m in [WRITE.match(sql)] if m]
                  if self._big(t)]
        return tables[0] if tables else None


@contextmanager
def recording(engine):
    """Audit every statement `engine` runs in the block (PostgreSQL only)."""
    audit = Audit()

    def before(conn, cursor, statement, parameters, context, executemany):
        dbapi = conn.connection.dbapi_connection
        audit.see(statement, parameters, bool(getattr(dbapi, "autocommit", False)))

    def ended(conn):
        audit.end_transaction()

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "commit", ended)
    event.listen(engine, "rollback", ended)
    try:
        yield audit
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "commit", ended)
        event.remove(engine, "rollback", ended)


LAST: Audit | None = None  # the schema build's, on PostgreSQL (set by conftest)
