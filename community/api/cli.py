"""`flask api tokens create|list|revoke`: API tokens from the command line."""
import click
from flask.cli import AppGroup

from community.core.extensions import db
from community.core.timeutil import utcnow

from . import tokens

api_cli = AppGroup("api", help="The JSON API.")
tokens_cli = AppGroup("tokens", help="API tokens (only their hashes are stored).")
api_cli.add_command(tokens_cli)


def _user(login):
    user = tokens.user_by_login(login)
    if user is None:
        raise click.BadParameter(f"no user {login!r}", param_hint="--user")
    return user


@tokens_cli.command("create")
@click.option("--user", "login", required=True, help="username, or a resident's phone")
@click.option("--name", default="", help="what the token is for")
@click.option("--read-only", is_flag=True, help="GET requests only")
@click.option("--days", type=int, default=None, help="lifetime in days; 0: no expiry")
def create_command(login, name, read_only, days):
    """Create a token; prints the secret (shown once) on the last line."""
    user = _user(login)
    try:
        token, secret = tokens.create_token(user, utcnow(), name=name, can_write=not read_only,
                                            days=days)
    except Exception as exc:  # a ValidationFailed carries a readable message
        db.session.rollback()
        raise click.ClickException(str(getattr(exc, "message", exc))) from None
    db.session.commit()
    expiry = token.expires_at.isoformat() if token.expires_at else "never"
    click.echo(f"created token {token.id} ({token.prefix}…) for {login}, expires {expiry}")
    click.echo(secret)


@tokens_cli.command("list")
@click.option("--user", "login", required=True)
def list_command(login):
    """A user's tokens: id, prefix, name, state."""
    now = utcnow()
    for token in tokens.tokens_of(_user(login)):
        state = "revoked" if token.revoked_at else ("active" if token.usable(now) else "expired")
        mode = "rw" if token.can_write else "ro"
        click.echo(f"{token.id}\t{token.prefix}…\t{mode}\t{state}\t{token.name}")


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
def revoke_command(token_id):
    """Revoke a token by id (see `list`)."""
    from .models import ApiToken

    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise click.ClickException(f"no token {token_id}")
    tokens.revoke(token, utcnow())
    db.session.commit()
    click.echo(f"revoked token {token_id}")
