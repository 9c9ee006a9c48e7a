"""`flask stats rollup [--day]` rebuilds the rollups; `stats refresh` runs waiting updates."""
from datetime import timedelta

from sqlalchemy import delete, select

from community.core.extensions import db
from community.stats.models import StatDaily

from ..factories import T0, resolved_ticket


def test_rollup_command_all_days_and_one_day(app, people, areas, frozen):
    resolved_ticket(people, areas)
    frozen.move_to(T0 + timedelta(days=1))  # the commands roll up "until now": the next day
    runner = app.test_cli_runner()
    result = runner.invoke(args=["stats", "refresh"])
    assert result.exit_code == 0 and "recomputed" in result.output
    refreshed = {(r.unit_id, r.day): r.counts() for r in db.session.scalars(select(StatDaily))}
    assert refreshed  # the outbox rows written with the workflow's changes, run here
    db.session.execute(delete(StatDaily))
    db.session.commit()
    result = runner.invoke(args=["stats", "rollup"])
    assert result.exit_code == 0, result.output
    assert {(r.unit_id, r.day): r.counts() for r in db.session.scalars(select(StatDaily))} == refreshed
    day = next(iter(refreshed))[1]
    result = runner.invoke(args=["stats", "rollup", "--day", day.isoformat()])
    assert result.exit_code == 0 and "rolled up" in result.output
    bad = runner.invoke(args=["stats", "rollup", "--day", "2026-13-01"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output
