"""gunicorn settings for the web processes (deploy/systemd/community-web.service).

    gunicorn -c deploy/gunicorn.conf.py            # reads COMMUNITY_* / GUNICORN_* below

Environment: GUNICORN_BIND (127.0.0.1:8000: nginx in front), GUNICORN_WORKERS (2 per
core + 1), GUNICORN_THREADS (1), GUNICORN_TIMEOUT (60 s), PROMETHEUS_MULTIPROC_DIR (a
folder only these processes write, emptied at start; systemd's RuntimeDirectory gives one).
"""
import multiprocessing
import os
import shutil

wsgi_app = "community:create_app()"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS") or multiprocessing.cpu_count() * 2 + 1)
threads = int(os.environ.get("GUNICORN_THREADS") or 1)
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 60)  # a photo upload on a slow phone
graceful_timeout = 30
keepalive = 5  # behind nginx's keepalive pool
max_requests = 5000  # a worker is replaced now and then: a slow leak never grows far
max_requests_jitter = 500
# The app writes one access line per request with its request id (community.core.logs);
# gunicorn's own would repeat it without the id.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("COMMUNITY_LOG_LEVEL", "info").lower()
# Each worker builds its own app (and its own database and Redis connections): no
# connection is ever shared across a fork.
preload_app = False
forwarded_allow_ips = "127.0.0.1"  # ProxyFix reads X-Forwarded-*; see COMMUNITY_TRUSTED_PROXIES


def on_starting(server):
    """/metrics in multiprocess mode: every worker writes its counts to files in
    PROMETHEUS_MULTIPROC_DIR; the folder must start empty."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder, exist_ok=True)


def post_worker_init(worker):
    """Each worker has built its app: its start-up objects leave the cyclic collector's
    walk, so a full collection no longer pauses a request 150–300 ms (community.core.heap)."""
    from community.core import heap

    heap.settle()


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
