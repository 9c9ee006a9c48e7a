"""/admin/jobs: background work that failed (RQ's failed registry and outbox rows)."""
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from redis.exceptions import RedisError
from rq import Queue
from rq.registry import FailedJobRegistry

from community.core.extensions import db
from community.auth.decorators import admin_required

from . import services

bp = Blueprint("jobs_admin", __name__, url_prefix="/admin")


def _failed_jobs(limit=100):
    """RQ's failed jobs, or None when Redis cannot be reached."""
    try:
        queue = Queue("default", connection=current_app.extensions["redis"])
        registry = FailedJobRegistry(queue=queue)
        jobs = queue.job_class.fetch_many(registry.get_job_ids(0, limit - 1),
                                          connection=queue.connection)
        return [job for job in jobs if job is not None]
    except RedisError:
        return None


@bp.get("/jobs")
@admin_required
def jobs():
    return render_template("outbox/jobs.html", failed=_failed_jobs(),
                           rows=services.failed_rows(), waiting=services.waiting_count())


@bp.post("/jobs/outbox/<int:row_id>/retry")
@admin_required
def retry(row_id):
    services.retry_row(row_id)
    db.session.commit()
    flash(_("已重新排队，下一次转发时执行。"))
    return redirect(url_for("jobs_admin.jobs"))
