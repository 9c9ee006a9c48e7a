"""Running the exchange's outbox rows as a worker would (workers.jobs.outbox_job)."""
from sqlalchemy import select

from community.exchange.delivery import KIND
from community.core.extensions import db
from community.outbox.models import OutboxRow
from community.outbox.services import MAX_ATTEMPTS, record_failure, run_row


def run_deliveries(now) -> tuple[int, int]:
    """One round over the waiting deliveries; (ran, failed)."""
    ids = list(db.session.scalars(select(OutboxRow.id).where(
        OutboxRow.kind == KIND, OutboxRow.done_at.is_(None), OutboxRow.attempts < MAX_ATTEMPTS)
        .order_by(OutboxRow.id)))
    ran = failed = 0
    for row_id in ids:
        try:
            ran += run_row(row_id, now)
            db.session.commit()
        except Exception as exc:  # noqa: BLE001 (as the job: count it, RQ retries)
            db.session.rollback()
            record_failure(row_id, f"{type(exc).__name__}: {exc}")
            db.session.commit()
            failed += 1
    return ran, failed
