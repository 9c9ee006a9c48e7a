"""Progress of long commands (community.core.progress): a line per tenth off a terminal."""
import io

from community.core.progress import LineProgress, progress


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_off_a_terminal_it_writes_a_line_per_tenth_and_one_at_the_end():
    stream, clock = io.StringIO(), Clock()
    with LineProgress(200, "rollups", "day", stream, clock=clock) as bar:
        for _ in range(200):
            clock.now += 0.01
            bar.update()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "rollups: 1/200 day (0%), 0 s"
    assert lines[-1] == "rollups: 200/200 day (100%), 2 s"
    assert len(lines) == 11  # the first step, then each tenth


def test_a_slow_step_still_shows_within_ten_seconds():
    stream, clock = io.StringIO(), Clock()
    bar = LineProgress(1000, "anonymised", "requests", stream, clock=clock)
    bar.update(1)
    clock.now = 11
    bar.update(1)  # 0.2 %: no new tenth, but 11 s since the last line
    assert stream.getvalue().splitlines()[-1] == "anonymised: 2/1000 requests (0%), 11 s"


def test_a_terminal_gets_a_bar():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    bar = progress(total=3, desc="rollups", unit="day", stream=terminal)
    for _ in range(3):
        bar.update()
    bar.close()
    assert "rollups: 100%" in terminal.getvalue() and "3/3" in terminal.getvalue()
    assert isinstance(progress(total=3, stream=io.StringIO()), LineProgress)


def test_the_rollup_command_reports_its_days(app, people, areas, frozen):
    from tests.factories import file_ticket

    file_ticket(people, areas)
    result = app.test_cli_runner().invoke(args=["stats", "rollup"])
    assert result.exit_code == 0 and "rollups: 1/1 day (100%)" in result.output
