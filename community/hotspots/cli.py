"""`flask --app wsgi hotspots find [--now …]`: the daily hotspot job by hand."""
import click
from flask.cli import AppGroup

from community.core.extensions import db
from community.sla.cli import _parse_now

hotspots_cli = AppGroup("hotspots", help="Recurring requests (hotspots) and proactive work.")


@hotspots_cli.command("find")
@click.option("--now", "now_text", help="Run as of this time (ISO 8601), default the clock.")
def find_command(now_text):
    """Find the recurring requests of the last COMMUNITY_HOTSPOT_DAYS and keep the
    hotspots in step (what the daily job does); a second run changes nothing."""
    from .detect import find_hotspots

    result = find_hotspots(_parse_now(now_text))
    db.session.commit()
    click.echo(" ".join(f"{key}={value}" for key, value in result.items()))
