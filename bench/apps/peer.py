"""The peer: django-helpdesk 2.6.1 on the same machine, PostgreSQL and gunicorn.

Installed by the bench into bench/.helpdesk-venv (gitignored); its Django
project is written to a temporary directory each run (bench/apps/peer_helpdesk.py),
on a fresh database bench_helpdesk. Measured: tickets created per second
through its REST API (POST /api/tickets/, HTTP Basic as its API expects), and
the time per ticket of its `escalate_tickets` command over overdue tickets.
"""
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import requests

from bench.figures import measured
from bench.httpbench import ROOT, Server

VENV = ROOT / "bench" / ".helpdesk-venv"
PY = VENV / "bin" / "python"
SCRIPT = Path(__file__).with_name("peer_helpdesk.py")  # beside this file, in bench/apps/
DB = "bench_helpdesk"
PACKAGES = ["django-helpdesk[teams]==2.6.1", "psycopg[binary]==3.3.9", "gunicorn==27.0.1"]


def ensure_venv(log) -> None:
    if (VENV / "bin" / "gunicorn").exists() and _has_helpdesk():
        return
    log("installing django-helpdesk 2.6.1 into bench/.helpdesk-venv")
    if not PY.exists():
        # The interpreter our own venv was made from (a venv's python would nest venvs).
        base = getattr(sys, "_base_executable", None) or "python3"
        subprocess.run([base, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(PY), "-m", "pip", "install", "-q", "--disable-pip-version-check"] + PACKAGES,
                   check=True)


def _has_helpdesk() -> bool:
    return subprocess.run([str(PY), "-c", "import helpdesk"], capture_output=True).returncode == 0


def _script(workdir: Path, *args) -> dict:
    done = subprocess.run([str(PY), str(SCRIPT), str(workdir), *args], capture_output=True, text=True,
                          env={"HD_DB": DB, "PATH": "/usr/bin:/bin"})
    if done.returncode:
        raise RuntimeError(f"peer_helpdesk {args[0]} failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(seconds: float, clients: int, workers: int, escalate: int, log) -> dict:
    ensure_venv(log)
    subprocess.run(["dropdb", "-h", "127.0.0.1", "--if-exists", DB], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", DB], check=True)
    workdir = Path(tempfile.mkdtemp(prefix="hdbench-"))
    try:
        queue = _script(workdir, "setup")["queue"]
        env = {"HD_DB": DB, "DJANGO_SETTINGS_MODULE": "hdbench.settings", "PYTHONPATH": str(workdir)}
        with Server("hdbench.wsgi:application", env, workers, gunicorn=str(VENV / "bin" / "gunicorn"),
                    cwd=workdir) as server:
            def make(i):
                session = requests.Session()
                session.auth = ("bench", "bench-password")
                body = {"queue": queue, "title": "楼道灯坏了", "priority": 3,
                        "description": "楼道灯坏了，晚上看不见，请尽快维修。",
                        "submitter_email": f"resident{i}@example.com"}
                return lambda: session.post(f"{server.url}/api/tickets/", json=body,
                                            timeout=60).status_code == 201
            create = measured(server, make, clients, seconds)
            create["rss_mb"] = server.worker_rss_mb()
        log(f"helpdesk create: {create}")
        escalation = _script(workdir, "escalate", str(escalate))
        log(f"helpdesk escalate: {escalation}")
        return {"create": create, "escalate": escalation}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
