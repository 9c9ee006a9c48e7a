"""Admin pages for SLA policies, working-day overrides and failed jobs: admin only."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from community.core.extensions import db
from community.outbox.models import OutboxRow
from community.sla.models import CalendarOverride, SlaPolicy
from community.core.timeutil import utcnow
from tests.factories import T0, count, csrf_from, login

PAGES = ["/admin/sla", "/admin/calendar", "/admin/jobs"]


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, page):
    response = client.get(page)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("who", ["13800000001", "county", "street", "grid"])
def test_everyone_but_the_admin_is_refused(client, people, who):
    login(client, who)
    for page in PAGES:
        assert client.get(page).status_code == 403, page
    # A forged post changes nothing either (the CSRF token comes from a page they may see).
    token = csrf_from(client.get("/t"))
    before = count(SlaPolicy), count(CalendarOverride)
    assert client.post("/admin/sla", data={"csrf_token": token, "sla_class": "general",
                                           "effective_from": "2030-01-01", "response_hours": "1",
                                           "accept_hours": "1", "resolve_amount": "1",
                                           "resolve_unit": "hours"}).status_code == 403
    assert client.post("/admin/calendar", data={"csrf_token": token, "day": "2030-01-02",
                                                "working": "0"}).status_code == 403
    assert client.post("/admin/jobs/outbox/1/retry", data={"csrf_token": token}).status_code == 403
    assert (count(SlaPolicy), count(CalendarOverride)) == before


def test_the_admin_adds_a_policy_version_and_an_override(client, people):
    # A new version takes effect on a future day: a year from the real today.
    next_year = (utcnow() + timedelta(days=365)).date().isoformat()
    login(client, "admin")
    page = client.get("/admin/sla")
    assert page.status_code == 200 and "working_days" not in page.get_data(as_text=True)[:0]
    before = count(SlaPolicy)
    response = client.post("/admin/sla", data={
        "csrf_token": csrf_from(page), "sla_class": "general", "category": "ELD",
        "effective_from": next_year, "response_hours": "12", "accept_hours": "8",
        "resolve_amount": "5", "resolve_unit": "working_days", "note": "试行"})
    assert response.status_code == 302
    assert count(SlaPolicy) == before + 1
    bad = client.post("/admin/sla", data={
        "csrf_token": csrf_from(page), "sla_class": "general", "effective_from": next_year,
        "response_hours": "abc", "accept_hours": "8", "resolve_amount": "5",
        "resolve_unit": "working_days"})
    assert bad.status_code == 422 and count(SlaPolicy) == before + 1
    page = client.get("/admin/calendar")
    response = client.post("/admin/calendar", data={"csrf_token": csrf_from(page), "day": "2027-02-08",
                                                    "working": "0", "note": "春节"})
    assert response.status_code == 302
    assert db.session.scalar(select(CalendarOverride)).working is False
    bad = client.post("/admin/calendar", data={"csrf_token": csrf_from(page), "day": "08/02/2027",
                                               "working": "0"})
    assert bad.status_code == 422 and count(CalendarOverride) == 1


def test_the_jobs_page_lists_failed_outbox_rows(client, people, frozen):
    db.session.add(OutboxRow(kind="stats.rollup", key="k", payload={}, created_at=T0, attempts=6,
                             last_error="ValueError: boom"))
    db.session.commit()
    login(client, "admin")
    page = client.get("/admin/jobs")
    assert page.status_code == 200 and "ValueError: boom" in page.get_data(as_text=True)
    row_id = db.session.scalar(select(OutboxRow.id))
    assert client.post(f"/admin/jobs/outbox/{row_id}/retry",
                       data={"csrf_token": csrf_from(page)}).status_code == 302
    db.session.expire_all()
    assert db.session.get(OutboxRow, row_id).attempts == 0


def test_the_resident_sees_each_clock_as_time_left_or_overdue(client, people, areas):
    from tests.factories import file_ticket

    fresh = file_ticket(people, areas, now=utcnow())
    old = file_ticket(people, areas, now=utcnow() - timedelta(days=3))  # every clock has run out
    page = client.get(f"/t/{fresh.tracking_code}").get_data(as_text=True)
    assert "剩余" in page and "首次响应" in page
    assert "已超时" in client.get(f"/t/{old.tracking_code}").get_data(as_text=True)
