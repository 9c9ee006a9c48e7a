"""The soak's hand-over to wrk (bench/soak.py ↔ bench/soak.lua, issue 30): the data file
is Lua that reads back the same values, the lines each wrk thread writes become the
Python client's results and tokens, and a two-second wrk run against a stand-in server
files, tracks, acts and reads the way soak.py expects (skipped where wrk is not installed)."""
import re
import shutil
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from time_machine import escape_hatch

from bench import soak

# wrk keeps the machine's wall clock (gettimeofday): the slots handed to it, and the waits
# for them, must be on that clock too, not on the suite's moved one (CLOCK_OFFSET_DAYS).
def wall() -> float:
    return escape_hatch.time.time() if escape_hatch.is_travelling() else time.time()


def test_lua_literal_escapes_what_lua_would_misread():
    assert soak.lua_literal({"a": [1, 2.5, True, None]}) == '{["a"] = {1, 2.5, true, nil}}'
    assert soak.lua_literal('say "hi"\\') == r'"say \034hi\034\092"'
    # UTF-8 as decimal byte escapes (Lua 5.1 has no \u): 楼 is e6 a5 bc.
    assert soak.lua_literal("楼") == r'"\230\165\188"'
    with pytest.raises(TypeError):
        soak.lua_literal(object())


def test_without_wrk_the_python_client_sends_the_load_and_says_so(monkeypatch):
    monkeypatch.setattr(soak, "CLIENT", "wrk")
    monkeypatch.setattr(soak.shutil, "which", lambda name: None)
    log = []
    assert soak.choose_client(log) == "python"
    assert "wrk is not installed" in log[0]
    monkeypatch.setattr(soak, "CLIENT", "curl")
    with pytest.raises(SystemExit):
        soak.choose_client([])


SAMPLE = """Q\tfile_form\t100.000\t1\t0
A\tfile_form\t200\t12.500\t100.013
Q\tfile_post\t100.013\t0\t0
A\tfile_post\t503\t4.000\t100.017
Q\tfile_post\t100.017\t0\t0
A\tfile_post\t302\t20.000\t100.037
F\ttok-a
Q\ttrack\t101.000\t1\t1
A\ttrack\t0\t3.000\t101.003
E\ttrack: no answer (connection error)
K
Q\tact\t102.000\t1\t0
"""


def test_thread_lines_become_results_tokens_and_failures():
    run = {"results": [], "filed": set(), "refused": set(), "failures": soak.Counter(),
           "skipped": 0, "late": 0, "tasks": 0}
    soak.read_wrk_lines(SAMPLE.splitlines(keepends=True), 103.0, run)
    assert run["results"][:3] == [("file_form", 200, 0.0125, 100.013), ("file_post", 503, 0.004, 100.017),
                                  ("file_post", 302, 0.02, 100.037)]
    assert run["results"][3][:2] == ("track", 0)
    # The last request never got its answer: no answer, counted and explained.
    assert run["results"][4] == ("act", 0, 1.0, 103.0)
    assert run["filed"] == {"tok-a"} and run["refused"] == set()
    assert run["failures"] == {"track: no answer (connection error)": 1, "act: no answer when wrk stopped": 1}
    assert (run["tasks"], run["late"], run["skipped"]) == (3, 1, 1)


def test_output_joins_the_threads_and_wrk_totals(tmp_path):
    out = tmp_path / "out.json"
    out.write_text('{"duration_s": 2.0, "requests": 7, "bytes": 1, "threads": 2, "errors": {"connect": 0,'
                   ' "read": 0, "write": 0, "status": 1, "timeout": 0}, "latency_ms": {"p50": 1.0,'
                   ' "p95": 2.0, "p99": 3.0, "max": 4.0}}\n')
    Path(f"{out}.1").write_text(SAMPLE)
    Path(f"{out}.2").write_text("Q\tfile_form\t1.0\t1\t0\nA\tfile_form\t200\t1.0\t1.001\n"
                                "Q\tfile_post\t1.001\t0\t0\nA\tfile_post\t400\t1.0\t1.002\nX\ttok-b\n")
    run = soak.read_wrk_output(out, 103.0)
    assert len(run["results"]) == 7 and run["wrk"]["latency_ms"]["p95"] == 2.0
    assert run["filed"] == {"tok-a"} and run["refused"] == {"tok-b"} and run["tasks"] == 4


class StandIn(BaseHTTPRequestHandler):
    """Just enough of the app's pages for the script: a filing form with its two tokens, the
    post's redirect to the tracking page, a queue that links tickets, an action."""

    protocol_version = "HTTP/1.1"
    posted = []  # (path, form) in arrival order
    cookies = []

    def log_message(self, *args):
        pass

    def _answer(self, status, body=b"", location=None):
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.cookies.append(self.headers.get("Cookie", ""))
        if self.path == "/":
            token = f"sub{time.monotonic_ns()}"
            page = (f'<form><input name="csrf_token" type="hidden" value="csrf-x">'
                    f'<input id="submit_token" name="submit_token" type="hidden" value="{token}">')
            return self._answer(200, page.encode())
        if self.path == "/work":
            return self._answer(200, b'<a href="/work/tickets/7">7</a><a href="/work/tickets/9">9</a>')
        return self._answer(200, b"ok")

    def do_POST(self):
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        self.posted.append((self.path, form))
        if self.path == "/":
            return self._answer(302, location=f"/t/{form['submit_token'][0][-8:]}")
        return self._answer(302, location="/work")


@pytest.mark.skipif(not shutil.which("wrk"), reason="wrk is not installed")
def test_a_short_wrk_run_against_a_stand_in(tmp_path, monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    # shutdown() waits for the loop's next poll (0.5 s by default)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    session = {"cookie": "session=abc", "csrf": "tok/+="}
    data = {"seed": 1, "start": wall() + 0.3, "seconds": 2, "rate": 40.0, "connections": 4,
            "max_lag": 5.0, "requests_per_task": 1.25, "mix": [["file", 3], ["act", 1], ["track", 1],
                                                               ["queue", 1], ["dashboard", 1]],
            "sessions": {role: [session] for role in ["13800000001", "grid1", "community1"]}
            | {"anonymous": [{"cookie": "", "csrf": ""}]},
            "filers": ["13800000001"], "dashboards": [{"role": "anonymous", "path": "/public"}],
            "ticket_ids": [], "codes": [],
            "filing_bodies": ["kind=help&text=%E6%A5%BC"], "actions": [{"name": "accept", "body": ""}]}
    (tmp_path / "data.lua").write_text("return " + soak.lua_literal(data))
    out = tmp_path / "out.json"
    env = {"SOAK_WRK_DATA": str(tmp_path / "data.lua"), "SOAK_WRK_OUT": str(out), "PATH": "/usr/bin:/bin"}
    port = server.server_address[1]
    wrk = subprocess.Popen(["wrk", "-t", "4", "-c", "4", "-d", "30s", "-s", str(soak.WRK_SCRIPT),
                            f"http://127.0.0.1:{port}/"], env=env, stdout=subprocess.PIPE, text=True)
    try:
        # The threads stop themselves once their slots are done; then an interrupt ends wrk
        # (not before the slots' end: until its threads run, wrk ignores an interrupt).
        deadline = wall() + 20
        while (wall() < data["start"] + data["seconds"] or soak.wrk_threads(wrk.pid) > 1) \
                and wall() < deadline:
            threading.Event().wait(0.1)
        wrk.send_signal(soak.signal.SIGINT)
        assert wrk.wait(timeout=10) == 0, wrk.stdout.read()
    finally:
        server.shutdown()
    run = soak.read_wrk_output(out, wall())
    kinds = soak.Counter(kind for kind, *_ in run["results"])
    assert {"file_form", "file_post", "act", "track", "queue", "dashboard"} <= set(kinds)
    assert 40 <= len(run["results"]) <= 140  # ~80 at 40/s for 2 s
    assert all(status in (200, 302) for _k, status, _s, _t in run["results"])
    assert not run["failures"] and not run["refused"] and run["skipped"] == 0
    filings = [form for path, form in StandIn.posted if path == "/"]
    # Every post carried the form's own tokens and the fixed fields, and was counted filed.
    assert run["filed"] == {form["submit_token"][0] for form in filings}
    assert all(form["csrf_token"] == ["csrf-x"] and form["text"] == ["楼"] for form in filings)
    actions = [(path, form) for path, form in StandIn.posted if path != "/"]
    assert actions and all(re.fullmatch(r"/work/tickets/(7|9)/accept", p) for p, _f in actions)
    assert all(form["csrf_token"] == ["tok/+="] for _p, form in actions)
    assert "session=abc" in StandIn.cookies and "" in StandIn.cookies
    assert run["wrk"]["threads"] == 4 and run["wrk"]["requests"] == len(run["results"])
