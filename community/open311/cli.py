"""`flask open311 keys create|list|revoke`: api_keys for Open311 clients."""
import click
from flask.cli import AppGroup

from community.core.extensions import db
from community.core.timeutil import utcnow

from . import keys

open311_cli = AppGroup("open311", help="Open311 GeoReport v2.")
keys_cli = AppGroup("keys", help="Client api_keys (only their hashes are stored).")
open311_cli.add_command(keys_cli)


@keys_cli.command("create")
@click.option("--name", required=True, help="the client, e.g. the 12345 hotline or an app")
@click.option("--contact", default="", help="who runs the client")
def create_command(name, contact):
    """Issue an api_key; prints it (shown once) on the last line."""
    try:
        client, key = keys.create_client(name, utcnow(), contact=contact)
    except Exception as exc:  # a ValidationFailed carries a readable message
        db.session.rollback()
        raise click.ClickException(str(getattr(exc, "message", exc))) from None
    db.session.commit()
    click.echo(f"created Open311 client {client.name} ({client.prefix}…)")
    click.echo(key)


@keys_cli.command("list")
def list_command():
    for client in keys.all_clients():
        state = "revoked" if client.revoked_at else "active"
        used = client.last_used_at.isoformat() if client.last_used_at else "never"
        click.echo(f"{client.name}\t{client.prefix}…\t{state}\tlast used {used}")


@keys_cli.command("revoke")
@click.option("--name", required=True)
def revoke_command(name):
    """Revoke a client's api_key at once."""
    try:
        client = keys.client_by_name(name)
    except Exception as exc:
        raise click.ClickException(str(getattr(exc, "message", exc))) from None
    keys.revoke(client, utcnow())
    db.session.commit()
    click.echo(f"revoked {name}")
