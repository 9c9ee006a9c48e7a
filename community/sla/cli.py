"""`flask --app wsgi sla …`: the sweep, and the calendar overrides from the shell."""
from datetime import date, datetime

import click
from flask.cli import AppGroup

from community.core.timeutil import as_utc, utcnow

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
    from community.core.extensions import db

    from .services import remove_override, set_override

    # The shell acts as the admin; the first active admin signs the row.
    admin = db.session.scalar(select(User).where(User.role == Role.ADMIN, User.active.is_(True))
                              .order_by(User.id))
    if admin is None:
        raise click.ClickException("no admin account: create one with `users create --role admin`")
    from .yearbook import on_override_changed

    the_day: date = day.date()
    if remove:
        remove_override(admin, the_day)
    else:
        set_override(admin, utcnow(), the_day, working, note)
    counts = on_override_changed(the_day, admin, utcnow())
    db.session.commit()
    click.echo(f"{the_day} {'removed' if remove else ('working day' if working else 'holiday')}; "
               f"recomputed {counts['tickets']} requests")


calendar_cli = AppGroup("calendar", help="The working-day calendar: years loaded, a year imported.")


def _acting_admin():
    """The shell acts as the admin; the first active admin signs what it changes."""
    from sqlalchemy import select

    from community.auth.models import Role, User
    from community.core.extensions import db

    return db.session.scalar(select(User).where(User.role == Role.ADMIN, User.active.is_(True))
                             .order_by(User.id))


@calendar_cli.command("import")
@click.argument("source", type=click.File("r", encoding="utf-8-sig"))
@click.option("--year", type=int, default=None, help="The year, when the text does not name it.")
@click.option("--dry-run", is_flag=True, help="Print what was read; change nothing.")
def calendar_import_command(source, year, dry_run):
    """Load a year's holidays and adjusted working days from FILE (or - for stdin): the
    State Council's notice as text, or a YAML/CSV of dates. Open deadlines that count
    the year's days are recomputed."""
    from community.core.errors import DomainError
    from community.core.extensions import db

    from . import notice, yearbook

    text = source.read()
    try:
        schedule = notice.parse(text, year, getattr(source, "name", "") or "")
    except DomainError as exc:
        raise click.ClickException(str(exc.message)) from None
    click.echo(f"{schedule.year}: {schedule.title or '(no title)'}")
    for name, first, last in schedule.periods():
        span = first.isoformat() if first == last else f"{first.isoformat()} .. {last.isoformat()}"
        click.echo(f"  holiday  {span}  {(last - first).days + 1} day(s)  {name}")
    for day, name in sorted(schedule.working.items()):
        click.echo(f"  working  {day.isoformat()}  {name}")
    click.echo(f"  {len(schedule.holidays)} holiday days, {len(schedule.working)} adjusted working days, "
               f"{len(schedule.notes)} lines of prose not read for dates")
    if dry_run:
        click.echo("dry run: nothing changed")
        return
    admin = _acting_admin()
    if admin is None:
        raise click.ClickException("no admin account: create one with `users create --role admin`")
    loaded = yearbook.load_schedule(schedule, admin, utcnow(), source="import", text=text)
    db.session.commit()
    counts = loaded.recomputed
    click.echo(f"{'replaced' if loaded.replaced else 'loaded'} {loaded.year}; recomputed "
               f"{counts['tickets']} requests ({counts['moved']} moved), {counts['cases']} cases, "
               f"{counts['assist_tasks']} assist tasks; {counts['breaches_withdrawn']} breaches withdrawn")


@calendar_cli.command("status")
def calendar_status_command():
    """Years loaded (and where from), and the years missing."""
    from . import yearbook

    now = utcnow()
    rows = yearbook.years()
    for y in rows:
        who = y.loaded_by or "system"
        click.echo(f"{y.year}  {y.source:16} {y.holidays:3} holidays {y.working_days:2} working  "
                   f"{y.loaded_at:%Y-%m-%d} by {who}  {y.title}")
    covered = {y.year for y in rows}
    this_year = now.year
    missing = [year for year in range(this_year, this_year + 2) if year not in covered]
    due = yearbook.missing(now)
    for year in missing:
        click.echo(f"{year}  MISSING{'  (deadlines there are provisional; admins are warned daily)' if year in due else ''}")
    if not missing:
        click.echo("no year missing")


@calendar_cli.command("check")
def calendar_check_command():
    """Run the daily check now: load years the package knows, warn admins of missing years."""
    from community.core.extensions import db

    from . import yearbook

    result = yearbook.check_calendar(utcnow())
    db.session.commit()
    click.echo(f"seeded {result['seeded'] or 'none'}; missing {result['missing'] or 'none'}; "
               f"admins told {result['told']}")
