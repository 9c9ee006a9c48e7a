"""Demo ratings: most resolutions rated, some 差评 with their 整改 cases, one upheld
appeal (seed-demo then builds the rollups, so the dashboards are alive after `make run`)."""
from datetime import timedelta

from community.core.extensions import db

from . import appeals, cases, services
from .models import BAD_LEVELS

SOLVED_FOR = {"solved": "yes", "partly": "partly", "not_solvable": "no"}
# How residents rate, by whether they say the problem was solved: a solved one is
# mostly 满意, one left unsolved rarely is (weights of very_satisfied … very_dissatisfied).
LEVEL_NAMES = ["very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied"]
LEVEL_WEIGHTS = {"yes": [50, 32, 12, 4, 2], "partly": [6, 24, 40, 22, 8], "no": [2, 6, 30, 37, 25]}
# A resident's own view of the outcome differs from the officer's now and then.
SAYS_SOLVED = {"yes": [("yes", 90), ("partly", 8), ("no", 2)],
               "partly": [("partly", 70), ("yes", 15), ("no", 15)],
               "no": [("no", 75), ("partly", 20), ("yes", 5)]}
# Comments that fit both the level and what the resident said of the outcome.
COMMENTS = {
    ("very_satisfied", "yes"): ["处理很及时，谢谢网格员！", "当天就来人修好了，点赞。", "态度很好，问题解决了。"],
    ("satisfied", "yes"): ["解决了，就是等了两天。", "已经修好，谢谢。", ""],
    ("basic", "yes"): ["问题解决了，但过程有点慢。", ""],
    ("satisfied", "partly"): ["基本解决了，剩下的等业委会表决。", ""],
    ("basic", "partly"): ["只解决了一部分，希望继续跟进。", ""],
    ("basic", "no"): ["解释清楚了，虽然没能解决。", ""],
    ("dissatisfied", "yes"): ["最后是修好了，但等了很久才有人来。"],
    ("dissatisfied", "partly"): ["只处理了一半，另一半没人管。", "等了很久才有人来。"],
    ("dissatisfied", "no"): ["说不归他们管，又让我去找别人。", "问题没有解决。"],
    ("very_dissatisfied", "partly"): ["来了看一眼就走了，没有实质处理。"],
    ("very_dissatisfied", "no"): ["问题根本没有解决。", "反映了好几次都没人管。"],
}


class DemoRatings:
    def __init__(self, rng, now, handler):
        self.rng, self.now, self.handler = rng, now, handler  # handler(unit_id) -> a staff User
        self.appealed = False

    def rate(self, ticket):
        """Called right after a demo resolution; a third of residents stay silent (未评价)."""
        at = ticket.resolved_at + timedelta(hours=self.rng.randint(1, 72))
        if self.rng.random() > 0.65 or at >= self.now or ticket.resident is None:
            return  # (a request filed without an account is rated through its texted link)
        level, solved, comment = self.answer(SOLVED_FOR.get(ticket.result, "yes"))
        reasons = []
        if level in BAD_LEVELS:
            reasons = ["too_slow"] if solved == "yes" else \
                [self.rng.choice(["not_solved", "not_solved", "buck_passing", "attitude", "not_contacted"])]
        rating = services.rate(ticket, ticket.resident, at,
                               services.Answer(solved, level, comment, reasons))
        if rating.case is not None:
            self._work_case(ticket, rating, at)

    def answer(self, outcome: str) -> tuple[str, str, str]:
        """(level, solved, comment) that agree with each other, for the officer's outcome."""
        choices = SAYS_SOLVED[outcome]
        solved = self.rng.choices([s for s, _ in choices], [w for _, w in choices])[0]
        level = self.rng.choices(LEVEL_NAMES, LEVEL_WEIGHTS[solved])[0]
        comments = COMMENTS.get((level, solved)) or [""]
        return level, solved, self.rng.choice(comments)

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

