"""A client generated from /api/v1/openapi.json by openapi-python-client works through
its typed models (issue 27 §3): a resident files, follows and rates; the grid worker
accepts and resolves; `me.unit.code` is typed, not a bare dict."""
import contextvars
import importlib
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

CONFIG = "post_hooks: []\nproject_name_override: generated_client\npackage_name_override: generated_client\n"


def isolated(app):
    """Each request in a fresh context, as in production (see tests/conftest.py)."""
    def wsgi(environ, start_response):
        return contextvars.Context().run(app, environ, start_response)
    return wsgi


@pytest.fixture
def generated(client, tmp_path):
    spec = tmp_path / "openapi.json"
    spec.write_bytes(client.get("/api/v1/openapi.json").data)
    (tmp_path / "config.yml").write_text(CONFIG)
    out = tmp_path / "generated_client"
    tool = Path(sys.executable).with_name("openapi-python-client")
    run = subprocess.run([str(tool), "generate", "--path", str(spec), "--output-path", str(out),
                          "--meta", "none", "--config", str(tmp_path / "config.yml")],
                         capture_output=True, text=True, timeout=120)
    assert out.is_dir(), run.stdout + run.stderr
    assert "Unable to" not in run.stdout + run.stderr, run.stdout + run.stderr  # nothing skipped
    sys.path.insert(0, str(tmp_path))
    try:
        yield lambda name: importlib.import_module(f"generated_client.{name}")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.split(".")[0] == "generated_client"]:
            del sys.modules[name]


def test_a_generated_client_files_follows_accepts_resolves_and_rates(app, people, mapped, token,
                                                                     generated, frozen):
    client_module = generated("client")
    models = generated("models")

    def as_(name):
        secret = token(name)["Authorization"].split(" ", 1)[1]
        return client_module.AuthenticatedClient(
            base_url="http://localhost", token=secret,
            httpx_args={"transport": httpx.WSGITransport(app=isolated(app))})

    resident, grid = as_("resident"), as_("grid")
    me = generated("api.account.me").sync(client=grid)
    assert isinstance(me, models.MeOut) and isinstance(me.unit, models.UnitRef)
    assert me.unit.code == "S1C1G1"
    # Every nullable nested object is typed: the object's model, or None.
    mine = generated("api.account.me").sync(client=resident)
    assert mine.unit is None and (mine.home_community is None
                                  or isinstance(mine.home_community, models.UnitRef))
    areas_ = generated("api.reference.list_areas").sync(client=resident, parent="S2C1")
    assert isinstance(areas_[0].centre, models.Point) and areas_[0].centre.lat == 25.005
    detail = generated("api.reference.get_area").sync("S1C1G1", client=resident)
    assert isinstance(detail, models.AreaDetail) and detail.centre is None

    filed = generated("api.requests.file_request").sync(
        client=resident, body=models.FilingIn(kind=models.FilingInKind.HELP, category="ELD", text="楼道灯坏了。",
                                              grid="S1C1G1"), idempotency_key="gen-1")
    assert isinstance(filed, models.TicketDetail), filed
    code = filed.tracking_code
    followed = generated("api.requests.get_request").sync(code, client=resident)
    assert followed.state == "submitted" and followed.grid.code == "S1C1G1"

    accepted = generated("api.workflow.action_accept").sync(code, client=grid)
    assert isinstance(accepted, models.TicketDetail) and accepted.state == "accepted"
    resolved = generated("api.workflow.action_resolve").sync(
        code, client=grid, body=models.ResolveIn(result=models.ResolveInResult.SOLVED, note="已更换灯泡。"))
    assert resolved.state == "resolved"

    rating = generated("api.ratings.post_rating").sync(
        code, client=resident, body=models.RatingIn(solved=models.RatingInSolved.YES,
                                                 level=models.RatingInLevel.SATISFIED))
    assert isinstance(rating, models.RatingOut) and rating.level == "satisfied", rating
    timeline = generated("api.requests.get_timeline").sync(code, client=resident)
    assert [e.action for e in timeline.events][:1] == ["submit"]
    units = [e.unit for e in timeline.events if e.unit is not None]
    assert units and all(isinstance(u, models.UnitRef) and u.code for u in units)

    # A refusal comes back as the typed Error, not an exception or a dict.
    again = generated("api.workflow.action_accept").sync(code, client=grid)
    assert isinstance(again, models.Error) and again.error.code in ("invalid_transition", "conflict")
