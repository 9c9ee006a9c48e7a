"""`flask --app wsgi privacy retention [--dry-run] [--now …]`: the retention job by hand."""
import click
from flask.cli import AppGroup

from community.sla.cli import _parse_now

privacy_cli = AppGroup("privacy", help="Personal data: retention (PIPL).")


@privacy_cli.command("retention")
@click.option("--dry-run", is_flag=True, help="Count what is due; change nothing.")
@click.option("--now", "now_text", help="Run as of this time (ISO 8601), default the clock.")
@click.option("--years", type=click.IntRange(min=1), help="Override COMMUNITY_RETENTION_YEARS.")
@click.option("--batch", type=click.IntRange(min=1, max=100_000),
              help="Requests per transaction (COMMUNITY_RETENTION_BATCH).")
def retention_command(dry_run, now_text, years, batch):
    """Anonymise the personal data of requests closed more than the retention period ago,
    in batches each committed on its own; a second run changes nothing."""
    from .retention import run_retention

    from community.core.progress import progress

    bar = None

    def on_batch(rows, due):
        nonlocal bar
        bar = bar or progress(total=due, desc="anonymised", unit="requests")
        bar.update(rows)

    run = run_retention(_parse_now(now_text), dry_run=dry_run, years=years, batch=batch, on_batch=on_batch)
    if bar:
        bar.close()
    click.echo(f"closed before {run.cutoff:%Y-%m-%d %H:%M} UTC and not anonymised: {run.due}")
    if dry_run:
        click.echo("dry run: nothing changed")
        return
    click.echo(f"anonymised {run.anonymised} in {run.batches} batches, {run.seconds:.1f} s "
               f"({run.rows_per_second:.0f} rows/s), longest batch {run.longest_batch * 1000:.0f} ms")
