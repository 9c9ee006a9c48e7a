"""Daily figures (stat_daily, stat_category_daily) for a generated city, in a few
set-based statements.

community.stats.rollup rebuilds one day at a time through the ORM, which is
right for the nightly job but takes hours over two years of a big city. This
computes the same counts (community.stats.rollup.ticket_counts and
resolution_counts) for every day at once; tests/unit/test_citygen.py checks
that both give the same rows, so the two cannot drift apart unnoticed.
"""
from sqlalchemy import text

KINDS = ("grid", "community", "street", "county")
BAD = "('dissatisfied', 'very_dissatisfied')"
LEVELS = ("very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied")
TICKET_PART = [
    ("filed", "1"),
    ("response_due", "CASE WHEN t.state = 'cancelled' AND t.first_response_at IS NULL "
                     "THEN 0 ELSE 1 END"),
    ("responded_in_time", "CASE WHEN t.first_response_at IS NOT NULL AND t.response_due_at "
                          "IS NOT NULL AND t.first_response_at <= t.response_due_at THEN 1 ELSE 0 END"),
    ("arrived", "CASE WHEN t.accepted_at IS NULL AND t.state IN ('cancelled', 'merged') "
                "THEN 0 ELSE 1 END"),
    ("accepted_in_time", "CASE WHEN t.accepted_at IS NOT NULL AND t.accept_due_at IS NOT NULL "
                         "AND t.accepted_at <= t.accept_due_at THEN 1 ELSE 0 END"),
    ("returned", "CASE WHEN rt.ticket_id IS NOT NULL THEN 1 ELSE 0 END"),
]
VALID = "g.id IS NOT NULL AND NOT g.excluded"
RESOLUTION_PART = [
    ("resolved", "1"),
    ("resolved_in_time", "CASE WHEN r.in_time THEN 1 ELSE 0 END"),
    ("reopened", "CASE WHEN r.reopened_at IS NOT NULL THEN 1 ELSE 0 END"),
    ("rated", "CASE WHEN g.id IS NOT NULL THEN 1 ELSE 0 END"),
    ("appeals_upheld", "CASE WHEN g.id IS NOT NULL AND g.excluded THEN 1 ELSE 0 END"),
] + [(level, f"CASE WHEN {VALID} AND g.level = '{level}' THEN 1 ELSE 0 END") for level in LEVELS] + [
    (f"solved_{s}", f"CASE WHEN {VALID} AND g.solved = '{s}' THEN 1 ELSE 0 END")
    for s in ("yes", "partly", "no")] + [
    ("bad_rectified_in_time", f"CASE WHEN {VALID} AND g.level IN {BAD} AND c.closed_at IS NOT NULL "
                              "AND c.closed_at <= c.close_due_at THEN 1 ELSE 0 END")]
COUNTS = [n for n, _ in TICKET_PART] + [n for n, _ in RESOLUTION_PART]


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
    zeros_r = ", ".join(f"0 AS {n}" for n, _ in RESOLUTION_PART)
    zeros_t = ", ".join(f"0 AS {n}" for n, _ in TICKET_PART)
    cat_b = "b.category_id AS category_id, " if with_category else ""
    ticket_cols = ", ".join(f"{expr} AS {n}" for n, expr in TICKET_PART)
    resolution_cols = ", ".join(f"{expr} AS {n}" for n, expr in RESOLUTION_PART)
    joins = ("FROM resolutions r LEFT JOIN ratings g ON g.resolution_id = r.id "
             "LEFT JOIN rectification_cases c ON c.rating_id = g.id ")
    # Each row's counts once, then copied to its grid, community, street and county.
    parts = [
        f"SELECT b.day, k.kind AS kind, {_unit('b')} AS unit_id, {cat_b}"
        f"{', '.join(n for n, _ in TICKET_PART)}, {zeros_r} FROM ("
        f"SELECT {_day(dialect, 't.submitted_at', offset)} AS day, "
        f"{', '.join('t.' + c for c in PLACE.split(', '))}, {ticket_cols} "
        f"FROM tickets t {RETURNED}) b CROSS JOIN {_kinds(kinds)} k",
        f"SELECT b.day, k.kind AS kind, {_unit('b')} AS unit_id, {cat_b}"
        f"{zeros_t}, {', '.join(n for n, _ in RESOLUTION_PART)} FROM ("
        f"SELECT {_day(dialect, 'r.resolved_at', offset)} AS day, "
        f"{', '.join('r.' + c for c in PLACE.split(', '))}, {resolution_cols} {joins}) b "
        f"CROSS JOIN {_kinds(kinds)} k",
    ]
    if not with_category:  # a department handler counts its own resolutions too
        parts.append(
            f"SELECT {_day(dialect, 'r.resolved_at', offset)} AS day, 'department' AS kind, "
            f"r.unit_id AS unit_id, {zeros_t}, {resolution_cols} {joins}"
            "JOIN units u ON u.id = r.unit_id AND u.kind = 'department'")
    return " UNION ALL ".join(parts)


def build_rollups(conn, now, offset_hours: int) -> int:
    """Replace both rollup tables with the counts for every day; returns stat_daily rows."""
    dialect = conn.dialect.name
    if dialect == "postgresql":  # hash the groups in memory instead of sorting on disk
        conn.execute(text("SET LOCAL work_mem = '256MB'"))
    sums = ", ".join(f"sum({n})" for n in COUNTS)
    names = ", ".join(COUNTS)
    conn.execute(text("DELETE FROM stat_daily"))
    conn.execute(text("DELETE FROM stat_category_daily"))
    conn.execute(text(
        f"INSERT INTO stat_daily (day, unit_id, unit_kind, updated_at, {names}) "
        f"SELECT day, unit_id, kind, :now, {sums} FROM ({_parts(dialect, offset_hours, KINDS, False)}) x "
        "GROUP BY day, unit_id, kind"), {"now": now})
    conn.execute(text(
        f"INSERT INTO stat_category_daily (day, unit_id, category_id, updated_at, {names}) "
        f"SELECT day, unit_id, category_id, :now, {sums} "
        f"FROM ({_parts(dialect, offset_hours, ('street', 'county'), True)}) x "
        "GROUP BY day, unit_id, category_id"), {"now": now})
    return conn.execute(text("SELECT count(*) FROM stat_daily")).scalar()
