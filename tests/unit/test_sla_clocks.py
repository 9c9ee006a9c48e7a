"""Clocks in business time: working days with the Spring Festival and 调休, 24 h response,
policies by effective date, admin overrides for unknown years."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from community.core.errors import ValidationFailed
from community.core.extensions import db
from community.clock import calendar
from community.sla import services
from community.sla.services import terms_for
from community.workqueue import actions, routing
from tests.factories import T0, file_ticket

SH = ZoneInfo("Asia/Shanghai")


def local(*args):
    return datetime(*args, tzinfo=SH).astimezone(timezone.utc)


def test_resolution_clock_skips_spring_festival_and_counts_the_tiaoxiu_saturday(people, areas):
    # Thursday 12 Feb 2026: working days 13, 14 (Saturday, 调休), then 24-28 Feb after
    # the holiday (28th is another 调休 Saturday) -> 7 days end at midnight after 28 Feb.
    filed = local(2026, 2, 12, 10, 0)
    ticket = file_ticket(people, areas, now=filed)
    actions.accept(ticket, people.grid, filed + timedelta(minutes=5))
    db.session.commit()
    assert ticket.resolve_due_at == local(2026, 3, 1, 0, 0)
    assert calendar.is_working_day(date(2026, 2, 14)) and not calendar.is_working_day(date(2026, 2, 16))


def test_friday_23h_before_the_long_holiday(people, areas):
    filed = local(2026, 2, 13, 23, 0)  # Friday night before 春节
    ticket = file_ticket(people, areas, now=filed)
    # Round-the-clock clocks run through the night and the weekend.
    assert ticket.response_due_at == filed + timedelta(hours=24)
    assert ticket.accept_due_at == filed + timedelta(hours=24)
    actions.accept(ticket, people.grid, filed + timedelta(minutes=30))
    db.session.commit()
    # 14 Feb (调休 Saturday) is day 1; 24, 25, 26, 27 Feb, 28 Feb (调休) and 2 Mar make 7.
    assert ticket.resolve_due_at == local(2026, 3, 3, 0, 0)


def test_first_response_is_24_hours_round_the_clock(people, areas):
    saturday_night = local(2026, 11, 28, 22, 0)
    ticket = file_ticket(people, areas, now=saturday_night)
    assert ticket.response_due_at == saturday_night + timedelta(hours=24)
    assert ticket.next_due_at == ticket.response_due_at
    assert ticket.sla_check_at == saturday_night + timedelta(hours=18)  # the 75% warning


def test_urgent_and_utilities_clocks(people, areas):
    urgent = file_ticket(people, areas, now=T0, urgency="urgent")
    assert urgent.accept_due_at == T0 + timedelta(hours=1)
    actions.accept(urgent, people.grid, T0 + timedelta(minutes=10))
    db.session.commit()
    assert urgent.resolve_due_at == T0 + timedelta(minutes=10, hours=24)
    utilities = file_ticket(people, areas, now=T0, category="UTL")
    assert utilities.accept_due_at == T0 + timedelta(hours=2)


def test_a_new_policy_applies_from_its_date_and_leaves_set_deadlines(people, areas):
    old = file_ticket(people, areas, now=T0)
    due_before = old.accept_due_at
    services.add_policy(people.admin, T0, sla_class="general", effective_from=date(2026, 11, 24),
                        response_hours=24, accept_hours=48, resolve_unit="working_days",
                        resolve_amount=10)
    db.session.commit()
    db.session.refresh(old)
    assert old.accept_due_at == due_before  # nothing rewritten
    later = T0 + timedelta(days=1)  # Tuesday 10:00, after the new policy's start
    new = file_ticket(people, areas, now=later)
    assert new.accept_due_at == later + timedelta(hours=48)
    # The old ticket's next clock (at the next unit) starts after the change: new terms.
    routing.escalate(old, people.grid, later, "需要社区协调")
    db.session.commit()
    assert old.accept_due_at == later + timedelta(hours=48)
    assert terms_for("general", None, T0).accept_hours == 24


def test_a_category_policy_wins_over_its_class(people, areas):
    services.add_policy(people.admin, T0, sla_class="general", category_code="ELD",
                        effective_from=date(2026, 11, 23), response_hours=12, accept_hours=4,
                        resolve_unit="working_days", resolve_amount=3)
    db.session.commit()
    eld = file_ticket(people, areas, now=T0 + timedelta(hours=1))
    assert eld.accept_due_at == T0 + timedelta(hours=5)
    assert eld.response_due_at == T0 + timedelta(hours=13)


@pytest.mark.parametrize("change", [
    {"effective_from": date(2026, 11, 1)},  # in the past
    {"accept_hours": 0},
    {"sla_class": "someday"},
    {"resolve_unit": "weeks"},
    {"category_code": "NOPE"},
])
def test_bad_policies_are_refused_and_change_nothing(people, change):
    from community.sla.models import SlaPolicy
    from tests.factories import count

    before = count(SlaPolicy)
    values = dict(sla_class="general", effective_from=date(2026, 12, 1), response_hours=24,
                  accept_hours=24, resolve_unit="working_days", resolve_amount=7) | change
    with pytest.raises(ValidationFailed):
        services.add_policy(people.admin, T0, **values)
    db.session.rollback()
    assert count(SlaPolicy) == before


def test_admin_overrides_cover_a_year_the_package_does_not_know(people):
    start = local(2027, 2, 5, 10, 0)  # a Friday in 2027, beyond chinese-calendar's data
    assert calendar.add_working_days(start, 1) == local(2027, 2, 9, 0, 0)  # Monday 8th
    services.set_override(people.admin, T0, date(2027, 2, 8), False, "春节（预估）")
    services.set_override(people.admin, T0, date(2027, 2, 7), True, "调休")
    db.session.commit()
    assert calendar.add_working_days(start, 1) == local(2027, 2, 8, 0, 0)  # Sunday 7th works
    assert calendar.add_working_days(start, 2) == local(2027, 2, 10, 0, 0)  # 8th is off
    services.remove_override(people.admin, date(2027, 2, 7))
    db.session.commit()
    assert calendar.add_working_days(start, 1) == local(2027, 2, 10, 0, 0)


def test_the_seeded_policies_are_domain_defaults(app):
    assert {c: (t.accept_hours, t.resolve_unit, t.resolve_amount) for c in
            ("urgent", "utilities", "general", "complex")
            for t in [terms_for(c, None, T0)]} == {
        "urgent": (1, "hours", 24), "utilities": (2, "working_days", 7),
        "general": (24, "working_days", 7), "complex": (24, "working_days", 15)}
    assert all(terms_for(c, None, T0).policy_id for c in ("urgent", "general"))


def test_a_suggestion_runs_on_the_suggestion_clock_whatever_its_category(people, areas):
    """DOMAIN.md "Clocks": kind 建议 uses the suggestion/complex resolution clock (15 working
    days), not the 7 of its category's general class."""
    start = local(2026, 11, 2, 10)  # Monday; no holiday in the next three weeks
    suggestion = file_ticket(people, areas, now=start, kind="suggestion", category="ELD")
    help_request = file_ticket(people, areas, now=start, kind="help", category="ELD")
    for ticket in (suggestion, help_request):
        actions.accept(ticket, people.grid, start)
    db.session.commit()
    assert help_request.resolve_due_at == local(2026, 11, 12, 0, 0)  # 7 working days
    assert suggestion.resolve_due_at == local(2026, 11, 24, 0, 0)  # 15 working days
    assert suggestion.resolve_working_days == 15
