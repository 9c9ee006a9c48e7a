"""Daily figures (stat_daily, stat_category_daily) for a generated city.

community.stats.rollup rebuilds one day at a time through the ORM, which is
right for the nightly job but takes hours over two years of a big city. Two
ways to the same counts (community.stats.rollup.ticket_counts and
resolution_counts) for every day at once: `Tally`, counted by the generator
from the rows it writes (what bench.city.citygen uses), and `build_rollups`, a few
set-based statements over an existing city (--figures-only).
tests/unit/test_citygen.py checks that all three give the same rows, so they
cannot drift apart unnoticed.
"""
from datetime import date, timedelta

from sqlalchemy import text

KINDS = ("grid", "community", "street", "county")
BAD = "('dissatisfied', 'very_dissatisfied')"
LEVELS = ("very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied")
UNACCEPTED_END = "t.state IN ('cancelled', 'merged') AND t.closed_at IS NOT NULL"
# The request's own clocks (community.tally.facts), each on the local day it ended and
# only once ended by `now`: (day moment, condition, counts).
RESPONSE_END = ("CASE WHEN t.first_response_at IS NOT NULL AND t.first_response_at <= t.response_due_at "
                "THEN t.first_response_at ELSE t.response_due_at END")
ACCEPT_END = ("CASE WHEN t.accepted_at IS NOT NULL AND t.accepted_at <= t.accept_due_at "
              "THEN t.accepted_at ELSE t.accept_due_at END")
TICKET_SOURCES = [
    ("t.submitted_at", "1 = 1", [("filed", "1"), ("returned", "CASE WHEN rt.ticket_id IS NOT NULL THEN 1 ELSE 0 END")]),
    (RESPONSE_END, f"t.response_due_at IS NOT NULL AND {RESPONSE_END} <= :now AND NOT ("
                   f"t.first_response_at IS NULL AND {UNACCEPTED_END} AND t.closed_at < t.response_due_at)",
     [("response_due", "1"),
      ("responded_in_time", "CASE WHEN t.first_response_at IS NOT NULL "
                            "AND t.first_response_at <= t.response_due_at THEN 1 ELSE 0 END")]),
    (ACCEPT_END, f"t.accept_due_at IS NOT NULL AND {ACCEPT_END} <= :now AND NOT ("
                 f"t.accepted_at IS NULL AND {UNACCEPTED_END} AND t.closed_at < t.accept_due_at)",
     [("arrived", "1"),
      ("accepted_in_time", "CASE WHEN t.accepted_at IS NOT NULL AND t.accepted_at <= t.accept_due_at "
                           "THEN 1 ELSE 0 END")]),
]
VALID = "g.id IS NOT NULL AND NOT g.excluded"
RESOLUTION_PART = [
    ("resolved", "1"),
    ("resolved_in_time", "CASE WHEN r.in_time THEN 1 ELSE 0 END"),
    ("reopened", "CASE WHEN r.reopened_at IS NOT NULL THEN 1 ELSE 0 END"),
    ("rated", "CASE WHEN g.id IS NOT NULL THEN 1 ELSE 0 END"),
    ("appeals_upheld", "CASE WHEN g.id IS NOT NULL AND g.excluded THEN 1 ELSE 0 END"),
    ("appealed", "CASE WHEN ap.rating_id IS NOT NULL THEN 1 ELSE 0 END"),
] + [(level, f"CASE WHEN {VALID} AND g.level = '{level}' THEN 1 ELSE 0 END") for level in LEVELS] + [
    (f"solved_{s}", f"CASE WHEN {VALID} AND g.solved = '{s}' THEN 1 ELSE 0 END")
    for s in ("yes", "partly", "no")] + [
    ("bad_rectified_in_time", f"CASE WHEN {VALID} AND g.level IN {BAD} AND c.closed_at IS NOT NULL "
                              "AND c.closed_at <= c.close_due_at THEN 1 ELSE 0 END")]
TICKET_COUNTS = [n for _m, _w, parts in TICKET_SOURCES for n, _ in parts]
COUNTS = TICKET_COUNTS + [n for n, _ in RESOLUTION_PART]


def _day(dialect, column, offset_hours):
    if dialect == "postgresql":
        return f"CAST({column} + INTERVAL '{offset_hours} hours' AS date)"
    return f"date({column}, '{offset_hours:+d} hours')"


def _unit(alias, kind_column="k.kind"):
    return (f"CASE {kind_column} WHEN 'grid' THEN {alias}.grid_id WHEN 'community' THEN "
            f"{alias}.community_id WHEN 'street' THEN {alias}.street_id ELSE {alias}.county_id END")


def _kinds(kinds):
    return "(" + " UNION ALL ".join(f"SELECT '{k}' AS kind" for k in kinds) + ")"


RETURNED = ("LEFT JOIN (SELECT DISTINCT ticket_id FROM ticket_events WHERE action = 'return') rt "
            "ON rt.ticket_id = t.id")
PLACE = "grid_id, community_id, street_id, county_id, category_id"


def _parts(dialect, offset, kinds, with_category):
    cat_b = "b.category_id AS category_id, " if with_category else ""
    joins = ("FROM resolutions r LEFT JOIN ratings g ON g.resolution_id = r.id "
             "LEFT JOIN rectification_cases c ON c.rating_id = g.id "
             "LEFT JOIN appeals ap ON ap.rating_id = g.id ")

    def columns(given):
        return ", ".join(f"{dict(given).get(n, '0')} AS {n}" for n in COUNTS)

    def names():
        return ", ".join(COUNTS)

    # Each row's counts once, then copied to its grid, community, street and county.
    sources = [(f"FROM tickets t {RETURNED}", "t", moment, where, given)
               for moment, where, given in TICKET_SOURCES]
    sources.append((joins, "r", "r.resolved_at", "1 = 1", RESOLUTION_PART))
    parts = []
    for origin, alias, moment, where, given in sources:
        parts.append(
            f"SELECT b.day, k.kind AS kind, {_unit('b')} AS unit_id, {cat_b}{names()} FROM ("
            f"SELECT {_day(dialect, moment, offset)} AS day, "
            f"{', '.join(alias + '.' + c for c in PLACE.split(', '))}, {columns(given)} "
            f"{origin} WHERE {where}) b CROSS JOIN {_kinds(kinds)} k")
        if not with_category:  # a department counts what it handled: the requests at it, its resolutions
            unit = "r.unit_id" if alias == "r" else "t.handling_unit_id"
            department = [(n, e) for n, e in given if n != "returned"]  # 退单 by it: no stays here
            parts.append(
                f"SELECT {_day(dialect, moment, offset)} AS day, 'department' AS kind, "
                f"{unit} AS unit_id, {columns(department)} {origin} "
                f"JOIN units u ON u.id = {unit} AND u.kind = 'department' WHERE {where}")
    return " UNION ALL ".join(parts)


def build_rollups(conn, now, offset_hours: int) -> int:
    """Replace both rollup tables with the counts for every day; returns stat_daily rows."""
    dialect = conn.dialect.name
    if dialect == "postgresql":  # hash the groups in memory instead of sorting on disk
        conn.execute(text("SET LOCAL work_mem = '256MB'"))
    sums = ", ".join(f"sum({n})" for n in COUNTS)
    names = ", ".join(COUNTS)
    # A department with nothing but zeros (a 退单 of a request filed that day) writes no row.
    having = "HAVING " + " OR ".join(f"sum({n}) <> 0" for n in COUNTS)
    conn.execute(text("DELETE FROM stat_daily"))
    conn.execute(text("DELETE FROM stat_category_daily"))
    conn.execute(text(
        f"INSERT INTO stat_daily (day, unit_id, unit_kind, updated_at, {names}) "
        f"SELECT day, unit_id, kind, :now, {sums} FROM ({_parts(dialect, offset_hours, KINDS, False)}) x "
        f"GROUP BY day, unit_id, kind {having}"), {"now": now})
    conn.execute(text(
        f"INSERT INTO stat_category_daily (day, unit_id, category_id, updated_at, {names}) "
        f"SELECT day, unit_id, category_id, :now, {sums} "
        f"FROM ({_parts(dialect, offset_hours, ('street', 'county'), True)}) x "
        f"GROUP BY day, unit_id, category_id {having}"), {"now": now})
    return conn.execute(text("SELECT count(*) FROM stat_daily")).scalar()


# --- Counting while generating -------------------------------------------------
# The loading processes count the figures from the very rows they write: build_rollups
# above would scan them all again afterwards, on one core (340 s of 979 at 5M requests).

STAT_COUNTS = (  # community.stats.models.COUNTS, the tables' column order
    "filed", "response_due", "responded_in_time", "arrived", "accepted_in_time", "returned",
    "resolved", "resolved_in_time", "reopened", "rated", "appeals_upheld", "appealed", *LEVELS,
    "solved_yes", "solved_partly", "solved_no", "bad_rectified_in_time",
    # 吹哨 assist tasks: the generator makes none, so these stay 0.
    "assist_report_due", "assist_reported_in_time", "assist_finish_due", "assist_finished_in_time",
    "assist_scored", "assist_score_total")
DAILY_COLUMNS = ["day", "unit_id", "unit_kind", "updated_at", *STAT_COUNTS]
CATEGORY_COLUMNS = ["day", "unit_id", "category_id", "updated_at", *STAT_COUNTS]
SPILL = "citygen_spill"  # rows for a day another part (or an earlier flush) already wrote
SPILL_COLUMNS = ["day", "unit_id", "unit_kind", "category_id", *STAT_COUNTS]
_AT = {name: i for i, name in enumerate(STAT_COUNTS)}
_EPOCH_ORDINAL = 719163  # date(1970, 1, 1).toordinal()


class Tally:
    """Counts per (local day, unit) and (day, street/county, category), gathered from
    the generated rows as community.stats.rollup.ticket_counts and resolution_counts
    would count them. `settle(day)` moves the finished days into `daily` and
    `category` (rows to write); a count for a day already written goes to `spill`,
    merged by merge_spill once every part is loaded."""

    def __init__(self, kinds: dict, offset: int, updated_at, first_day: int, ticket_columns,
                 resolution_columns, rating_columns, case_columns, appeal_columns=None):
        self.kinds, self.updated_at = kinds, updated_at
        self.now = updated_at  # clocks are counted once they have ended, by now
        self.departments = {u for u, k in kinds.items() if k == "department"}
        self.shift = timedelta(seconds=offset)
        self.days = {}         # day ordinal -> ({unit: counts}, {(unit, category): counts})
        # Days before the part's first (days since 1970) are another part's: spilled.
        self.settled = first_day + _EPOCH_ORDINAL - 1
        self.daily, self.category, self.spill = [], [], []
        t = {n: ticket_columns.index(n) for n in (
            "state", "category_id", "grid_id", "submitted_at", "accepted_at", "first_response_at",
            "response_due_at", "accept_due_at", "closed_at", "handling_unit_id")}
        self._t = t
        r = {n: resolution_columns.index(n) for n in (
            "id", "resolved_at", "in_time", "reopened_at", "unit_id", "category_id", "grid_id")}
        self._r = r
        self._g = {n: rating_columns.index(n) for n in ("resolution_id", "id", "solved", "level",
                                                          "excluded")}
        self._c = {n: case_columns.index(n) for n in ("rating_id", "closed_at", "close_due_at")}
        self._ap = (appeal_columns or ["rating_id"]).index("rating_id")

    def _add(self, moment, place, category, bumps, department=None, department_bumps=None):
        """`place`: grid, community, street, county ids; `bumps`: the counts to add 1 to
        (`department_bumps` for the department, when it differs)."""
        day = (moment + self.shift).toordinal()
        held = self.days.get(day)
        if held is None:
            held = self.days[day] = ({}, {})
        units, categories = held
        width = len(STAT_COUNTS)
        targets = [(unit, bumps) for unit in place]
        if department is not None:
            targets.append((department, bumps if department_bumps is None else department_bumps))
        for unit, unit_bumps in targets:
            counts = units.get(unit)
            if counts is None:
                counts = units[unit] = [0] * width
            for i in unit_bumps:
                counts[i] += 1
        for key in ((place[2], category), (place[3], category)):
            counts = categories.get(key)
            if counts is None:
                counts = categories[key] = [0] * width
            for i in bumps:
                counts[i] += 1

    def ticket(self, row, returned: bool) -> None:
        """Filed and 退单 on the day of filing; the response and acceptance clocks on the
        day each ended, once ended by now (community.tally.facts). The generator keeps
        no earlier stays (ticket_arrivals): a request's current stay is its only one."""
        t, a = self._t, _AT
        g = t["grid_id"]
        place, category = row[g:g + 4], row[t["category_id"]]
        unit = row[t["handling_unit_id"]]
        department = unit if unit in self.departments else None
        state, closed = row[t["state"]], row[t["closed_at"]]
        bumps = [a["filed"]] + ([a["returned"]] if returned else [])
        self._add(row[t["submitted_at"]], place, category, bumps, department, [a["filed"]])
        ended_unmet = state in ("cancelled", "merged") and closed is not None
        for due, met, due_name, hit_name in (
                (row[t["response_due_at"]], row[t["first_response_at"]], "response_due", "responded_in_time"),
                (row[t["accept_due_at"]], row[t["accepted_at"]], "arrived", "accepted_in_time")):
            if due is None:
                continue
            if met is not None and met <= due:
                moment, bumps = met, [a[due_name], a[hit_name]]
            elif met is None and ended_unmet and closed < due:
                continue
            else:
                moment, bumps = due, [a[due_name]]
            if moment <= self.now:
                self._add(moment, place, category, bumps, department)

    def resolutions(self, resolutions, ratings, cases, appeals=()) -> None:
        """One request's new resolution, rating, case and appeal rows (a handful at most)."""
        r, g, c, a = self._r, self._g, self._c, _AT
        appealed = {row[self._ap] for row in appeals}
        for res in resolutions:
            bumps = [a["resolved"]]
            if res[r["in_time"]]:
                bumps.append(a["resolved_in_time"])
            if res[r["reopened_at"]] is not None:
                bumps.append(a["reopened"])
            rid = res[r["id"]]
            for rating in ratings:
                if rating[g["resolution_id"]] != rid:
                    continue
                bumps.append(a["rated"])
                if rating[g["id"]] in appealed:
                    bumps.append(a["appealed"])
                if rating[g["excluded"]]:
                    bumps.append(a["appeals_upheld"])
                    break
                level = rating[g["level"]]
                bumps.append(a[level])
                bumps.append(a["solved_" + rating[g["solved"]]])
                if level in ("dissatisfied", "very_dissatisfied"):
                    for case in cases:
                        if case[c["rating_id"]] == rating[g["id"]] and case[c["closed_at"]] is not None \
                                and case[c["closed_at"]] <= case[c["close_due_at"]]:
                            bumps.append(a["bad_rectified_in_time"])
                break
            unit, p = res[r["unit_id"]], r["grid_id"]
            self._add(res[r["resolved_at"]], res[p:p + 4], res[r["category_id"]], bumps,
                      unit if unit in self.departments else None)

    def settle(self, day_number: int) -> None:
        """Every count of local days up to `day_number` (days since 1970) is in."""
        up_to = day_number + _EPOCH_ORDINAL
        for day in sorted(d for d in self.days if d <= up_to):
            self._emit(day, late=day <= self.settled)
        self.settled = max(self.settled, up_to)

    def close(self) -> None:
        """The part is done: what is left belongs to later parts' days."""
        for day in sorted(self.days):
            self._emit(day, late=True)

    def _emit(self, ordinal, late):
        units, categories = self.days.pop(ordinal)
        day, kinds, at = date.fromordinal(ordinal), self.kinds, self.updated_at
        if late:
            self.spill.extend((day, u, kinds[u], None, *c) for u, c in units.items())
            self.spill.extend((day, u, None, cat, *c) for (u, cat), c in categories.items())
        else:
            self.daily.extend((day, u, kinds[u], at, *c) for u, c in units.items())
            self.category.extend((day, u, cat, at, *c) for (u, cat), c in categories.items())


def create_spill(conn) -> None:
    counts = ", ".join(f"{n} INTEGER NOT NULL" for n in STAT_COUNTS)
    conn.execute(text(f"DROP TABLE IF EXISTS {SPILL}"))
    unlogged = "UNLOGGED " if conn.dialect.name == "postgresql" else ""
    conn.execute(text(f"CREATE {unlogged}TABLE {SPILL} (day DATE NOT NULL, unit_id INTEGER NOT NULL, "
                      f"unit_kind VARCHAR(20), category_id INTEGER, {counts})"))


def merge_spill(conn, now) -> None:
    """Add the spilled counts to the rows already written (or write new rows); drop the spill."""
    sums = ", ".join(f"sum({n}) AS {n}" for n in STAT_COUNTS)
    names = ", ".join(STAT_COUNTS)
    for table, keys, label, which in (
            ("stat_daily", ("day", "unit_id"), "unit_kind", "category_id IS NULL"),
            ("stat_category_daily", ("day", "unit_id", "category_id"), None, "category_id IS NOT NULL")):
        grouped = f"SELECT {', '.join(keys)}, {sums} FROM {SPILL} WHERE {which} GROUP BY {', '.join(keys)}"
        match = " AND ".join(f"{table}.{k} = s.{k}" for k in keys)
        conn.execute(text(
            f"UPDATE {table} SET {', '.join(f'{n} = {table}.{n} + s.{n}' for n in STAT_COUNTS)} "
            f"FROM ({grouped}) s WHERE {match}"))
        extra = f", {label}" if label else ""
        picked = f", max({label})" if label else ""
        conn.execute(text(
            f"INSERT INTO {table} ({', '.join(keys)}{extra}, updated_at, {names}) "
            f"SELECT {', '.join('s.' + k for k in keys)}{picked}, :now, "
            f"{', '.join(f'sum(s.{n})' for n in STAT_COUNTS)} FROM {SPILL} s WHERE s.{which} "
            f"AND NOT EXISTS (SELECT 1 FROM {table} d WHERE "
            f"{' AND '.join(f'd.{k} = s.{k}' for k in keys)}) GROUP BY {', '.join('s.' + k for k in keys)}"),
            {"now": now})
    conn.execute(text(f"DROP TABLE {SPILL}"))
