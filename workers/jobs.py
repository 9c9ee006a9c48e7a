"""Thin jobs: they take ids and plain values, call a service in a fresh app
context, commit once, and never hold ORM objects between runs."""
from contextlib import contextmanager

from community.extensions import db
from community.timeutil import utcnow

_app = None


def use_app(app) -> None:
    """The worker process hands its app over once at start."""
    global _app
    _app = app


@contextmanager
def job_context():
    global _app
    if _app is None:
        from community import create_app

        _app = create_app()
    with _app.app_context():
        try:
            yield
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        finally:
            db.session.remove()


def deliver_notifications_job() -> int:
    from community.workqueue.notifications import deliver_pending

    with job_context():
        return deliver_pending(utcnow())
