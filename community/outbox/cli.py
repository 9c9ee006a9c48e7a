"""`flask --app wsgi outbox …`: relay waiting rows to RQ, or look at them."""
import click
from flask.cli import AppGroup

from community.core.extensions import db
from community.core.timeutil import utcnow

outbox_cli = AppGroup("outbox", help="Background work promised by transactions.")


@outbox_cli.command("relay")
def relay_command():
    """Enqueue every waiting outbox row to RQ (Redis down: they keep waiting)."""
    from .services import relay_outbox, waiting_count

    total = 0
    while True:
        sent = relay_outbox(utcnow())
        db.session.commit()
        total += sent
        if sent < 500:
            break
    click.echo(f"enqueued {total}, not done {waiting_count()}")


@outbox_cli.command("status")
def status_command():
    """Rows not done yet, and the latest errors."""
    from .services import failed_rows, waiting_count

    click.echo(f"not done: {waiting_count()}")
    for row in failed_rows(20):
        click.echo(f"#{row.id} {row.kind} {row.key} attempts={row.attempts}: {row.last_error[:120]}")
