"""Progress of long commands (issue 25): a bar on a terminal, a line per step otherwise.

    with progress(total=len(days), desc="rollups", unit="day") as bar:
        for day in days:
            ...
            bar.update()

On a terminal it is tqdm's bar. Elsewhere (a log file, systemd's journal, CI) a line
"rollups: 120/730 day (16%), 41 s" is written at each tenth of the way, at least every
LINE_EVERY seconds while it runs, and at the end, so a log shows it moving without
filling up. Both go to stderr, leaving stdout to the command's result.
"""
import sys
import time

LINE_EVERY = 10.0


class LineProgress:
    def __init__(self, total, desc, unit, stream, clock=time.monotonic):
        self.total, self.desc, self.unit, self.stream, self.clock = total, desc, unit, stream, clock
        self.done = 0
        self.started = self.last_line = clock()
        self.last_tenth = -1

    def update(self, n: int = 1) -> None:
        self.done += n
        now = self.clock()
        tenth = int(self.done * 10 / self.total) if self.total else -1
        if tenth > self.last_tenth or now - self.last_line >= LINE_EVERY:
            self.last_tenth = max(tenth, self.last_tenth)
            self._line(now)

    def _line(self, now) -> None:
        self.last_line = now
        of = f"/{self.total}" if self.total else ""
        share = f" ({self.done * 100 // self.total}%)" if self.total else ""
        unit = f" {self.unit}" if self.unit else ""
        print(f"{self.desc}: {self.done}{of}{unit}{share}, {now - self.started:.0f} s",
              file=self.stream, flush=True)

    def close(self) -> None:
        if self.last_line != self.clock() or self.done == 0:
            self._line(self.clock())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def progress(total: int | None = None, desc: str = "", unit: str = "", stream=None):
    stream = stream or sys.stderr
    if getattr(stream, "isatty", lambda: False)():
        from tqdm import tqdm

        return tqdm(total=total, desc=desc, unit=f" {unit}" if unit else "it", file=stream,
                    dynamic_ncols=True)
    return LineProgress(total, desc, unit, stream)
