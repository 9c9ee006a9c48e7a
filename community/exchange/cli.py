"""flask exchange webhooks add|list|revoke: the admin's subscriptions for a client."""
import click
from flask.cli import AppGroup
from sqlalchemy import select

from community.auth.models import User
from community.areas.services import unit_by_code
from community.core.errors import DomainError
from community.core.extensions import db
from community.open311.models import Open311Client
from community.core.timeutil import utcnow

from . import webhooks
from .models import WebhookSubscription

exchange_cli = AppGroup("exchange", help="Exchange with other systems: webhooks.")
hooks_cli = AppGroup("webhooks", help="Webhook subscriptions of API and Open311 clients.")
exchange_cli.add_command(hooks_cli)


@hooks_cli.command("add")
@click.option("--user", help="An API client: the username (or phone) its tokens belong to")
@click.option("--open311-client", "client_name", help="An Open311 client, by name")
@click.option("--unit", help="A unit's events (API clients that may see it); default: own requests")
@click.option("--events", default=",".join(webhooks.ALL_EVENTS), show_default=True)
@click.argument("url")
def add(user, client_name, unit, events, url):
    """Subscribe; prints the signing secret on the last line (shown once)."""
    person = db.session.scalar(select(User).where((User.username == user) | (User.phone == user))) \
        if user else None
    client = db.session.scalar(select(Open311Client).where(Open311Client.name == client_name)) \
        if client_name else None
    if (user and person is None) or (client_name and client is None):
        raise click.ClickException("no such client")
    place = unit_by_code(unit) if unit else None
    if unit and place is None:
        raise click.ClickException("no such unit")
    try:
        row, secret = webhooks.subscribe(url=url, events=[e.strip() for e in events.split(",") if e.strip()],
                                         now=utcnow(), user=person, open311_client=client, unit=place)
    except DomainError as exc:
        raise click.ClickException(str(exc.message)) from None
    webhooks.forget_cache()
    db.session.commit()
    click.echo(f"subscription {row.id}")
    click.echo(secret)


@hooks_cli.command("list")
def list_():
    for row in db.session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)):
        who = f"user:{row.user_id}" if row.user_id else f"open311:{row.open311_client_id}"
        scope = f"unit:{row.unit_id}" if row.unit_id else "own"
        click.echo(f"{row.id}\t{who}\t{scope}\t{','.join(row.events)}\t{row.url}\t"
                   f"{'revoked' if row.revoked_at else ('paused' if row.paused_at else 'active')}")


@hooks_cli.command("revoke")
@click.argument("subscription_id", type=int)
def revoke(subscription_id):
    try:
        webhooks.revoke(subscription_id, utcnow())
    except DomainError:
        raise click.ClickException("no such subscription") from None
    webhooks.forget_cache()
    db.session.commit()
    click.echo("revoked")
