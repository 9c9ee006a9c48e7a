"""Residents' rights under PIPL (issue 21): the filing form says what is kept, why and for
how long; /account/data downloads everything held about the resident and deletes the
account (their personal data anonymised, counts kept, an audit row, no undo); the
retention job anonymises requests closed more than three years ago, in batches, once."""
import io
import json
import os
from datetime import timedelta

from PIL import Image
from sqlalchemy import func, select

from community.auth.models import User
from community.core.extensions import db
from community.privacy.anonymise import REMOVED
from community.privacy.models import PrivacyAudit
from community.privacy.retention import run_retention
from community.ratings.models import Rating
from community.ratings.services import rate
from community.tickets.models import Ticket, TicketEvent, TicketPhoto
from community.tickets.photos import clean_photo, photo_path
from community.tickets.services import Filing, add_info, submit_ticket
from community.core.timeutil import utcnow
from community.workqueue import actions
from community.workqueue.models import Notification
from tests.factories import H, PASSWORD, T0, count, csrf_from, login

PHONE = "13800000001"


def photo():
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 90, 160)).save(out, "JPEG")
    return clean_photo(io.BytesIO(out.getvalue()), "p.jpg")


def history(people, areas, at, *, closed=True, handled=True,
            text="我家电话13912345678，住北门小区7栋3单元302"):
    """A request of the resident, with a photo, an addition, a rating and texts; closed at `at` + 1 day
    (or still waiting for 签收, without `handled`)."""
    ticket = submit_ticket(Filing(kind="help", category_code="ELD", text=text, address="北门小区7栋3单元302",
                                  community_id=areas.S1C1.id, grid_id=areas.S1C1G1.id, photos=[photo()]),
                           people.resident, at)
    add_info(ticket, people.resident, at + H, "补充：三楼也不亮", [])
    if not handled:
        db.session.commit()
        return ticket
    actions.accept(ticket, people.grid, at + 2 * H)
    actions.resolve(ticket, people.grid, at + 3 * H, "solved", "已联系王先生更换灯泡")
    rate(ticket, people.resident, at + 4 * H, "yes", "satisfied", "师傅很好，电话13912345678")
    if closed:
        actions.close(ticket, at + timedelta(days=1))
    db.session.commit()
    return ticket


def test_the_filing_form_says_what_is_kept_why_and_how_long(client, people, app):
    login(client, PHONE)
    page = client.get("/").get_data(as_text=True)
    for words in ("个人信息说明", "我们收集", "用途", "保存期限", "办结 3 年后", "下载您的全部信息"):
        assert words in page, words
    assert "个人信息说明" in app.test_client().get("/signup").get_data(as_text=True)


def test_a_resident_downloads_everything_held_about_them(client, people, areas, frozen):
    mine = history(people, areas, T0, closed=False)
    login(client, PHONE)
    answer = client.get("/account/data.json")
    assert answer.status_code == 200 and "attachment" in answer.headers["Content-Disposition"]
    assert answer.headers["Cache-Control"] == "no-store"
    data = json.loads(answer.data)
    assert data["account"]["phone"] == PHONE
    [request] = data["requests"]
    assert request["tracking_code"] == mine.tracking_code and "13912345678" in request["text"]
    assert request["address"] == "北门小区7栋3单元302" and request["photos"] == 1
    assert any(e["note"] == "补充：三楼也不亮" for e in request["timeline"])
    assert data["ratings"][0]["comment"].startswith("师傅很好")
    other = client.__class__(client.application, client.response_wrapper)
    login(other, "13800000002")
    assert json.loads(other.get("/account/data.json").data)["requests"] == []  # only one's own
    login(other, "grid")
    assert other.get("/account/data.json").status_code == 404


def test_deleting_the_account_anonymises_and_keeps_the_counts(client, people, areas, app, frozen):
    old = history(people, areas, T0)
    live = history(people, areas, T0 + timedelta(days=2), handled=False)
    stored = [p.stored_name for t in (old, live) for p in t.photos]
    texts = count(Notification)
    before = {"tickets": count(Ticket), "events": count(TicketEvent), "ratings": count(Rating)}
    login(client, PHONE)
    page = client.get("/account/data")
    assert "还有 1 件诉求正在办理中" in page.get_data(as_text=True)
    wrong = client.post("/account/delete", data={"csrf_token": csrf_from(page), "password": "nope-1234",
                                                  "confirm": "y"})
    assert wrong.status_code == 400 and "密码不正确" in wrong.get_data(as_text=True)
    unconfirmed = client.post("/account/delete", data={"csrf_token": csrf_from(page), "password": PASSWORD})
    assert unconfirmed.status_code == 400 and db.session.get(User, people.resident.id).phone == PHONE
    done = client.post("/account/delete", data={"csrf_token": csrf_from(page), "password": PASSWORD,
                                                 "confirm": "y"})
    assert done.status_code == 302 and client.get("/my").status_code == 302  # signed out
    user = db.session.get(User, people.resident.id)
    assert (user.phone, user.name, user.active, user.deleted_at is not None) == (None, "", False, True)
    for ticket in (old, live):
        db.session.refresh(ticket)
        assert ticket.text == REMOVED and ticket.contact_phone == "" and ticket.address == ""
        assert ticket.anonymised_at is not None and ticket.resident_id == user.id
    assert {"tickets": count(Ticket), "events": count(TicketEvent), "ratings": count(Rating)} == before
    assert count(Notification) == texts and not db.session.scalar(
        select(func.count(Notification.id)).where(Notification.phone != ""))
    assert not db.session.scalar(select(func.count(TicketEvent.id)).where(TicketEvent.note != ""))
    assert {r.comment for r in db.session.scalars(select(Rating))} == {""}
    assert count(TicketPhoto) == 0 and not any(os.path.exists(photo_path(n)) for n in stored)
    audit = db.session.scalar(select(PrivacyAudit))
    assert (audit.action, audit.user_id, audit.rows) == ("account_deleted", user.id, 2)
    assert app.test_client().post("/login", data={
        "csrf_token": csrf_from(app.test_client().get("/login")), "login": PHONE,
        "password": PASSWORD}).status_code == 400  # the account is gone, not locked
    staff = app.test_client()
    login(staff, "grid")  # the live request can still be handled, without the person
    body = staff.get(f"/work/tickets/{live.id}").get_data(as_text=True)
    assert REMOVED in body and "13912345678" not in body and "139****5678" not in body


def test_staff_cannot_delete_an_account_here(client, people):
    login(client, "grid")
    page = client.get("/account")
    assert client.post("/account/delete", data={"csrf_token": csrf_from(page), "password": "x",
                                                "confirm": "y"}).status_code == 404


# -- retention ------------------------------------------------------------------------

def test_retention_anonymises_requests_closed_more_than_three_years_ago(app, people, areas, ctx, frozen):
    now = T0
    due = [history(people, areas, now - timedelta(days=3 * 365 + 10 + i)) for i in range(3)]
    recent = history(people, areas, now - timedelta(days=3 * 365 - 10))    # closed 2 y 355 d ago
    still_open = history(people, areas, now - timedelta(days=5 * 365), closed=False)
    before = {"tickets": count(Ticket), "events": count(TicketEvent), "ratings": count(Rating)}

    dry = run_retention(now, dry_run=True)
    assert (dry.due, dry.anonymised) == (3, 0) and count(PrivacyAudit) == 0
    assert db.session.scalar(select(func.count(Ticket.id)).where(Ticket.anonymised_at.is_not(None))) == 0

    run = run_retention(now, batch=2)  # batches of two, each committed on its own
    assert (run.anonymised, run.batches) == (3, 2) and run.longest_batch > 0
    db.session.expire_all()
    for ticket in due:
        assert ticket.text == REMOVED and ticket.contact_phone == "" and ticket.photos == []
        assert ticket.state == "closed" and ticket.category.code == "ELD"  # what figures need
    for ticket in (recent, still_open):
        assert "13912345678" in ticket.text and ticket.anonymised_at is None
    assert {"tickets": count(Ticket), "events": count(TicketEvent), "ratings": count(Rating)} == before
    audit = db.session.scalar(select(PrivacyAudit))
    assert (audit.action, audit.rows) == ("retention", 3) and "2 batches" in audit.note

    again = run_retention(now)  # idempotent: nothing left to do
    assert (again.due, again.anonymised) == (0, 0)
    assert run_retention(now + timedelta(days=20)).anonymised == 1  # the next one, when its time comes


def test_the_retention_period_is_configurable(app, people, areas, ctx, frozen, monkeypatch):
    history(people, areas, T0 - timedelta(days=400))
    assert run_retention(T0).anonymised == 0
    monkeypatch.setitem(app.config, "COMMUNITY_RETENTION_YEARS", 1)
    assert run_retention(T0).anonymised == 1


def test_the_retention_command_runs_by_hand_with_a_dry_run(app, people, areas, ctx):
    history(people, areas, utcnow() - timedelta(days=4 * 365))
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["privacy", "retention", "--dry-run"])
    assert dry.exit_code == 0 and "not anonymised: 1" in dry.output and "nothing changed" in dry.output
    assert db.session.scalar(select(Ticket.anonymised_at)) is None
    done = runner.invoke(args=["privacy", "retention"])
    assert done.exit_code == 0 and "anonymised 1 in 1 batches" in done.output
    assert "anonymised 0" in runner.invoke(args=["privacy", "retention"]).output
    bad = runner.invoke(args=["privacy", "retention", "--now", "yesterday"])
    assert bad.exit_code == 2 and "ISO 8601" in bad.output


def test_the_retention_job_is_registered_with_rq_cron_and_runs_in_a_worker(app, people, areas, ctx):
    from rq import Queue, SimpleWorker
    from rq.cron import CronScheduler

    from workers import jobs

    history(people, areas, utcnow() - timedelta(days=4 * 365))
    connection = app.extensions["redis"]
    scheduler = CronScheduler(connection=connection)
    scheduler.load_config_from_file("workers.cron")
    [entry] = [j for j in scheduler.get_jobs() if j.name == "privacy-retention"]
    assert entry.cron == "30 3 * * *" and entry.func_name == "workers.jobs.retention_job"
    entry.enqueue(connection)  # what the scheduler does at 03:30
    jobs.use_app(app)
    queue = Queue("default", connection=connection)
    SimpleWorker([queue], connection=connection).work(burst=True)
    db.session.expire_all()
    assert db.session.scalar(select(Ticket.anonymised_at)) is not None
    assert db.session.scalar(select(PrivacyAudit.rows)) == 1


def test_the_download_reads_as_many_statements_for_many_requests_as_for_one(client, people, areas, frozen):
    from tests.statements import recorded

    history(people, areas, T0, closed=False)
    login(client, PHONE)

    def statements():
        with recorded() as seen:
            assert client.get("/account/data.json").status_code == 200
        return len(seen)

    one = statements()
    for n in range(3):
        history(people, areas, T0 + (n + 1) * 24 * H, closed=False)
    data = json.loads(client.get("/account/data.json").data)
    assert len(data["requests"]) == 4 and len(data["ratings"]) == 4
    assert all(r["photos"] == 1 and r["timeline"] for r in data["requests"])
    assert statements() == one  # each kind of row in one statement, not one per request
