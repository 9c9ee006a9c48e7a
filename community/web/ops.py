"""What operations look at: /healthz, /readyz and /metrics (issue 25).

- /healthz: the process answers (no database, no Redis): for a restart decision.
- /readyz: the database and Redis each answer within COMMUNITY_READY_TIMEOUT seconds;
  503 naming the one that did not: for a load balancer's "send traffic here".
- /metrics: Prometheus text. Requests by endpoint and status and their latency (from
  every process: prometheus-client's multiprocess mode when PROMETHEUS_MULTIPROC_DIR is
  set, as deploy/gunicorn.conf.py does), and, read at scrape time, RQ queue depths,
  the outbox backlog, due and overdue clocks and the age of the last SLA sweep. Open to
  COMMUNITY_METRICS_NETWORKS (loopback by default) or to a bearer COMMUNITY_METRICS_TOKEN.

None of them uses the session, sign-in or the rate limiter, and none writes a cookie.
"""
import hmac
import ipaddress
import os
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from flask import Blueprint, Flask, abort, current_app, g, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from community.core import signals
from community.core.partitions import default_rows
from community.core.extensions import csrf, db, limiter
from community.core.replica import FALLBACKS, replica_lag_seconds

bp = Blueprint("ops", __name__)
OPS_ENDPOINTS = frozenset({"ops.healthz", "ops.readyz", "ops.metrics"})

REQUESTS = Counter("community_http_requests", "HTTP requests answered, by endpoint and status",
                   ["endpoint", "method", "status"])
LATENCY = Histogram("community_http_request_seconds", "Time to answer an HTTP request, by endpoint",
                    ["endpoint"], buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
_probe_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="readyz")


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


def _engine(app: Flask):
    with app.app_context():
        return db.engine


def _check_database(app: Flask) -> None:
    from sqlalchemy import text

    with _engine(app).connect() as connection:
        connection.execute(text("SELECT 1"))


def _check_redis(app: Flask) -> None:
    app.extensions["redis"].ping()


@bp.get("/readyz")
def readyz():
    """Both probes at once, each given the timeout: a hung database (no answer, no error)
    fails the probe too, and the page answers within about the timeout."""
    app = current_app._get_current_object()
    timeout = float(app.config["COMMUNITY_READY_TIMEOUT"])
    probes = {"database": _probe_pool.submit(_check_database, app),
              "redis": _probe_pool.submit(_check_redis, app)}
    deadline = time.monotonic() + timeout
    checks = {}
    for name, future in probes.items():
        try:
            future.result(timeout=max(deadline - time.monotonic(), 0.01))
            checks[name] = "ok"
        except FutureTimeout:
            checks[name] = f"no answer within {timeout:g} s"
        except Exception as error:  # noqa: BLE001 - any failure means not ready
            checks[name] = f"{type(error).__name__}"
    failed = sorted(name for name, state in checks.items() if state != "ok")
    body = {"status": "ok" if not failed else "unavailable", "checks": checks}
    if failed:
        body["failed"] = failed
    response = jsonify(body)
    response.status_code = 503 if failed else 200
    if failed:
        response.headers["Retry-After"] = "5"
    return response


def _allowed_to_scrape() -> bool:
    token = current_app.config.get("COMMUNITY_METRICS_TOKEN") or ""
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    networks = current_app.config.get("COMMUNITY_METRICS_NETWORKS") or []
    if isinstance(networks, str):  # "10.0.0.0/8,127.0.0.1/32" from an environment file
        networks = [n.strip() for n in networks.split(",") if n.strip()]
    return any(address in ipaddress.ip_network(net, strict=False) for net in networks)


@bp.get("/metrics")
def metrics():
    if not _allowed_to_scrape():
        abort(403)
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)  # every gunicorn worker's counts
    else:
        registry.register(REQUESTS)
        registry.register(LATENCY)
        registry.register(FALLBACKS)
    registry.register(StateCollector(current_app._get_current_object()))
    return current_app.response_class(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


class StateCollector:
    """Figures read when scraped (so right from whichever process answers)."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        yield from self._queues()
        with self.app.app_context():
            try:  # the domains' own figures (outbox backlog, SLA clocks): signals.metrics_scraped
                for _, families in signals.metrics_scraped.send(self.app):
                    yield from families
                yield from _partition_defaults()
            finally:
                db.session.remove()
        with self.app.app_context():
            lag = replica_lag_seconds()
        if lag is not None:  # this process's last probe of the read replica
            gauge = GaugeMetricFamily("community_replica_lag_seconds",
                                      "The read replica's replay delay at this process's last probe")
            gauge.add_metric([], lag)
            yield gauge

    def _queues(self):
        from redis.exceptions import RedisError
        from rq import Queue
        from rq.registry import FailedJobRegistry

        depth = GaugeMetricFamily("community_rq_queue_depth", "Jobs waiting in an RQ queue", labels=["queue"])
        failed = GaugeMetricFamily("community_rq_failed_jobs", "Jobs in an RQ queue's failed registry",
                                   labels=["queue"])
        try:
            for queue in Queue.all(connection=self.app.extensions["redis"]) or [
                    Queue("default", connection=self.app.extensions["redis"])]:
                depth.add_metric([queue.name], queue.count)
                failed.add_metric([queue.name], FailedJobRegistry(queue=queue).count)
        except RedisError:
            return  # Redis away: /readyz says so; the other figures still come
        yield depth
        yield failed


def _partition_defaults():
    """PostgreSQL only: rows in a history table's DEFAULT partition, i.e. of a month
    whose partition nobody made (the partitions job's work)."""
    waiting = default_rows(db.session.connection(), warn=False)
    if waiting:
        gauge = GaugeMetricFamily("community_partition_default_rows",
                                  "Rows in a history table's DEFAULT partition (run the partition job)",
                                  labels=["table"])
        for table, rows in waiting.items():
            gauge.add_metric([table], rows)
        yield gauge


def _count_request(response):
    endpoint = request.endpoint or "unmatched"
    if endpoint == "static" or endpoint in OPS_ENDPOINTS:
        return response
    started = g.get("request_started")
    REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
    if started is not None:
        LATENCY.labels(endpoint).observe(time.perf_counter() - started)
    return response


def init_ops(app: Flask) -> None:
    app.config.setdefault("COMMUNITY_READY_TIMEOUT", 2)
    csrf.exempt(bp)
    limiter.exempt(bp)
    app.register_blueprint(bp)
    app.after_request(_count_request)
