"""Pages: hotspots (list, GeoJSON for the maps, one hotspot with its requests), proactive
tasks and their figures, 每月一题 (staff) and its public results."""
import json
from datetime import timedelta

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from community.core.errors import NotAllowed, NotFound
from community.core.extensions import db
from community.tickets.services import active_categories
from community.core.timeutil import to_local, utcnow
from community.web.submit import submit

from . import access, tasks, topics
from .forms import TaskDoneForm, TaskForm, TopicForm, TopicStepForm
from .labels import KIND_LABELS, STATE_LABELS, TASK_STATE_LABELS
from .models import Hotspot, HotspotState, MonthlyTopic

bp = Blueprint("hotspots", __name__)
LIST_LIMIT = 200
STATE_FILTERS = ("running", "open", "tasked", "done", "lapsed", "all")


@bp.app_context_processor
def _globals():
    return {"HOTSPOT_KINDS": KIND_LABELS, "HOTSPOT_STATES": STATE_LABELS, "TASK_STATES": TASK_STATE_LABELS,
            "may_list_hotspots": lambda: access.may_list(current_user)}


def _hotspots(state: str) -> list[Hotspot]:
    query = (select(Hotspot).where(access.scope_filter(current_user))
             .options(selectinload(Hotspot.category), selectinload(Hotspot.grid),
                      selectinload(Hotspot.community), selectinload(Hotspot.street), selectinload(Hotspot.task))
             .order_by(Hotspot.ticket_count.desc(), Hotspot.id.desc()).limit(LIST_LIMIT))
    if state == "running":
        query = query.where(Hotspot.state.in_((HotspotState.OPEN, HotspotState.TASKED)))
    elif state != "all":
        query = query.where(Hotspot.state == state)
    return list(db.session.scalars(query))


def _state_arg() -> str:
    state = request.args.get("state", "running")
    return state if state in STATE_FILTERS else "running"


@bp.get("/hotspots")
@login_required
def index():
    state = _state_arg()
    return render_template("hotspots/index.html", hotspots=_hotspots(state), state=state,
                           states=STATE_FILTERS)


def feature_collection(hotspots: list[Hotspot]) -> dict:
    """GeoJSON for a map layer (a point each, at its requests' mean point or its grid's
    centre; none when neither is known). Staff pages only: no resident's data in it."""
    features = []
    for h in hotspots:
        geometry = None if h.centre_lat is None else {"type": "Point", "coordinates": [h.centre_long, h.centre_lat]}
        features.append({"type": "Feature", "id": h.id, "geometry": geometry, "properties": {
            "kind": h.kind, "state": h.state, "category": h.category.code, "count": h.ticket_count,
            "community": h.community.name, "grid": h.grid.name, "place": h.place_name,
            "url": url_for("hotspots.show", hotspot_id=h.id)}})
    return {"type": "FeatureCollection", "features": features}


@bp.get("/hotspots.geojson")
@login_required
def geojson():
    body = json.dumps(feature_collection(_hotspots(_state_arg())), ensure_ascii=False)
    return Response(body, mimetype="application/geo+json")


@bp.get("/hotspots/<int:hotspot_id>")
@login_required
def show(hotspot_id, status=200):
    hotspot = access.visible_hotspot(current_user, hotspot_id)
    tickets = sorted((link.ticket for link in hotspot.links), key=lambda t: t.submitted_at)
    can_open = access.can_open_task(current_user, hotspot) and hotspot.state != HotspotState.DONE
    return render_template(
        "hotspots/show.html", hotspot=hotspot, tickets=tickets, task=hotspot.task, can_open=can_open,
        owners=access.owner_choices(current_user) if can_open else [],
        can_finish=hotspot.task is not None and access.can_finish(current_user, hotspot.task),
        today=to_local(utcnow()).date(),
        task_form=TaskForm(formdata=None), done_form=TaskDoneForm(formdata=None),
        geojson=json.dumps(feature_collection([hotspot]), ensure_ascii=False)), status


def _act(call, message: str, back: str, page):
    """Commit and go back; refused: the same page again with the reason (a 404 stays one)."""
    done = submit(call, passes=NotFound)
    if not done.ok:
        return page(status=done.status)
    flash(message)
    return redirect(back)


@bp.post("/hotspots/<int:hotspot_id>/task")
@login_required
def open_task(hotspot_id):
    hotspot = access.visible_hotspot(current_user, hotspot_id)
    form = TaskForm()
    return _act(lambda: tasks.open_task(hotspot, current_user, utcnow(), owner_id=form.owner.data,
                                        due_on=form.due_on.data, plan=form.plan.data or ""),
                _("已立项主动治理。"), url_for("hotspots.show", hotspot_id=hotspot_id),
                lambda status: show(hotspot_id, status))


@bp.post("/hotspots/tasks/<int:task_id>/done")
@login_required
def finish_task(task_id):
    task = access.visible_task(current_user, task_id)
    hotspot_id = task.hotspot_id
    form = TaskDoneForm()
    return _act(lambda: tasks.finish_task(task, current_user, utcnow(), form.result.data or ""),
                _("主动治理已完成，已通知相关居民。"), url_for("hotspots.show", hotspot_id=hotspot_id),
                lambda status: show(hotspot_id, status))


@bp.get("/hotspots/figures")
@login_required
def figures():
    access.require_list(current_user)
    days = request.args.get("days", 90, type=int)
    days = days if days in (28, 90, 365) else 90
    now = utcnow()
    end = to_local(now).date()
    start = end - timedelta(days=days - 1)
    return render_template("hotspots/figures.html", f=tasks.figures(current_user, start, end, now),
                           days=days, start=start, end=end, after_days=_after_days())


def _after_days() -> int:
    from flask import current_app

    return int(current_app.config["COMMUNITY_HOTSPOT_AFTER_DAYS"])


# 每月一题 -------------------------------------------------------------------------

def _require_topics():
    if not access.may_read_topics(current_user):
        raise NotAllowed()


@bp.get("/topics")
@login_required
def topic_list():
    _require_topics()
    return render_template("hotspots/topics.html", topics=topics.topics_for(current_user),
                           can_pick=access.can_pick_topic(current_user))


@bp.route("/topics/new", methods=["GET", "POST"])
@login_required
def topic_new():
    if not access.can_pick_topic(current_user):
        raise NotAllowed()
    county, now = current_user.unit, utcnow()
    # Opened from a proposal's link, the form comes filled in from the query.
    form = TopicForm() if request.method == "POST" else TopicForm(formdata=request.args)
    status = 200
    if request.method == "POST":
        done = submit(lambda: topics.create_topic(
            current_user, now, title=form.title.data, description=form.description.data or "",
            lead_ids=form.leads.data or [], due_on=form.due_on.data,
            category_code=form.category.data or None, hotspot_id=form.hotspot.data or None,
            proposed_count=form.count.data or 0))
        if done.ok:
            flash(_("已选定本月的“每月一题”。"))
            return redirect(url_for("hotspots.topic_show", topic_id=done.value.id))
        status = done.status
    return render_template("hotspots/topic_new.html", proposals=topics.proposals(county, now), form=form,
                           leads=topics.lead_choices(county), categories=active_categories(),
                           chosen=set(form.leads.data or ())), status


@bp.get("/topics/<int:topic_id>")
@login_required
def topic_show(topic_id, status=200):
    topic = access.visible_topic(current_user, topic_id)
    return render_template("hotspots/topic.html", topic=topic, can_report=access.can_report(current_user, topic),
                           can_finish=access.can_pick_topic(current_user) and current_user.unit_id == topic.county_id
                           and topic.state == "open", step_form=TopicStepForm(formdata=None)), status


TOPIC_STEPS = {
    "update": (lambda t, f: topics.add_update(t, current_user, utcnow(), f.note.data or ""), _l("已记录进展。")),
    "project": (lambda t, f: topics.link_project(t, current_user, utcnow(), f.project.data),
                _l("已关联民生小实事项目。")),
    "done": (lambda t, f: topics.finish_topic(t, current_user, utcnow(), f.result.data or ""), _l("已办结并公开结果。")),
}


@bp.post("/topics/<int:topic_id>/<step>")
@login_required
def topic_step(topic_id, step):
    topic = access.visible_topic(current_user, topic_id)
    if step not in TOPIC_STEPS:
        raise NotFound()
    call, message = TOPIC_STEPS[step]
    form = TopicStepForm()
    return _act(lambda: call(topic, form), str(message), url_for("hotspots.topic_show", topic_id=topic_id),
                lambda status: topic_show(topic_id, status))


@bp.get("/public/topics")
def public_topics():
    return render_template("hotspots/public_topics.html", topics=topics.public_topics(),
                           public_projects=topics.public_projects)


@bp.get("/public/topics/<int:topic_id>")
def public_topic(topic_id):
    topic = db.session.get(MonthlyTopic, topic_id)
    if topic is None or topic.state != "done":
        raise NotFound()
    return render_template("hotspots/public_topic.html", topic=topic, projects=topics.public_projects(topic))
