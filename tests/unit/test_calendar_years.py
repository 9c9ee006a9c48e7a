"""The calendar as data: seeded years, provisional deadlines in a year nobody loaded,
loading a year recomputes open deadlines (events, breaches withdrawn), the daily
warning to admins, and the command line."""
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select

from community.core.extensions import db
from community.ratings import services as ratings
from community.sla import notice, yearbook
from community.clock.deadlines import RESOLVE_BREACHED
from community.sla.models import CalendarDay, CalendarYear
from community.sla.sweep import sweep
from community.tickets.models import TicketEvent
from community.workqueue import actions, assist, routing
from community.workqueue.models import Notification
from tests.factories import file_ticket, resolved_ticket

SH = ZoneInfo("Asia/Shanghai")
NOTICES = Path(__file__).resolve().parents[1] / "data" / "notices"


def local(*args):
    return datetime(*args, tzinfo=SH).astimezone(timezone.utc)


def example_2027():
    return notice.parse((NOTICES / "2027-example.txt").read_text(encoding="utf-8"))


def events(ticket, action):
    return list(db.session.scalars(select(TicketEvent).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.action == action).order_by(TicketEvent.id)))


def accepted_at(people, areas, moment):
    ticket = file_ticket(people, areas, now=moment - timedelta(minutes=30))
    actions.accept(ticket, people.grid, moment)
    db.session.commit()
    return ticket


def test_the_package_years_are_seeded_and_2027_is_missing(app):
    years = {y.year: y for y in yearbook.years()}
    assert min(years) == 2004 and max(years) == 2026
    assert years[2026].source == "chinese-calendar" and years[2026].holidays == 33
    assert years[2026].working_days == 6
    assert yearbook.missing(local(2026, 12, 6, 9)) == [2027]
    assert yearbook.missing(local(2026, 11, 1, 9)) == []  # 61 days before: not yet


def test_a_deadline_in_a_year_nobody_loaded_is_provisional_and_marked(people, areas):
    ticket = accepted_at(people, areas, local(2026, 12, 28, 10))
    # 29, 30, 31 December, then 1 January counted as a working day (Friday), 4, 5, 6
    assert ticket.resolve_due_at == local(2027, 1, 7) and ticket.resolve_due_provisional
    assert ticket.resolve_working_days == 7
    earlier = accepted_at(people, areas, local(2026, 12, 10, 10))  # all inside 2026
    assert earlier.resolve_due_at == local(2026, 12, 22) and not earlier.resolve_due_provisional


def test_loading_the_year_moves_the_deadline_with_events(people, areas):
    ticket = accepted_at(people, areas, local(2026, 12, 28, 10))
    untouched = accepted_at(people, areas, local(2026, 12, 10, 10))
    loaded = yearbook.load_schedule(example_2027(), people.admin, local(2026, 12, 30, 9))
    db.session.commit()
    db.session.refresh(ticket)
    assert ticket.resolve_due_at == local(2027, 1, 8) and not ticket.resolve_due_provisional
    assert loaded.recomputed["tickets"] == 1 and loaded.recomputed["moved"] == 1
    internal, = events(ticket, "deadline_recomputed")
    public, = events(ticket, "deadline_moved")
    assert not internal.public and internal.actor_id == people.admin.id and "2027-01-07" in internal.note
    assert public.public and "2027-01-08" in public.note
    start = local(2026, 12, 28, 10)  # the sweep watches the new clock: its 75 % warning first
    assert ticket.sla_check_at == start + (local(2027, 1, 8) - start) * 0.75
    assert events(untouched, "deadline_recomputed") == []
    row = db.session.get(CalendarYear, 2027)
    assert (row.source, row.loaded_by_id, len(row.days)) == ("import", people.admin.id, 12)
    # Loading it again changes nothing more.
    again = yearbook.load_schedule(example_2027(), people.admin, local(2026, 12, 30, 10))
    assert again.replaced and again.recomputed["tickets"] == 0


def test_a_breach_on_a_deadline_that_moves_later_is_withdrawn(people, areas):
    ticket = file_ticket(people, areas, now=local(2026, 12, 28, 9))
    routing.escalate(ticket, people.grid, local(2026, 12, 28, 9, 10), "需要区里", "county")
    actions.accept(ticket, people.county, local(2026, 12, 28, 10))  # the county: nowhere higher
    db.session.commit()
    counts = sweep(local(2027, 1, 7, 0, 1))
    db.session.refresh(ticket)
    assert counts["resolve_breach"] == 1 and ticket.sla_flags & RESOLVE_BREACHED
    yearbook.load_schedule(example_2027(), people.admin, local(2027, 1, 7, 9))
    db.session.commit()
    db.session.refresh(ticket)
    assert not ticket.sla_flags & RESOLVE_BREACHED
    withdrawn, = events(ticket, "breach_withdrawn")
    assert not withdrawn.public and "2027-01-08" in withdrawn.note
    assert ticket.sla_check_at == local(2027, 1, 8)
    assert sweep(local(2027, 1, 8, 0, 1))["resolve_breach"] == 1  # the new deadline, once
    assert dict(sweep(local(2027, 1, 8, 0, 2))) == {}


def test_an_override_edited_by_hand_recomputes_what_counts_that_day(people, areas):
    from community.sla import services

    ticket = accepted_at(people, areas, local(2026, 12, 28, 10))
    services.set_override(people.admin, local(2026, 12, 29, 9), date(2027, 1, 4), False, "本地放假")
    counts = yearbook.on_override_changed(date(2027, 1, 4), people.admin, local(2026, 12, 29, 9))
    db.session.commit()
    db.session.refresh(ticket)
    assert counts["tickets"] == 1 and ticket.resolve_due_at == local(2027, 1, 8)
    assert ticket.resolve_due_provisional  # 2027 itself is still not loaded


def test_cases_and_summons_are_provisional_and_recomputed(people, areas):
    bad = resolved_ticket(people, areas, at=local(2026, 12, 30, 9))
    case = ratings.rate(bad, people.resident, local(2026, 12, 31, 10), "no", "dissatisfied", reasons=["not_solved"]).case
    summoned = file_ticket(people, areas, now=local(2026, 12, 31, 8))
    routing.escalate(summoned, people.grid, local(2026, 12, 31, 8, 30), "需要街道", "street")
    actions.accept(summoned, people.street, local(2026, 12, 31, 9))
    task, = assist.summon(summoned, people.street, local(2026, 12, 31, 10), [areas.D1.id], "需要城管")
    db.session.commit()
    assert case.due_provisional and task.due_provisional
    assert (case.start_due_at, case.close_due_at) == (local(2027, 1, 2), local(2027, 1, 8))
    assert task.due_at == local(2027, 1, 6)  # 1 (as a Friday), 4, 5 January
    loaded = yearbook.load_schedule(example_2027(), people.admin, local(2026, 12, 31, 12))
    db.session.commit()
    db.session.refresh(case)
    db.session.refresh(task)
    assert (case.start_due_at, case.close_due_at) == (local(2027, 1, 5), local(2027, 1, 9))
    assert task.due_at == local(2027, 1, 7) and not case.due_provisional and not task.due_provisional
    assert (loaded.recomputed["cases"], loaded.recomputed["assist_tasks"]) == (1, 1)


def test_admins_are_told_daily_from_60_days_before_a_missing_year(people):
    def told():
        return db.session.scalars(select(Notification).where(
            Notification.user_id == people.admin.id)).all()

    assert yearbook.check_calendar(local(2026, 11, 1, 9))["told"] == 0  # 61 days before
    first = yearbook.check_calendar(local(2026, 11, 2, 9))
    assert (first["missing"], first["told"]) == ([2027], 1)
    assert yearbook.check_calendar(local(2026, 11, 2, 18))["told"] == 0  # once a day
    assert yearbook.check_calendar(local(2026, 11, 3, 9))["told"] == 1
    db.session.commit()
    assert len(told()) == 2 and "2027" in told()[0].text and told()[0].phone == ""
    assert db.session.scalar(select(Notification.id).where(Notification.user_id == people.grid.id)) is None
    yearbook.load_schedule(example_2027(), people.admin, local(2026, 11, 4, 9))
    assert yearbook.check_calendar(local(2026, 11, 5, 9)) == {"seeded": [], "missing": [], "told": 0}


def test_a_year_the_package_knows_is_loaded_back_by_the_check(people):
    db.session.execute(delete(CalendarDay).where(CalendarDay.year == 2026))
    db.session.execute(delete(CalendarYear).where(CalendarYear.year == 2026))
    db.session.commit()
    assert yearbook.missing(local(2026, 6, 1, 9)) == [2026]  # a year that has started
    assert yearbook.check_calendar(local(2026, 6, 1, 9))["seeded"] == [2026]
    assert yearbook.missing(local(2026, 6, 1, 9)) == []


def test_the_command_line_reads_loads_and_reports(app, people, frozen):
    frozen.move_to(local(2026, 12, 6, 10))
    runner = app.test_cli_runner()
    text = (NOTICES / "2027-example.txt").read_text(encoding="utf-8")
    dry = runner.invoke(args=["calendar", "import", "-", "--dry-run"], input=text)
    assert dry.exit_code == 0, dry.output
    assert "holiday  2027-01-01 .. 2027-01-03  3 day(s)  元旦" in dry.output
    assert "working  2027-02-14  春节" in dry.output and "dry run: nothing changed" in dry.output
    assert db.session.get(CalendarYear, 2027) is None
    status = runner.invoke(args=["calendar", "status"])
    assert "2026  chinese-calendar" in status.output and "2027  MISSING" in status.output
    bad = runner.invoke(args=["calendar", "import", "-"], input=text.replace("（周五）", "（周四）"))
    assert bad.exit_code != 0 and "第 3 行" in bad.output and db.session.get(CalendarYear, 2027) is None
    done = runner.invoke(args=["calendar", "import", "-"], input=text)
    assert done.exit_code == 0 and "loaded 2027" in done.output, done.output
    db.session.expire_all()
    assert db.session.get(CalendarYear, 2027).loaded_by_id == people.admin.id
    assert "2027  import" in runner.invoke(args=["calendar", "status"]).output


def test_a_projects_rectification_deadline_follows_the_loaded_year(people, areas):
    from community.projects import judging
    from community.projects.models import ProjectCase
    from tests.projects.conftest import verify_residents
    from tests.factories import delivered

    verify_residents(people)
    start = local(2026, 12, 1, 10)
    project = delivered(people, areas, now=start)
    judging.rate(project, people.resident, start + timedelta(days=6), "dissatisfied")
    judging.rate(project, people.resident2, start + timedelta(days=6), "basic")
    judging.close(project, people.community, local(2026, 12, 28, 10))
    db.session.commit()
    case = db.session.scalar(select(ProjectCase))
    guessed = case.due_at  # counts 1 January 2027 as a working day
    loaded = yearbook.load_schedule(example_2027(), people.admin, local(2026, 12, 29, 9))
    db.session.commit()
    db.session.refresh(case)
    assert case.due_at == guessed + timedelta(days=1) and loaded.recomputed["project_cases"] == 1
    assert [e.action for e in case.project.events][-1] == "rectify_due_moved"
