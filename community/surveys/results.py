"""Results: the headline 满意率 per community and street with the figures' own rule
(community.stats.formulas: the same k for 基本满意, the same minimum sample before a
unit is ranked, the same Wilson interval), coverage for the county, and the
breakdown of every question for one community. Only counted answers are used."""
from collections import Counter

from flask import current_app
from sqlalchemy import func, select

from community.areas.models import Unit
from community.core.extensions import db
from community.ratings.models import Level
from community.stats.formulas import Params, satisfied_weight, wilson

from .models import Channel, Survey, SurveyResponse, SurveyVersion
from .services import communities


def _empty() -> dict:
    return {level.value: 0 for level in Level}


def level_counts(survey: Survey) -> dict[int, dict]:
    """Counted headline answers per community: {community_id: {level: n}}."""
    out: dict[int, dict] = {}
    rows = db.session.execute(
        select(SurveyResponse.community_id, SurveyResponse.headline_level, func.count())
        .where(SurveyResponse.survey_id == survey.id, SurveyResponse.counted.is_(True),
               SurveyResponse.headline_level.is_not(None))
        .group_by(SurveyResponse.community_id, SurveyResponse.headline_level))
    for community_id, level, n in rows:
        out.setdefault(community_id, _empty())[level] += n
    return out


def figure(counts: dict, params: Params) -> dict:
    """满意率 with its sample and Wilson band, ranked only with the minimum sample."""
    n = sum(counts.values())
    hits = satisfied_weight(counts, params)
    low, high = wilson(hits, n, params.z)
    return {"n": n, "rate": hits / n if n else None, "low": low, "high": high,
            "ranked": n >= params.min_sample, "levels": counts}


def _add(a: dict, b: dict) -> dict:
    return {k: a[k] + b[k] for k in a}


def overview(survey: Survey, visible=None) -> dict:
    """Per community and per street (the sums of its communities), the county's total
    and coverage: communities with at least `min_responses` counted answers / all.
    `visible(community)` limits the rows (a street sees its own communities)."""
    params = Params.from_config(current_app.config)
    counts = level_counts(survey)
    every = communities(survey)
    rows, streets = [], {}
    for community in every:
        c = counts.get(community.id, _empty())
        streets[community.street_id] = _add(streets.get(community.street_id, _empty()), c)
        if visible is None or visible(community):
            rows.append({"unit": community, **figure(c, params),
                         "covered": sum(c.values()) >= survey.min_responses})
    street_units = {u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_(list(streets))))}
    street_rows = [{"unit": street_units[sid], **figure(c, params)} for sid, c in streets.items()
                   if sid in street_units and (visible is None or any(r["unit"].street_id == sid
                                                                      for r in rows))]
    street_rows.sort(key=lambda r: r["unit"].code)
    total = _empty()
    for c in counts.values():
        total = _add(total, c)
    covered = sum(1 for community in every if sum(counts.get(community.id, _empty()).values())
                  >= survey.min_responses)
    behind = sorted((r for r in rows if not r["covered"]), key=lambda r: (r["n"], r["unit"].code))
    return {"communities": rows, "streets": street_rows, "county": figure(total, params),
            "covered": covered, "all": len(every), "behind": behind, "params": params}


def channels(survey: Survey, community_ids) -> Counter:
    """Counted answers by channel (web, link, visit, call) for these communities."""
    rows = db.session.execute(
        select(SurveyResponse.channel, func.count()).where(
            SurveyResponse.survey_id == survey.id, SurveyResponse.counted.is_(True),
            SurveyResponse.community_id.in_(list(community_ids)))
        .group_by(SurveyResponse.channel))
    return Counter({Channel(channel): n for channel, n in rows})


def not_counted(survey: Survey, community_ids) -> int:
    return db.session.scalar(select(func.count()).select_from(SurveyResponse).where(
        SurveyResponse.survey_id == survey.id, SurveyResponse.counted.is_(False),
        SurveyResponse.community_id.in_(list(community_ids)))) or 0


def breakdown(survey: Survey, community: Unit) -> list[dict]:
    """Each version's questions with the community's counted answers: five-level and
    choice questions as counts; text answers listed without who wrote them (staff only)."""
    params = Params.from_config(current_app.config)
    by_version: dict[int, list] = {}
    for version_id, answers in db.session.execute(
            select(SurveyResponse.version_id, SurveyResponse.answers).where(
                SurveyResponse.survey_id == survey.id, SurveyResponse.community_id == community.id,
                SurveyResponse.counted.is_(True)).order_by(SurveyResponse.id)):
        by_version.setdefault(version_id, []).append(answers)
    out = []
    versions = db.session.scalars(select(SurveyVersion).where(SurveyVersion.survey_id == survey.id)
                                  .order_by(SurveyVersion.number))
    for version in versions:
        answers = by_version.get(version.id, [])
        items = []
        for q in version.questions:
            given = [a[q["key"]] for a in answers if q["key"] in a]
            item = {"question": q, "n": len(given)}
            if q["kind"] == "level":
                counts = _empty()
                counts.update(Counter(given))
                item["figure"] = figure(counts, params)
            elif q["kind"] == "choice":
                item["counts"] = [(option, given.count(option)) for option in q["options"]]
            else:
                item["texts"] = given
            items.append(item)
        out.append({"version": version, "responses": len(answers), "items": items})
    return out

