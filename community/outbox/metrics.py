"""The outbox's figure for /metrics (answers signals.metrics_scraped; community.wiring)."""
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from community.core.extensions import db

from .models import OutboxRow


def metrics(app) -> list:
    backlog = GaugeMetricFamily("community_outbox_backlog", "Outbox rows not done yet")
    backlog.add_metric([], db.session.scalar(
        select(func.count()).select_from(OutboxRow).where(OutboxRow.done_at.is_(None))))
    return [backlog]
