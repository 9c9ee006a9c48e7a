"""Run inside bench/.helpdesk-venv (django-helpdesk 2.6.1): a minimal Django project
for the peer comparison, written into a directory given on the command line.

    python peer_helpdesk.py DIR setup        # write the project, migrate, admin + queue
    python peer_helpdesk.py DIR escalate N   # N overdue open tickets, time escalate_tickets

Only the standard library and the venv's own packages are used here: this file
is not imported by the platform.
"""
import json
import os
import sys
import time
from pathlib import Path

SETTINGS = '''
import os
SECRET_KEY = "bench-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
SITE_ID = 1
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
ROOT_URLCONF = "hdbench.urls"
INSTALLED_APPS = ["django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
                  "django.contrib.sessions", "django.contrib.messages", "django.contrib.staticfiles",
                  "django.contrib.sites", "django.contrib.humanize", "rest_framework", "account",
                  "pinax.invitations", "pinax.teams", "reversion", "helpdesk"]
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware",
              "django.contrib.sessions.middleware.SessionMiddleware",
              "django.middleware.common.CommonMiddleware", "django.middleware.csrf.CsrfViewMiddleware",
              "django.contrib.auth.middleware.AuthenticationMiddleware",
              "django.contrib.messages.middleware.MessageMiddleware"]
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
              "OPTIONS": {"context_processors": ["django.template.context_processors.request",
                                                 "django.contrib.auth.context_processors.auth",
                                                 "django.contrib.messages.context_processors.messages"]}}]
DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": os.environ["HD_DB"],
                         "HOST": "127.0.0.1", "PORT": "5432", "CONN_MAX_AGE": 600}}
# Cheap hashing for HTTP Basic auth on every API call, as our API's SHA-256 token check.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
HELPDESK_API_ENABLED = True
'''
URLS = '''
from django.urls import include, path
urlpatterns = [path("", include("helpdesk.urls", namespace="helpdesk"))]
'''
WSGI = '''
import os
from django.core.wsgi import get_wsgi_application
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdbench.settings")
application = get_wsgi_application()
'''


def write_project(root: Path) -> None:
    package = root / "hdbench"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text(SETTINGS)
    (package / "urls.py").write_text(URLS)
    (package / "wsgi.py").write_text(WSGI)


def django_ready(root: Path) -> None:
    sys.path.insert(0, str(root))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdbench.settings")
    import django

    django.setup()


def setup(root: Path) -> dict:
    write_project(root)
    django_ready(root)
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from helpdesk.models import Queue

    call_command("migrate", verbosity=0)
    User.objects.create_superuser("bench", "bench@example.com", "bench-password")
    queue = Queue.objects.create(title="Bench", slug="bench", escalate_days=1)
    return {"queue": queue.id}


def escalate(root: Path, count: int) -> dict:
    django_ready(root)
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone
    from helpdesk.models import Queue, Ticket

    queue = Queue.objects.get(slug="bench")
    Ticket.objects.filter(queue=queue).update(status=Ticket.CLOSED_STATUS)  # only ours are due
    old = timezone.now() - timedelta(days=5)
    Ticket.objects.bulk_create([
        Ticket(queue=queue, title=f"overdue {i}", description="楼道灯坏了", priority=3,
               submitter_email=f"r{i}@example.com", status=Ticket.OPEN_STATUS, created=old,
               modified=old) for i in range(count)])
    Ticket.objects.filter(queue=queue, status=Ticket.OPEN_STATUS).update(created=old)
    started = time.perf_counter()
    call_command("escalate_tickets", queues=["bench"])
    seconds = time.perf_counter() - started
    escalated = Ticket.objects.filter(queue=queue, last_escalation__isnull=False,
                                      status=Ticket.OPEN_STATUS).count()
    return {"tickets": count, "escalated": escalated, "seconds": round(seconds, 3),
            "seconds_per_ticket": seconds / max(escalated, 1)}


if __name__ == "__main__":
    where, command = Path(sys.argv[1]), sys.argv[2]
    result = setup(where) if command == "setup" else escalate(where, int(sys.argv[3]))
    print(json.dumps(result))
