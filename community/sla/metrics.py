"""The clocks' figures for /metrics (answers signals.metrics_scraped; community.wiring):
requests due for the sweep, requests past a deadline, the age of the last sweep."""
import time

from prometheus_client.core import GaugeMetricFamily
from redis.exceptions import RedisError
from sqlalchemy import func, select

from community.core.extensions import db
from community.core.timeutil import utcnow
from community.tickets.models import Ticket, overdue_clause

from .sweep import LAST_SWEEP_KEY


def metrics(app) -> list:
    now = utcnow()
    due = GaugeMetricFamily("community_sla_clocks_due",
                            "Requests with an SLA mark (warning, breach, closing) due for the sweep")
    due.add_metric([], db.session.scalar(
        select(func.count()).select_from(Ticket).where(Ticket.sla_check_at <= now)))
    overdue = GaugeMetricFamily("community_sla_clocks_overdue", "Requests whose nearest running deadline has passed")
    overdue.add_metric([], db.session.scalar(
        select(func.count()).select_from(Ticket).where(overdue_clause(now))))
    families = [due, overdue]
    try:
        last = app.extensions["redis"].get(LAST_SWEEP_KEY)
    except RedisError:
        last = None
    if last is not None:
        age = GaugeMetricFamily("community_sla_last_sweep_age_seconds", "Seconds since the last SLA sweep ended")
        age.add_metric([], max(time.time() - float(last), 0.0))
        families.append(age)
    return families
