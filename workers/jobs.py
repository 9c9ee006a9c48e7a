"""Thin jobs: they take ids and plain values, call a service in a fresh app
context, commit once, and never hold ORM objects between runs."""
from contextlib import contextmanager

from community.core.extensions import db
from community.core.timeutil import utcnow

_app = None


def use_app(app) -> None:
    """The worker process hands its app over once at start."""
    global _app
    _app = app


@contextmanager
def job_context():
    global _app
    if _app is None:
        from community import create_app

        _app = create_app()
    with _app.app_context():
        try:
            yield
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        finally:
            db.session.remove()


def deliver_notifications_job() -> int:
    from community.workqueue.notifications import deliver_pending

    with job_context():
        return deliver_pending(utcnow())


def outbox_job(row_id: int) -> bool:
    """Run one outbox row's handler; idempotent (done_at), retried by RQ on error."""
    from community.outbox.services import record_failure, run_row

    try:
        with job_context():
            return run_row(row_id, utcnow())
    except Exception as exc:
        with job_context():  # the work rolled back; keep the count and the error
            record_failure(row_id, f"{type(exc).__name__}: {exc}")
        raise


def outbox_drain_job() -> int:
    """Run the outbox rows offered in the batch list, each in its own transaction."""
    from community.outbox.services import drain_offered

    with job_context():
        return drain_offered(utcnow())


def relay_outbox_job() -> int:
    from community.outbox.services import relay_outbox

    with job_context():
        return relay_outbox(utcnow())


def sla_sweep_job(now_iso: str | None = None) -> dict:
    """The periodic SLA sweep (see community.sla.sweep); one at a time per Redis."""
    from datetime import datetime

    from community.sla.sweep import sweep_locked

    now = datetime.fromisoformat(now_iso) if now_iso else utcnow()
    with job_context():
        return sweep_locked(now)


def calendar_check_job() -> dict:
    """The daily calendar check (community.sla.yearbook.check_calendar): years the
    package knows are loaded, admins are told of a year nobody has loaded yet."""
    from community.sla.yearbook import check_calendar

    with job_context():
        result = check_calendar(utcnow())
    return {"seeded": result["seeded"], "missing": result["missing"], "told": result["told"]}


def rollup_yesterday_job() -> int:
    """Daily (workers/cron.py): rebuild yesterday's rollups (local day) from the raw rows."""
    from datetime import timedelta

    from community.stats.rollup import local_day, rebuild_day

    with job_context():
        now = utcnow()
        return rebuild_day(local_day(now) - timedelta(days=1), now)


def retention_job() -> dict:
    """Daily (workers/cron.py): anonymise requests closed longer ago than the retention period."""
    from community.privacy.retention import run_retention

    with job_context():
        run = run_retention(utcnow())
        return {"anonymised": run.anonymised, "batches": run.batches, "seconds": round(run.seconds, 1)}


def partitions_job(now_iso: str | None = None) -> dict:
    """Daily (workers/cron.py): the months' partitions of the history tables, this month
    and COMMUNITY_PARTITION_MONTHS_AHEAD more, on PostgreSQL (community.core.partitions);
    nothing on SQLite. Idempotent; says how many rows wait in the DEFAULT partitions."""
    from datetime import datetime

    from flask import current_app

    from community.core.partitions import ensure_months

    now = datetime.fromisoformat(now_iso) if now_iso else utcnow()
    with job_context():
        done = ensure_months(db.session.connection(), now,
                             ahead=current_app.config["COMMUNITY_PARTITION_MONTHS_AHEAD"])
        return {"created": done.created, "moved": done.moved, "waiting": done.waiting}


def hotspots_job(now_iso: str | None = None) -> dict:
    """Daily (workers/cron.py): find the recurring requests of the last
    COMMUNITY_HOTSPOT_DAYS (community.hotspots.detect); one run at a time."""
    from datetime import datetime

    from community.hotspots.detect import find_hotspots_locked

    now = datetime.fromisoformat(now_iso) if now_iso else utcnow()
    with job_context():
        return find_hotspots_locked(now)
