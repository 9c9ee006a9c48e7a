"""/projects/settings: the street publishes the rules of its communities' projects
(a new version each time, with its reason); a community office reads them."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from community.areas.models import Unit, UnitKind

from community.core.extensions import db
from community.web.submit import submit
from community.core.timeutil import utcnow

from . import access, rules
from .forms import RulesForm
from .views import bp


def _rules_communities():
    return list(db.session.scalars(select(Unit).where(
        Unit.kind == UnitKind.COMMUNITY, Unit.street_id == current_user.unit_id,
        Unit.active.is_(True)).order_by(Unit.code)))


@bp.route("/projects/settings", methods=["GET", "POST"])
@login_required
def settings():
    """The rules: the street sets them for its communities (a new version each time);
    a community office reads the rules it works under."""
    if not access.can_read_rules(current_user):
        abort(404)
    if current_user.role == "community":
        if request.method == "POST":
            abort(403)  # the office never sets the rules its own projects are judged by
        community = current_user.unit
        return render_template("projects/settings.html", form=None, community=community,
                               rules=rules.for_community(community.id),
                               history=rules.history(community.street_id, community.id))
    communities = _rules_communities()
    form = RulesForm(data=rules.defaults().values() if request.method == "GET" else None)
    form.community.choices = [("", _("本街道全部社区"))] + [(str(c.id), c.name) for c in communities]
    status = 200
    if form.validate_on_submit():
        done = submit(lambda: rules.set_rules(
            current_user, utcnow(), community_id=int(form.community.data) if form.community.data else None,
            reason=form.reason.data, **{name: getattr(form, name).data for name in rules.FIELDS}),
            form=form, field="reason",
            raced=(IntegrityError, _("规则刚被其他人修改，请刷新后重试。")))
        if done.ok:
            flash(_("新版本的议事规则已发布。"))
            return redirect(url_for("projects.settings"))
        status = done.status
    elif form.errors:
        status = 400
    current = [(c, rules.for_community(c.id)) for c in communities]
    return render_template("projects/settings.html", form=form, current=current,
                           history=rules.history(current_user.unit_id)), status
