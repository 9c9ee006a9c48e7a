"""The community service platform: 接诉即办 and 好差评."""
from flask import Flask

from community.core.config import load_config


def create_app(overrides: dict | None = None, instance_path: str | None = None) -> Flask:
    import os

    # COMMUNITY_INSTANCE_PATH: where an installed app keeps its instance folder (the SQLite
    # default, a development secret); unset, Flask's default (instance/ in a checkout).
    instance_path = instance_path or os.environ.get("COMMUNITY_INSTANCE_PATH") or None
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    load_config(app, overrides)

    from community.core.logs import configure_from_config, init_request_logging

    configure_from_config(app.config)
    trust_proxies(app)

    from community.core import extensions as ext

    ext.init_db(app)
    ext.migrate.init_app(app, ext.db, directory=str(_migrations_dir()))
    ext.csrf.init_app(app)
    ext.init_redis(app)
    ext.limiter.init_app(app)

    from community.web.i18n import init_i18n
    from .web import init_web

    init_i18n(app)
    init_web(app)
    from .auth.sessions import load_user

    ext.login_manager.user_loader(load_user)  # web/ stands on core/ alone: auth says who signs in
    init_request_logging(app)  # after init_web: its request id comes before any other check

    from community.web.ops import init_ops
    from community.web.static_files import init_static

    init_ops(app)
    init_static(app)

    from .wiring import install

    install(app)  # every listener, in one list
    _register_blueprints(app)
    _register_cli(app)
    return app


def trust_proxies(app: Flask) -> None:
    """Behind COMMUNITY_TRUSTED_PROXIES proxies, the client's address, scheme and host as
    the nearest of them saw them: request.remote_addr (so every per-address limit, the
    sign-in throttle and the access log) is the client's, not the balancer's. With 0
    (the default) X-Forwarded-* headers are ignored: a client cannot choose its address."""
    trusted = int(app.config["COMMUNITY_TRUSTED_PROXIES"] or 0)
    if trusted:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=trusted, x_host=trusted)


def _migrations_dir():
    """migrations/ beside the package in a checkout; community/migrations when installed
    from the wheel (pyproject.toml maps the one onto the other)."""
    from pathlib import Path

    here = Path(__file__).resolve().parent
    checkout = here.parent / "migrations"
    return checkout if (checkout / "env.py").exists() else here / "migrations"


def _register_blueprints(app):
    from .auth.views import bp as auth_bp
    from .tickets.views import bp as tickets_bp
    from .workqueue.views import bp as workqueue_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(tickets_bp)
    from .ratings.views import bp as ratings_bp  # before links_bp: it adds the link's rate step
    from .tickets.linkviews import bp as links_bp

    app.register_blueprint(links_bp)  # after workqueue.views and ratings.views added their steps
    app.register_blueprint(workqueue_bp)

    from .outbox.views import bp as jobs_admin_bp
    from .sla import calendar_views  # noqa: F401  (the calendar's routes on the admin blueprint)
    from .sla.views import bp as sla_admin_bp

    app.register_blueprint(sla_admin_bp)
    from .admin.views import bp as admin_bp

    app.register_blueprint(admin_bp)
    app.register_blueprint(jobs_admin_bp)

    from .api import init_api
    from .open311 import init_open311

    init_api(app)
    init_open311(app)

    from .exchange import init_exchange

    init_exchange(app)

    from .projects import init_projects
    from .residency.views import bp as residency_bp

    init_projects(app)
    app.register_blueprint(residency_bp)

    from .surveys import init_surveys

    init_surveys(app)

    from .sms.views import init_sms

    init_sms(app)

    from .privacy.views import bp as privacy_bp

    app.register_blueprint(privacy_bp)

    from .public.views import bp as public_bp
    from .stats.views import bp as stats_bp

    app.register_blueprint(ratings_bp)
    app.register_blueprint(stats_bp)
    app.register_blueprint(public_bp)

    from .hotspots import init_hotspots

    init_hotspots(app)

    from .buildings.views import bp as buildings_bp
    from .providers.views import bp as providers_bp

    app.register_blueprint(buildings_bp)
    app.register_blueprint(providers_bp)

    from community.core.messaging import dev_messages_enabled

    if dev_messages_enabled(app.config):
        from community.web.devpages import bp as dev_bp

        app.register_blueprint(dev_bp)


def _register_cli(app):
    from .areas.cli import areas_cli
    from .auth.cli import users_cli
    from community.demo.seed import seed_demo_command

    app.cli.add_command(areas_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(seed_demo_command)

    from .outbox.cli import outbox_cli
    from .sla.cli import calendar_cli, sla_cli

    app.cli.add_command(sla_cli)
    app.cli.add_command(calendar_cli)
    app.cli.add_command(outbox_cli)

    from .stats.cli import stats_cli

    app.cli.add_command(stats_cli)

    from .privacy.cli import privacy_cli

    app.cli.add_command(privacy_cli)

    from community.core.backup import backup_cli

    app.cli.add_command(backup_cli)

    from .hotspots.cli import hotspots_cli

    app.cli.add_command(hotspots_cli)
