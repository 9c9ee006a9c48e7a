"""成效群众评判: after completion, residents of the community rate the project once each;
the figures use the published satisfaction formula (community.stats.formulas)."""
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from community.auth.models import User
from community.errors import Conflict, InvalidTransition, NotAllowed, ValidationFailed
from community.extensions import db
from community.stats.formulas import FORMULA_VERSION, Params, satisfied_weight, valid_ratings, wilson

from . import access
from .models import Project, ProjectRating
from .services import _clean_text
from .states import BAD, GOOD, ProjectState, Satisfaction


def rate(project: Project, actor: User, now: datetime, satisfaction: str,
         comment: str = "") -> ProjectRating:
    if not access.is_member(actor, project):
        raise NotAllowed(_("只有本社区居民可以评价项目成效。"))
    if project.state != ProjectState.COMPLETED:
        raise InvalidTransition(_("项目完成后、评判结束前才能评价。"))
    if satisfaction not in Satisfaction.__members__.values():
        raise ValidationFailed(_("请选择满意程度。"), field="satisfaction")
    if my_rating(project, actor) is not None:
        raise Conflict(_("您已经评价过这个项目了。"))
    rating = ProjectRating(project_id=project.id, user_id=actor.id, satisfaction=satisfaction,
                           comment=_clean_text(comment, 500, "comment", _("意见"), required=False),
                           at=now)
    db.session.add(rating)
    try:
        db.session.flush()
    except IntegrityError:
        raise Conflict(_("您已经评价过这个项目了。")) from None
    return rating


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
