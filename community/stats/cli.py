"""`flask --app wsgi stats rollup [--day YYYY-MM-DD]` and `stats refresh`."""
from datetime import date

import click
from flask.cli import AppGroup

from community.core.extensions import db
from community.core.timeutil import utcnow

stats_cli = AppGroup("stats", help="Figures: daily rollups per unit.")


@stats_cli.command("rollup")
@click.option("--day", "day_text", default=None, help="YYYY-MM-DD (local); all days when omitted")
def rollup_command(day_text):
    """Recompute the daily rollups from the raw records."""
    from .rollup import rebuild_all, rebuild_day

    now = utcnow()
    if day_text:
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            raise click.BadParameter("expected YYYY-MM-DD", param_hint="--day") from None
        rows = rebuild_day(day, now)
        db.session.commit()
        click.echo(f"rolled up {day.isoformat()}: {rows} unit rows")
    else:
        from community.core.progress import progress

        bar = None

        def on_day(number, of):
            nonlocal bar
            bar = bar or progress(total=of, desc="rollups", unit="day")
            bar.update()

        days = rebuild_all(now, on_day=on_day)
        if bar:
            bar.close()
        db.session.commit()
        click.echo(f"rolled up {days} days")


@stats_cli.command("refresh")
def refresh_command():
    """Run the waiting rollup updates here (what the workers do as events happen)."""
    from .updates import drain

    done = drain(utcnow())
    db.session.commit()
    click.echo(f"recomputed {done} pending day updates")
