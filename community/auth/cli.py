import secrets

import click
from flask.cli import AppGroup

from community.areas.services import unit_by_code
from community.core.extensions import db
from community.core.timeutil import utcnow

from .services import create_staff

users_cli = AppGroup("users", help="Staff accounts.")


@users_cli.command("create")
@click.option("--role", required=True,
              type=click.Choice(["grid", "community", "street", "county", "department", "admin"]))
@click.option("--unit", "unit_code", help="code of the unit the account works for")
@click.option("--username", required=True)
@click.option("--name", default="")
@click.option("--phone", default=None)
def create_command(role, unit_code, username, name, phone):
    """Create a staff account; prints the new password on the last line."""
    unit = unit_by_code(unit_code) if unit_code else None
    if unit_code and unit is None:
        raise click.BadParameter(f"no unit with code {unit_code!r}", param_hint="--unit")
    password = secrets.token_urlsafe(12)
    try:
        create_staff(username, role, unit, password, utcnow(), name=name, phone=phone)
    except Exception as exc:  # a ValidationFailed carries a readable message
        db.session.rollback()
        raise click.ClickException(str(getattr(exc, "message", exc))) from None
    db.session.commit()
    click.echo(f"created {role} {username}" + (f" for {unit.name}" if unit else ""))
    click.echo(password)
