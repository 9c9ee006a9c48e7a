"""Keep a process running: `python -m workers.supervise [--name NAME] -- COMMAND …`.

Starts COMMAND and starts it again whenever it ends, after 1 s, doubling up to 60 s
while it keeps failing soon after its start (reset once it has run for a minute), with
a log line each time. SIGTERM or SIGINT is passed on to COMMAND and ends the
supervisor when COMMAND has stopped. `make run` keeps its worker and its cron
scheduler alive this way; a deployment uses its own supervisor (systemd's
Restart=always, a container's restart policy) instead.
"""
import argparse
import logging
import signal
import subprocess
import sys
import time

log = logging.getLogger("workers.supervise")
STEADY_SECONDS = 60.0


def supervise(command: list[str], name: str, first: float = 1.0, longest: float = 60.0) -> int:
    stopping = False
    child = None

    def stop(signum, frame):
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    delay = first
    while True:
        started = time.monotonic()
        child = subprocess.Popen(command)
        code = child.wait()
        if stopping:
            return 0
        if time.monotonic() - started >= STEADY_SECONDS:
            delay = first
        log.warning("%s exited with %s; starting it again in %.0f s", name, code, delay)
        end = time.monotonic() + delay
        while not stopping and time.monotonic() < end:
            time.sleep(0.1)
        if stopping:
            return 0
        delay = min(delay * 2, longest)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--name", default="process")
    parser.add_argument("--first-delay", type=float, default=1.0, help=argparse.SUPPRESS)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("a command to run is needed")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    sys.exit(supervise(command, args.name, first=args.first_delay))


if __name__ == "__main__":
    main()
