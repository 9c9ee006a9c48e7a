"""Nobody misses a warning: every warning and breach the sweep records is told, in
order, on both the per-ticket and the set-based path."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from community.auth.models import User
from community.core.extensions import db
from community.sla.sweep import sweep
from community.workqueue.models import Notification
from tests.factories import T0, file_ticket

H = timedelta(hours=1)


def staff_notices():
    rows = db.session.execute(select(User.username, Notification.created_at, Notification.text)
                              .join(User, User.id == Notification.user_id)
                              .where(Notification.phone == "")
                              .order_by(Notification.created_at, Notification.id)).all()
    return [(name, at, "warning" if "预警" in text else "breach",
             "response" if "首次响应" in text else "accept") for name, at, text in rows]


@pytest.mark.parametrize("fast", [True, False])
def test_two_marks_at_the_same_moment_are_both_told(people, areas, fast):
    file_ticket(people, areas, now=T0)  # response and acceptance clocks: both 24 h
    sweep(T0 + 18 * H, fast=fast)
    assert staff_notices() == [("grid", T0 + 18 * H, "warning", "response"),
                               ("grid", T0 + 18 * H, "warning", "accept")]


@pytest.mark.parametrize("fast", [True, False])
def test_a_catch_up_sweep_tells_every_mark_in_order(people, areas, fast):
    file_ticket(people, areas, now=T0)
    sweep(T0 + 60 * H, fast=fast)  # two and a half days of downtime, one sweep
    assert staff_notices() == [
        ("grid", T0 + 18 * H, "warning", "response"), ("grid", T0 + 18 * H, "warning", "accept"),
        # the grid's breaches go to its supervisor, the community, which then holds it
        ("community", T0 + 24 * H, "breach", "response"), ("community", T0 + 24 * H, "breach", "accept"),
        ("community", T0 + 42 * H, "warning", "accept"),
        ("street", T0 + 48 * H, "breach", "accept"),
    ]
    before = len(staff_notices())
    sweep(T0 + 60 * H, fast=fast)
    assert len(staff_notices()) == before  # idempotent: told once
