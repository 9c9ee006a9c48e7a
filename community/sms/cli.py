"""`flask --app wsgi sms …`: opt-outs (退订), the templates to file, today's count."""
import click
from flask.cli import AppGroup

from community.core.extensions import db
from community.core.timeutil import utcnow

sms_cli = AppGroup("sms", help="Text messages: templates, opt-outs, budget.")


@sms_cli.command("opt-out")
@click.argument("phone")
def opt_out_command(phone):
    """The number gets no more notices (codes it asks for still go)."""
    from .services import normalize_phone, opt_out

    opt_out(normalize_phone(phone), utcnow())
    db.session.commit()
    click.echo("opted out")


@sms_cli.command("opt-in")
@click.argument("phone")
def opt_in_command(phone):
    from .services import normalize_phone, opt_in

    opt_in(normalize_phone(phone))
    db.session.commit()
    click.echo("opted in")


@sms_cli.command("templates")
def templates_command():
    """The templates to file with the gateway, as the docs list them."""
    from flask import current_app

    from .templates import TEMPLATES, render

    site = current_app.config.get("COMMUNITY_PUBLIC_URL") or "https://example.gov.cn"
    for template in TEMPLATES.values():
        raw = render(template.code, {name: "${%s}" % name for name in template.params}, "zh", site)
        click.echo(f"{template.code}\t{template.kind}{' link' if template.link else ''}\t{raw}")


@sms_cli.command("status")
def status_command():
    from .limits import spent_today

    click.echo(f"texts today: {spent_today(utcnow())}")
