"""成效群众评判: after completion, verified residents of the community rate the project
once each, for at least the street's judging period; their comments reach the office and
the units above it. Judging closes only after that period and with the turnout the rules
ask for, or is recorded publicly as 评判不足; a result under the 满意 line opens a 整改
case (community.projects.rectify). The figures use the published satisfaction formula
(community.stats.formulas)."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from community.auth.models import User
from community.core.errors import Conflict, InvalidTransition, NotAllowed, ValidationFailed
from community.core.extensions import db
from community.stats.formulas import FORMULA_VERSION, Params, satisfied_weight, valid_ratings, wilson
from community.core.text import clean_text

from . import access
from .labels import SATISFACTION
from .models import Project, ProjectEvent, ProjectRating
from .rules import for_project
from .services import transition
from .states import BAD, GOOD, JudgingResult, ProjectState, Satisfaction


def rate(project: Project, actor: User, now: datetime, satisfaction: str,
         comment: str = "") -> ProjectRating:
    if not access.is_member(actor, project):
        raise NotAllowed(_("只有经核实的本社区居民可以评价项目成效。"))
    if project.state != ProjectState.COMPLETED:
        raise InvalidTransition(_("项目完成后、评判结束前才能评价。"))
    if satisfaction not in Satisfaction.__members__.values():
        raise ValidationFailed(_("请选择满意程度。"), field="satisfaction")
    if my_rating(project, actor) is not None:
        raise Conflict(_("您已经评价过这个项目了。"))
    rating = ProjectRating(project_id=project.id, user_id=actor.id, satisfaction=satisfaction,
                           comment=clean_text(comment, 500, "comment", _("意见"), required=False),
                           at=now)
    db.session.add(rating)
    try:
        db.session.flush()
    except IntegrityError:
        raise Conflict(_("您已经评价过这个项目了。")) from None
    if rating.comment or satisfaction in BAD:
        _pass_on(project, rating)
    return rating


def _pass_on(project: Project, rating: ProjectRating) -> None:
    """A comment or a 差评 goes to the office, the street and (三级) the county; never who wrote it."""
    from .notices import tell_units

    def text():
        return _("【民生小实事】《%(title)s》收到居民评价：%(level)s。%(comment)s",
                 title=project.title, level=SATISFACTION[rating.satisfaction],
                 comment=rating.comment)

    units = [project.community_id, project.street_id] + ([project.county_id] if project.level == 3
                                                           else [])
    tell_units(project, units, rating.at, text)


def comments(project: Project) -> list[ProjectRating]:
    """What residents wrote, newest first, for the office and the units above it."""
    return list(db.session.scalars(select(ProjectRating).where(
        ProjectRating.project_id == project.id, ProjectRating.comment != "")
        .order_by(ProjectRating.at.desc(), ProjectRating.id.desc())))


def judging_ends(project: Project) -> datetime | None:
    """The earliest moment judging may close."""
    if project.completed_at is None:
        return None
    return project.completed_at + timedelta(days=for_project(project).judging_days)


def close(project: Project, actor: User, now: datetime, insufficient: bool = False) -> ProjectEvent:
    """End 成效群众评判 after the minimum period. With the turnout reached, the result is
    satisfied or under the line (a 整改 case opens); short of it, judging stays open
    unless the office records it as 评判不足, which is published as such."""
    from .rectify import open_case

    access.require(access.can_manage, actor, project)
    if project.state != ProjectState.COMPLETED:
        raise InvalidTransition(_("项目完成后、评判结束前才能结束评判。"))
    rules = for_project(project)
    ends = judging_ends(project)
    if now < ends:
        from community.core.timeutil import to_local

        raise ValidationFailed(_("群众评判至少进行 %(d)d 天，%(when)s 之后才能结束。", d=rules.judging_days,
                                 when=to_local(ends).strftime("%Y-%m-%d %H:%M")), field="note")
    figures = project_figures(project.id)
    if figures.rated < rules.judging_turnout and not insufficient:
        raise ValidationFailed(_("参评 %(n)d 人，未达到 %(m)d 人：评判继续；如确已无法达到，可记为“评判不足”结束。",
                                 n=figures.rated, m=rules.judging_turnout), field="note")
    if figures.rated < rules.judging_turnout:
        result = JudgingResult.INSUFFICIENT
    elif (figures.satisfaction or 0) < rules.satisfaction_line:
        result = JudgingResult.BELOW_LINE
    else:
        result = JudgingResult.SATISFIED
    note = _("参评 %(n)d 人，满意率 %(rate)s（满意线 %(line)d%%）", n=figures.rated,
             rate=figures.satisfaction_text, line=round(rules.satisfaction_line * 100))
    event = transition(project, ProjectState.EVALUATED, actor, now, action="evaluate", note=note)
    project.judging_result = result
    if result == JudgingResult.BELOW_LINE:
        open_case(project, now, figures.satisfaction)
    return event


def my_rating(project: Project, user) -> ProjectRating | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(ProjectRating).where(ProjectRating.project_id == project.id,
                                                         ProjectRating.user_id == user.id))


@dataclass
class Figures:
    counts: dict
    rated: int
    satisfaction: float | None
    good: float | None
    bad: float | None
    low: float | None
    high: float | None
    version: str = FORMULA_VERSION

    @property
    def satisfaction_text(self) -> str:
        return "—" if self.satisfaction is None else f"{self.satisfaction:.1%}"


def _figures(counts: dict) -> Figures:
    params = Params.from_config(current_app.config)
    valid = valid_ratings(counts)
    weight = satisfied_weight(counts, params)
    low, high = wilson(weight, valid, params.z)

    def share(n):
        return None if not valid else n / valid

    return Figures(counts=counts, rated=valid, satisfaction=share(weight),
                   good=share(sum(counts[s] for s in GOOD)), bad=share(sum(counts[s] for s in BAD)),
                   low=low, high=high)


def _counts(where) -> dict:
    counts = {s.value: 0 for s in Satisfaction}
    rows = db.session.execute(select(ProjectRating.satisfaction, func.count())
                              .join(Project, Project.id == ProjectRating.project_id)
                              .where(where).group_by(ProjectRating.satisfaction))
    counts.update({level: n for level, n in rows})
    return counts


def project_figures(project_id: int) -> Figures:
    return _figures(_counts(ProjectRating.project_id == project_id))


def community_figures(community_id: int) -> Figures:
    """All projects of a community together: what its residents think of what was built."""
    return _figures(_counts(Project.community_id == community_id))
