"""The served processes freeze their start-up heap (community.core.heap): without it a
full collection walked ~250,000 objects and paused a request 150–300 ms (issue 30).
Each check runs in a fresh interpreter: a freeze here would hold the suite's garbage."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _frozen_after(code: str, tmp_path) -> int:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'heap.db'}"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120, check=True)
    return int(out.stdout.strip().splitlines()[-1])


def test_gunicorns_worker_hook_freezes_the_app_it_built(tmp_path):
    code = ("import gc, runpy; from community import create_app; app = create_app(); "
            "conf = runpy.run_path('deploy/gunicorn.conf.py'); before = gc.get_freeze_count(); "
            "conf['post_worker_init'](None); print(gc.get_freeze_count() - before)")
    assert _frozen_after(code, tmp_path) > 10_000


def test_settle_leaves_this_process_alone_until_called(tmp_path):
    # Importing the module freezes nothing (tests and the CLI build apps freely).
    assert _frozen_after("import gc, community.core.heap; print(gc.get_freeze_count())", tmp_path) == 0
