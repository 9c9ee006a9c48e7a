"""`flask --app wsgi sla …`: the sweep, and the calendar overrides from the shell."""
from datetime import date, datetime

import click
from flask.cli import AppGroup

from community.timeutil import as_utc, utcnow

sla_cli = AppGroup("sla", help="SLA clocks: sweep, policies, working-day overrides.")


def _parse_now(value: str | None) -> datetime:
    if not value:
        return utcnow()
    try:
        # ISO 8601; a time without a zone is read as local business time.
        return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 time: {value}", param_hint="--now") from None


@sla_cli.command("sweep")
@click.option("--now", "now_text", help="Sweep as of this time (ISO 8601), default the clock.")
def sweep_command(now_text):
    """Record due warnings and breaches, auto-escalate, close finished requests."""
    from .sweep import sweep_locked

    counts = sweep_locked(_parse_now(now_text))
    if counts.get("skipped"):
        click.echo("another sweep is running; nothing done")
        return
    click.echo(" ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "nothing due")


@sla_cli.command("policies")
def policies_command():
    """List SLA policies, newest first within each class."""
    from .services import list_policies

    for p in list_policies():
        scope = p.category.code if p.category else "*"
        click.echo(f"{p.sla_class:9} {scope:4} from {p.effective_from.date()} "
                   f"response {p.response_hours}h accept {p.accept_hours}h "
                   f"resolve {p.resolve_amount} {p.resolve_unit}")


@sla_cli.command("override")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--working/--holiday", required=True, help="Make DAY a working day or a holiday.")
@click.option("--note", default="")
@click.option("--remove", is_flag=True, help="Drop the override for DAY instead.")
def override_command(day, working, note, remove):
    """Declare DAY (YYYY-MM-DD) a working day or a holiday, over chinese-calendar."""
    from sqlalchemy import select

    from community.auth.models import Role, User
    from community.extensions import db

    from .services import remove_override, set_override

    # The shell acts as the admin; the first active admin signs the row.
    admin = db.session.scalar(select(User).where(User.role == Role.ADMIN, User.active.is_(True))
                              .order_by(User.id))
    if admin is None:
        raise click.ClickException("no admin account: create one with `users create --role admin`")
    the_day: date = day.date()
    if remove:
        remove_override(admin, the_day)
    else:
        set_override(admin, utcnow(), the_day, working, note)
    db.session.commit()
    click.echo(f"{the_day} {'removed' if remove else ('working day' if working else 'holiday')}")
