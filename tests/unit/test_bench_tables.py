"""The bench's tables (bench/figures.py, bench/bench_replica.py): `--only` prints its own rows
only, and the replica table says why it skipped or compares the two routings."""
from bench import bench_replica, figures


def _search(p95):
    return {kind: {"p95_ms": p95} for kind in figures.SEARCH_KINDS}


def test_only_search_prints_the_search_rows_and_their_baseline():
    results = {"sizes": [50000, 5000000], "only": "search",
               "small": {"queue": {"p95_ms": 20.0}, "search": _search(40.0)},
               "big": {"queue": {"p95_ms": 25.0}, "search": _search(160.0)},
               "machine": {}, "seconds": 1}
    table = figures.table(results)
    assert "grid queue /work p95" in table
    line = next(x for x in table.splitlines() if x.startswith("| staff search (phone full) p95"))
    assert [c.strip() for c in line.split("|")[2:4]] == ["40.0", "160.0"]
    assert "MISS" in table  # 160 ms over the 150 ms target
    assert "filing" not in table and "SLA sweep" not in table and "RSS" not in table


def test_replica_table_skipped_says_why():
    assert "no standby answers" in bench_replica.table({"skipped": "no standby answers at x"})


def test_replica_table_compares_the_routings():
    def run(alone, busy):
        return {"filing_alone": alone, "filing_busy": busy, "filing_ratio": round(busy / alone, 2),
                "street_p95_ms": 100.0, "county_p95_ms": 300.0, "dashboards": 10}
    result = {"small": {"database": "bench_50k", "rounds": {"primary": [run(100, 60)],
                                                            "replica": [run(100, 95)]}}}
    table = bench_replica.table(result)
    assert "read replica, bench_50k" in table
    line = next(x for x in table.splitlines() if x.startswith("| filing busy ÷ alone"))
    assert "0.6" in line and "0.95" in line and "PASS" in line
    assert "standby's CPU per dashboard" in table  # figures a run did not give stay empty
