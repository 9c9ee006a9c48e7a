"""Configuration from the environment.

DATABASE_URL, REDIS_URL and SECRET_KEY are read as they are; every other
setting can be overridden by an environment variable of the same name that
starts with ``COMMUNITY_`` (values are parsed as JSON when they look like it,
so ``COMMUNITY_LOGIN_MAX_FAILURES=5`` gives an int).
"""
import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import make_url


def _parse(value: str):
    try:
        return json.loads(value)
    except ValueError:
        return value


class Config:
    SECRET_KEY = None
    SQLALCHEMY_DATABASE_URI = None
    # No pool_pre_ping: on PostgreSQL the checkout's BEGIN finds dead connections
    # (community/core/dbpool.py) without the ping's extra round trip.
    SQLALCHEMY_ENGINE_OPTIONS = {}
    REDIS_URL = None
    WTF_CSRF_TIME_LIMIT = None  # a form left open on a phone for hours still submits
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024  # 3 photos of 5 MB plus the form
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True  # Redis down: still throttle, per process
    # A Redis that does not answer must not hold a page up before the fallback starts.
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 2}

    # Product defaults (DOMAIN.md); each is overridable by COMMUNITY_<NAME>.
    COMMUNITY_TIMEZONE = "Asia/Shanghai"
    COMMUNITY_LANGUAGES = ["zh", "en"]
    COMMUNITY_UPLOAD_DIR = None  # default: instance/uploads
    COMMUNITY_PHOTO_MAX_BYTES = 5 * 1024 * 1024
    COMMUNITY_PHOTO_MAX_COUNT = 3
    COMMUNITY_PHOTO_MAX_SIDE = 2560  # re-encoded photos are scaled down to this
    # Decoding budget of one photo (issue 21): a PNG or WebP with more pixels is refused
    # from its header; a JPEG is decoded at reduced scale to fit it (draft mode).
    COMMUNITY_PHOTO_MAX_PIXELS = 16_000_000
    # Photos posted on the anonymous tracking page (add information), per address; each photo counts.
    COMMUNITY_ANON_PHOTO_RATE = "12 per hour"
    COMMUNITY_TEXT_MAX = 4000
    COMMUNITY_LOGIN_MAX_FAILURES = 5   # failures of one login before waits start (no lock)
    COMMUNITY_LOGIN_LOCK_MINUTES = 15  # the longest wait they grow to
    # Argon2's cost for passwords and one-time codes: argon2-cffi's RFC 9106 low-memory
    # profile (64 MiB, 3 passes, 4 lanes). A sign-in with a hash of another cost rehashes it.
    COMMUNITY_ARGON2_PARAMETERS = {"time_cost": 3, "memory_cost": 65536, "parallelism": 4}
    # PIPL: personal data of requests closed this long ago is anonymised (community.privacy).
    COMMUNITY_RETENTION_YEARS = 3
    COMMUNITY_RETENTION_BATCH = 1000       # requests per transaction of the retention job
    # PostgreSQL: months of history partitions made ahead by the daily job (core/partitions.py).
    COMMUNITY_PARTITION_MONTHS_AHEAD = 3
    COMMUNITY_STAFF_SESSION_HOURS = 12     # a staff sign-in lasts a shift
    COMMUNITY_RESIDENT_SESSION_DAYS = 30   # a resident stays signed in on their phone
    COMMUNITY_LOGIN_RATE = "10 per minute"
    COMMUNITY_OTP_TTL_MINUTES = 10
    COMMUNITY_OTP_MAX_ATTEMPTS = 5
    COMMUNITY_OTP_RESEND_SECONDS = 60
    COMMUNITY_SENDER = "community.core.messaging:LogSender"  # or community.sms.aliyun:AliyunSender, …tencent:TencentSender
    # Text messages (docs/messaging.md). The gateway's keys, signature (签名) and the ids it
    # gave our templates: "VERIFY_CODE=SMS_123,TICKET_STEP=SMS_456,…" (or a dict).
    COMMUNITY_SMS_ACCESS_KEY_ID = ""
    COMMUNITY_SMS_ACCESS_KEY_SECRET = ""
    COMMUNITY_SMS_SIGN_NAME = ""
    COMMUNITY_SMS_TEMPLATE_IDS = ""
    COMMUNITY_SMS_APP_ID = ""              # Tencent Cloud's SmsSdkAppId
    COMMUNITY_SMS_REGION = ""              # Tencent Cloud: ap-guangzhou unless set
    COMMUNITY_SMS_ENDPOINT = ""            # the gateway's own host unless set
    COMMUNITY_SMS_PROTOCOL = "https"
    COMMUNITY_SMS_RECEIPT_TOKEN = ""       # the secret in the receipt callback's URL; unset: no callback
    COMMUNITY_SMS_PHONE_CAPS = "3/minute;10/hour;20/day"  # texts to one number
    COMMUNITY_SMS_IP_CAPS = "5/hour;20/day"               # codes asked for from one IP
    COMMUNITY_SMS_DAILY_BUDGET = 0         # texts a day; past it notices wait (0: no budget)
    COMMUNITY_SMS_UNREACHED_HOURS = 24     # a text still not through after this: call the resident
    COMMUNITY_TRACKING_RATE = "30 per minute"
    COMMUNITY_FILING_RATE = "20 per hour"
    COMMUNITY_PASSWORD_MIN = 8
    COMMUNITY_REVEAL_AUDIT = True
    COMMUNITY_RETURN_WINDOW_HOURS = 2  # 退单 only soon after arrival at the unit
    COMMUNITY_REOPEN_WINDOW_DAYS = 7
    COMMUNITY_MAX_EXTENSIONS = 1
    COMMUNITY_MAX_EXTENSION_DAYS = 15
    COMMUNITY_ASSIST_WORKING_DAYS = 3  # a summoned department's own clock
    COMMUNITY_ASSIST_REPORT_HOURS = 24  # 报到: a summoned department acknowledges within this
    COMMUNITY_PAGE_SIZE = 30
    COMMUNITY_CITY_COUNTS_SECONDS = 30  # the whole city's queue figures (admin) are shared this long
    COMMUNITY_DASHBOARD_GRID_ROWS = 10  # grids in the table beside a dashboard's map; the rest a link away
    # SLA clocks (issue 5): the lengths are policies in the database (admin, /admin/sla).
    COMMUNITY_SLA_WARN_RATIO = 0.75        # warn when this share of a clock has run
    # From this many days before a year with no holiday schedule loaded starts, admins are
    # told every day (its deadlines are provisional whenever they fall; DOMAIN.md "Clocks").
    COMMUNITY_CALENDAR_WARN_DAYS = 60
    COMMUNITY_SLA_SWEEP_SECONDS = 60       # how often the scheduler (rq cron) enqueues the SLA sweep
    COMMUNITY_SLA_SWEEP_THREADS = 2        # PostgreSQL: connections the sweep writes with at once
    COMMUNITY_OUTBOX_RELAY_SECONDS = 30    # how often the scheduler (rq cron) enqueues the outbox relay

    # JSON API (/api/v1/) and its OpenAPI document, generated by flask-smorest.
    API_TITLE = "Community service API"
    API_VERSION = "1"
    OPENAPI_VERSION = "3.1.0"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    COMMUNITY_API_RATE = "120 per minute"      # per token (or per signed-in user)
    COMMUNITY_API_IP_RATE = "600 per minute"   # per address, whatever the credentials
    COMMUNITY_API_FILING_RATE = "60 per hour"  # POST /api/v1/requests, per token or user
    COMMUNITY_API_TOKEN_DAYS = 365             # a new token's lifetime; 0: no expiry
    # Open311 GeoReport v2 (/open311/v2/).
    COMMUNITY_OPEN311_POST_RATE = "30 per minute"   # per client api_key
    COMMUNITY_OPEN311_READ_RATE = "120 per minute"  # per address
    COMMUNITY_OPEN311_DEFAULT_DAYS = 90
    COMMUNITY_OPEN311_MAX_ROWS = 1000      # ids per look-up, and the largest page_size
    COMMUNITY_OPEN311_PAGE_SIZE = 50       # a search's rows without page_size
    COMMUNITY_OPEN311_MAX_DEPTH = 10000    # page × page_size: deeper, narrow the dates
    COMMUNITY_OPEN311_JURISDICTION = ""  # set to require this jurisdiction_id
    # Upstream platforms (hotline, command centre) that send orders (docs/exchange.md):
    # {"name": {"secret": …, "callback_url": …, "categories": {their code: our code},
    #           "fallback_category": our code for an unknown one, "label": …}}, as JSON.
    COMMUNITY_UPSTREAMS = {}
    COMMUNITY_EXCHANGE_TIMEOUT = 10  # seconds for one delivery to another system
    COMMUNITY_OPEN311_CONTACT = ""       # shown in discovery
    COMMUNITY_OPEN311_KEY_SERVICE = ""   # how a client gets an api_key, shown in discovery
    # A point with no grid polygon around it goes to the nearest grid centre this close.
    COMMUNITY_GRID_CENTRE_MAX_METRES = 1000
    # Maps: a tile layer under the boundaries only when a URL is set (a city's own tile
    # server, or 天地图 with its key: https://t0.tianditu.gov.cn/vec_w/wmts?...&tk=KEY);
    # by default none, the boundaries on a blank background and no request leaves the site.
    COMMUNITY_MAP_TILE_URL = ""
    COMMUNITY_MAP_TILE_ATTRIBUTION = ""
    COMMUNITY_MAP_MAX_POINTS = 2000  # a dashboard's point layer: the period's latest requests
    # 好差评 and figures (DOMAIN.md "好差评", "Figures"); formulas in community/stats/formulas.py.
    COMMUNITY_RATING_WINDOW_DAYS = 7
    # The site's address for links in text messages (the rating link); default: the
    # address the request that caused the message came in on.
    COMMUNITY_PUBLIC_URL = ""
    COMMUNITY_REVIEW_START_WORKING_DAYS = 1   # 差评 case: callback within
    COMMUNITY_REVIEW_CLOSE_WORKING_DAYS = 5   # 差评 case: closed within
    COMMUNITY_SATISFACTION_BASIC_WEIGHT = 0.6  # k for 基本满意 in 满意率
    COMMUNITY_PARTLY_SOLVED_WEIGHT = 0.5       # "partly solved" in 解决率
    COMMUNITY_COMPOSITE_WEIGHTS = {"response": 0.30, "solve": 0.35, "satisfaction": 0.35}
    COMMUNITY_RANKING_MIN_RATINGS = 30         # valid ratings before a unit is ranked
    COMMUNITY_SURVEY_MIN_RESPONSES = 30        # a survey's default: counted answers before a community is covered
    COMMUNITY_SURVEY_LINK_RATE = "5 per hour"  # survey links texted, per address
    COMMUNITY_EXPORT_MAX_ROWS = 50000
    # Hotspots (docs/hotspots.md): N or more requests of one category in M days, in one
    # grid or within the distance of each other; a rectified 差评's category again where
    # it was, this many times. Proactive tasks count repeats this long after they are done.
    COMMUNITY_HOTSPOT_MIN_REQUESTS = 3
    COMMUNITY_HOTSPOT_DAYS = 30
    COMMUNITY_HOTSPOT_METRES = 200
    COMMUNITY_HOTSPOT_REPEAT_MIN = 1
    COMMUNITY_HOTSPOT_AFTER_DAYS = 30
    # 每月一题: proposals from this many months back, this many of each kind.
    COMMUNITY_TOPIC_MONTHS = 3
    COMMUNITY_TOPIC_PROPOSALS = 5
    # Service providers' credit (community/providers/credit.py): the window their figures
    # and credit score cover, and the score's weights (a published, versioned formula).
    COMMUNITY_PROVIDER_WINDOW_DAYS = 365
    COMMUNITY_PROVIDER_CREDIT_WEIGHTS = {"base": 100, "upheld_bad": 5, "late_rectification": 3,
                                         "commendation": 2}
    # 民生小实事 (community.projects): the rules of a community whose street set none.
    COMMUNITY_PROJECT_SUPPORT_MIN = 10       # residents voting 支持 before approval
    COMMUNITY_PROJECT_OPPOSE_BLOCK_SHARE = 0.5  # 反对 at this share of the votes cast blocks
    COMMUNITY_PROJECT_QUORUM = 15            # residents voting (支持 + 反对) before approval
    COMMUNITY_PROJECT_JUDGING_DAYS = 14      # 成效评判 lasts at least this many days
    COMMUNITY_PROJECT_JUDGING_TURNOUT = None  # ratings before judging may close; None: the quorum
    COMMUNITY_PROJECT_SATISFACTION_LINE = 0.8  # a 满意率 under it opens a 整改 case
    COMMUNITY_PROJECT_RECTIFY_WORKING_DAYS = 20  # the office reports its 整改 within
    COMMUNITY_PROJECT_POST_MAX = 1000        # longest discussion post, in characters
    COMMUNITY_PROJECT_POST_RATE = "30 per hour"  # posts, votes and ratings per user
    COMMUNITY_MINUTES_MAX_BYTES = 10 * 1024 * 1024  # meeting minutes (PDF or photo)
    COMMUNITY_NEEDS_WEEKS = 8                # the needs list's window; trend compares its halves
    COMMUNITY_LISTS_PAGE_SIZE = 20           # communities per page of the 三项清单's needs table
    # Hardening. "production" turns on Secure cookies (HTTPS only) and HSTS.
    COMMUNITY_ENV = "development"
    COMMUNITY_SECURE_COOKIES = None  # None: on in production; true/false to force
    COMMUNITY_DB_APPLICATION_NAME = "community"  # how PostgreSQL names our connections
    # Running it (issue 25): logs, proxies, health and metrics (community/core/logs.py, community/web/ops.py).
    COMMUNITY_LOG_LEVEL = "INFO"
    COMMUNITY_LOG_FORMAT = None          # "plain" or "json"; None: json in production, else plain
    COMMUNITY_TRUSTED_PROXIES = 0        # proxies in front whose X-Forwarded-* and X-Request-ID count
    COMMUNITY_READY_TIMEOUT = 2          # seconds /readyz waits for the database and for Redis
    COMMUNITY_METRICS_TOKEN = ""         # a scraper sending "Authorization: Bearer <it>" may read /metrics
    COMMUNITY_METRICS_NETWORKS = ["127.0.0.1/32", "::1/128"]  # or one from these networks
    # A read replica (DATABASE_REPLICA_URL, optional; see community/core/replica.py)
    COMMUNITY_REPLICA_MAX_LAG_SECONDS = 30  # replaying later than this: reads go to the primary
    COMMUNITY_REPLICA_STICKY_SECONDS = 5    # after a write, that session/token reads the primary
    COMMUNITY_REPLICA_CHECK_SECONDS = 5     # how often a process probes the replica's lag
    COMMUNITY_REPLICA_CONNECT_TIMEOUT = 2   # seconds; a replica slower to answer counts as down


def load_config(app, overrides=None):
    app.config.from_object(Config)
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    for key, value in os.environ.items():
        if key.startswith("COMMUNITY_"):
            app.config[key] = _parse(value)
    app.config["SQLALCHEMY_DATABASE_URI"] = _database_url(
        os.environ.get("DATABASE_URL"), instance
    )
    replica = os.environ.get("DATABASE_REPLICA_URL")
    app.config["DATABASE_REPLICA_URL"] = _database_url(replica, instance) if replica else None
    app.config["REDIS_URL"] = os.environ.get("REDIS_URL") or None
    app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY") or _instance_secret(instance)
    app.config.update(overrides or {})
    if not app.config["COMMUNITY_UPLOAD_DIR"]:
        app.config["COMMUNITY_UPLOAD_DIR"] = str(instance / "uploads")
    Path(app.config["COMMUNITY_UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)
    _secure_cookies(app.config)
    # The cookie may live as long as the longest sign-in; each session's own end is in it.
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(days=max(
        app.config["COMMUNITY_RESIDENT_SESSION_DAYS"], app.config["COMMUNITY_STAFF_SESSION_HOURS"] / 24))
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        _connect_args(app.config)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # SQLite allows one writer; wait for the lock instead of failing at once.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}


def _secure_cookies(config) -> None:
    secure = config["COMMUNITY_SECURE_COOKIES"]
    if secure is None:
        secure = config["COMMUNITY_ENV"] == "production"
    config["SESSION_COOKIE_SECURE"] = config["REMEMBER_COOKIE_SECURE"] = bool(secure)


def _connect_args(config) -> None:
    """application_name lets an operator (or a fault test) find this app's backends
    in pg_stat_activity without touching anyone else's. The session's time zone is
    UTC, as the stored times are: a value read as timestamptz then comes back in
    datetime.timezone.utc, never in a zone with daylight saving (whose wall-clock
    arithmetic would shift deadlines), whatever the server's default zone."""
    options = dict(config["SQLALCHEMY_ENGINE_OPTIONS"])
    connect_args = dict(options.get("connect_args", {}))
    connect_args.setdefault("application_name", config["COMMUNITY_DB_APPLICATION_NAME"])
    given = connect_args.get("options") or make_url(config["SQLALCHEMY_DATABASE_URI"]).query.get("options")
    given = " ".join(given) if isinstance(given, tuple) else (given or "")
    if "timezone" not in given.lower():  # kept beside the caller's options (a search_path, say)
        connect_args["options"] = f"{given} -c TimeZone=UTC".strip()
    options["connect_args"] = connect_args
    config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _database_url(url, instance: Path) -> str:
    if not url:
        return f"sqlite:///{instance / 'community.db'}"
    # Heroku-style URLs and the plain "postgresql://" both go through psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _instance_secret(instance: Path) -> str:
    """A development secret kept in instance/ so sessions survive a restart."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
