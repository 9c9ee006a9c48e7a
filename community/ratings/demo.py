"""Demo ratings: most resolutions rated, some 差评 with their 整改 cases, one upheld
appeal, then the rollups built, so the dashboards are alive after `make run`."""
from datetime import timedelta

from community.extensions import db

from . import appeals, cases, services
from .models import BAD_LEVELS

LEVELS = [("very_satisfied", 40), ("satisfied", 30), ("basic", 15), ("dissatisfied", 10),
          ("very_dissatisfied", 5)]
SOLVED_FOR = {"solved": "yes", "partly": "partly", "not_solvable": "no"}
COMMENTS = {"very_satisfied": "处理很及时，谢谢网格员！", "dissatisfied": "等了很久才有人来。",
            "very_dissatisfied": "问题根本没有解决。"}


class DemoRatings:
    def __init__(self, rng, now, handler):
        self.rng, self.now, self.handler = rng, now, handler  # handler(unit_id) -> a staff User
        self.appealed = False

    def rate(self, ticket):
        """Called right after a demo resolution; a third of residents stay silent (未评价)."""
        at = ticket.resolved_at + timedelta(hours=self.rng.randint(1, 72))
        if self.rng.random() > 0.65 or at >= self.now or ticket.resident is None:
            return  # (a request filed without an account is rated through its texted link)
        level = self.rng.choices([name for name, _ in LEVELS], [w for _, w in LEVELS])[0]
        solved = SOLVED_FOR.get(ticket.result, "yes")
        if level in BAD_LEVELS and solved == "yes":
            solved = self.rng.choice(["partly", "no"])
        reasons = [self.rng.choice(["not_solved", "too_slow", "attitude", "buck_passing", "not_contacted"])] \
            if level in BAD_LEVELS else []
        rating = services.rate(ticket, ticket.resident, at,
                               services.Answer(solved, level, COMMENTS.get(level, ""), reasons))
        if rating.case is not None:
            self._work_case(ticket, rating, at)

    def _work_case(self, ticket, rating, at):
        resolver = self.handler(rating.resolution.unit_id)
        if not self.appealed:
            self.appealed = True
            appeal = appeals.file_appeal(rating, resolver, at + timedelta(hours=2),
                                         "该评价反映的是小区物业收费问题，与本次报修无关。")
            appeals.decide_appeal(appeal, self._judge(appeal, ticket), at + timedelta(hours=20), True,
                                  "经核实，评价内容与本诉求无关，申诉成立。")
            return  # an upheld appeal closes its case
        if self.rng.random() < 0.35 or at + timedelta(days=2) >= self.now:
            return  # left open: the dashboards show open cases
        case = rating.case
        cases.record_callback(case, self.handler(ticket.community_id), at + timedelta(hours=5),
                              True, "居民表示维修后仍有问题，希望再来看看。")
        cases.explain(case, self.handler(ticket.community_id), at + timedelta(hours=26),
                      "已再次上门查看，并向居民说明了后续安排。")
        closing = at + timedelta(days=self.rng.choice([2, 3, 9]))
        if closing < self.now:
            cases.close_case(case, self.handler(ticket.street_id), closing, "同意结案。")


    def _judge(self, appeal, ticket):
        """The tier above the appealing unit (ratings.scope.is_judge)."""
        from sqlalchemy import select

        from community.auth.models import User

        if appeal.judge == "street":
            return self.handler(ticket.street_id)
        return db.session.scalar(select(User).where(User.unit_id == ticket.county_id,
                                                    User.role == appeal.judge).order_by(User.id).limit(1))


def build_rollups(now):
    from community.stats.rollup import rebuild_all

    db.session.flush()
    return rebuild_all(now, commit_every=10_000)
