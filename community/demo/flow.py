"""Drives demo requests through the real workflow so the demo shows every state.

Each request gets a fate by chance (seeded, so the demo is the same every
time) that fits its age: a request of the last two days may still be waiting
or under way, an older one is mostly finished, and only a few older ones are
left a little overdue (an open request of fifty days would be a broken queue,
not a demo). Steps are timed after its submission, never after `now`.
"""
from datetime import timedelta

from sqlalchemy import select

from community.auth.models import User
from community.core.extensions import db
from community.tickets.services import add_info, cancel
from community.workqueue import actions, assist, extensions, routing

# (share of requests, fate) — the shares of each table add up to 1.
RECENT = [  # filed in the last two days: the live queue
    (0.04, "cancelled"), (0.20, "waiting"), (0.08, "info_added"), (0.22, "in_progress"),
    (0.10, "escalated_community"), (0.08, "escalated_street"), (0.06, "extended"),
    (0.22, "resolved"),
]
SETTLED = [  # older: finished, but for a few slow ones
    (0.05, "cancelled"), (0.02, "merged"), (0.04, "reopened"), (0.04, "overdue"),
    (0.85, "resolved"),
]
RESULTS = [("solved", ""), ("solved", ""), ("solved", ""), ("partly", "已协调物业，剩余部分需业委会表决。"),
           ("not_solvable", "不属于本辖区管理范围，已告知居民向相关单位反映。")]


class DemoFlow:
    def __init__(self, rng, now):
        from community.ratings.demo import DemoRatings

        self.rng, self.now = rng, now
        self._staff = {}
        self._open = []
        self.ratings = DemoRatings(rng, now, self.handler)

    def handler(self, unit_id) -> User:
        if unit_id not in self._staff:
            self._staff[unit_id] = db.session.scalar(
                select(User).where(User.unit_id == unit_id).order_by(User.id).limit(1))
        return self._staff[unit_id]

    def at(self, start, hours):
        return min(start + timedelta(hours=hours), self.now - timedelta(minutes=5))

    def advance(self, ticket, submitted_at):
        age = self.now - submitted_at
        fates = RECENT if age < timedelta(days=2) else SETTLED
        roll, fate = self.rng.random(), "resolved"
        for share, name in fates:
            if roll < share:
                fate = name
                break
            roll -= share
        getattr(self, f"_{fate}")(ticket, submitted_at)

    def _cancelled(self, t, at):
        cancel(t, t.resident, self.at(at, 1), "问题已自行解决")

    def _waiting(self, t, at):
        pass

    def _info_added(self, t, at):
        add_info(t, t.resident, self.at(at, 2), "补充：上午十点前家里有人。", [])

    def _accept(self, t, at, hours=2):
        actions.accept(t, self.handler(t.handling_unit_id), self.at(at, hours))

    def _in_progress(self, t, at):
        self._accept(t, at)
        actions.respond(t, self.handler(t.handling_unit_id), self.at(at, 4), "已联系，正在协调处理。")
        self._open.append(t)

    def _escalate(self, t, at, reason, to_tier=None, hours=3):
        routing.escalate(t, self.handler(t.handling_unit_id), self.at(at, hours), reason, to_tier)

    def _escalated_community(self, t, at):
        if t.tier == "grid":
            self._accept(t, at)
            self._escalate(t, at, "需要社区协调物业", hours=5)
        self._accept(t, at, hours=8)

    def _escalated_street(self, t, at):
        if t.tier in ("grid", "community"):
            self._escalate(t, at, "涉及多个部门，需要街道协调", to_tier="street")
        if t.tier == "street":
            self._accept(t, at, hours=6)
            departments = assist.departments_of(t.county_id)
            assist.summon(t, self.handler(t.handling_unit_id), self.at(at, 7),
                          [self.rng.choice(departments).id], "请部门到现场联合处置")

    def _extended(self, t, at):
        self._accept(t, at)
        handler = self.handler(t.handling_unit_id)
        extensions.request_extension(t, handler, self.at(at, 24), 5, "需要等待维修配件到货")
        supervisor = t.handling_unit if t.handling_unit.kind == "county" else t.handling_unit.parent
        extensions.decide_extension(t, self.handler(supervisor.id), self.at(at, 26), True)

    def _merged(self, t, at):
        target = next((o for o in self._open if o.grid_id == t.grid_id and o.state in
                       ("accepted", "in_progress")), None)
        if target is None:
            return self._resolved(t, at)
        routing.merge(t, self.handler(t.handling_unit_id), self.at(at, 3), target.tracking_code)

    def _overdue(self, t, at):
        """Accepted and under way past its deadline: only a request of 3–9 days, so
        it is a few days late, not weeks."""
        if not timedelta(days=3) <= self.now - at <= timedelta(days=9):
            return self._resolved(t, at)
        self._in_progress(t, at)

    def _hours_to_resolve(self):
        # Most within two days, some within four, a few late (up to six days).
        return self.rng.choice([self.rng.randint(3, 48)] * 7 + [self.rng.randint(48, 96)] * 2
                               + [self.rng.randint(96, 144)])

    def _resolved(self, t, at):
        if t.category.department_duty and t.tier in ("grid", "community"):
            self._escalate(t, at, "部门职责，上报街道", to_tier="street", hours=1)
        self._accept(t, at)
        result, note = self.rng.choice(RESULTS)
        actions.resolve(t, self.handler(t.handling_unit_id), self.at(at, self._hours_to_resolve()),
                        result, note or "已处理完毕，感谢您的反映。")
        self.ratings.rate(t)
        if self.now - t.resolved_at > timedelta(days=7):
            actions.close(t, t.resolved_at + timedelta(days=7))

    def _reopened(self, t, at):
        self._resolved(t, at)
        if t.state == "resolved" and t.resident is not None:
            reopened = self.at(t.resolved_at, 20)
            actions.reopen(t, t.resident, reopened, "问题没有彻底解决，又出现了。")
            again = reopened + timedelta(hours=self.rng.randint(12, 48))
            if again < self.now - timedelta(hours=1):  # handled again, unless just reopened
                actions.resolve(t, self.handler(t.handling_unit_id), again, "solved",
                                "再次上门处理，已彻底解决。")
