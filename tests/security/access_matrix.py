"""Who gets what: every route × every role, the answer expected.

Answers: "ok" (2xx), "login" (a redirect to the sign-in page), "redirect"
(another 3xx) or an HTTP status (400, 401, 403, 404, 405, 409, 422 …).
"*" is the answer for every role not named. A route the app serves that has no
entry here fails tests/security/test_access_matrix.py: decide its answers and
add it. Writes are sent with a valid CSRF token and an empty form, so a refusal
here is about who asks, not about what they sent; the right role's empty form
ends in its own 4xx ("bad input") or in the action being done.

Roles (tests/security/world.py): anonymous; resident (filed T and T2);
resident_other; grid_other (the grid next to T's); community_other, street_other,
county_other (units that do not contain T); handler (T's grid worker);
department (D1, summoned on T2); supervisor (考核办 of T's county C: reads the county,
judges county units' appeals, handles nothing); admin. T4 was filed by the handler for
a resident with no account; its single-use link (texted at filing) is `link_token`.
"""

# URL parameter -> its value in the world.
PARAMS = {
    "code": lambda w: w.t1.tracking_code,
    "ticket_id": lambda w: w.t1.id,
    "photo_id": lambda w: w.photo.id,
    "token_id": lambda w: w.token.id,
    "task_id": lambda w: w.task.id,
    "action": lambda w: "accept",
    "step": lambda w: "report_in",
    "fmt": lambda w: "json",
    "filename": lambda w: "css/site.css",
    "token": lambda w: w.open311.token,
    "unit_id": lambda w: w.areas.S1C1.id,
    "what": lambda w: "figures",
    "rating_id": lambda w: w.rating.id,
    "appeal_id": lambda w: w.appeal.id,
    "case_id": lambda w: w.case.id,
    "row_id": lambda w: 1,
    "project_id": lambda w: w.project.id,
    "meeting_id": lambda w: 1,      # none held yet: 404 for all
    "resource_id": lambda w: 1,     # none registered yet: 404 for all
    "link_id": lambda w: 1,         # no 对接 yet: 404 for all
    "residency_id": lambda w: 1,    # the resident's verified residency in S1C1
    "community_id": lambda w: w.areas.S1C1.id,
    "survey_id": lambda w: w.survey.id,
    "user_id": lambda w: w.people.street.id,      # a staff account no role signs in with
    "category_id": lambda w: _category_id("ELD"),
    "subscription_id": lambda w: 1,               # none made yet: 404
    "hotspot_id": lambda w: 1,      # none found in the world: 404 in scope, 403 without hotspot pages
    "topic_id": lambda w: 1,        # no 每月一题 yet: 404 for staff
    "provider_id": lambda w: w.provider.id,
    "head_id": lambda w: w.head.id,
}


def _category_id(code):
    from community.core.extensions import db
    from community.tickets.models import Category

    return db.session.scalar(db.select(Category.id).where(Category.code == code))

# Where a parameter means something else for one endpoint.
ENDPOINT_PARAMS = {
    "api_v1.get_area": {"code": lambda w: "S1C1G1"},
    "open311.service_definition": {"code": lambda w: "ELD"},
    "stats.export_view": {"fmt": lambda w: "csv"},
    "projects.public_community": {"code": lambda w: "S1C1"},
    "projects.public_lists": {"code": lambda w: "S1C1"},
    "api_v1.get_rating": {"code": lambda w: w.t3.tracking_code},   # resolved and rated
    "api_v1.post_rating": {"code": lambda w: w.t3.tracking_code},
    "links.open_link": {"token": lambda w: w.link_token},
    "links.rate": {"token": lambda w: w.link_token},
    "links.cancel": {"token": lambda w: w.link_token},
    "links.reopen": {"token": lambda w: w.link_token},
    "ratings.callback_rating": {"ticket_id": lambda w: w.t3.id},
    "open311.media": {"token": lambda w: "forged", "ext": lambda w: "jpg"},
    "exchange.receive_order": {"name": lambda w: "hotline"},
    "survey_answer.answer": {"code": lambda w: "S1C1"},
    "survey_answer.submit": {"code": lambda w: "S1C1"},
    "survey_answer.send_link": {"code": lambda w: "S1C1"},
    "survey_answer.link_page": {"token": lambda w: w.survey_token},
    "survey_answer.link_answer": {"token": lambda w: w.survey_token},
    "exchange_admin.change_subscription": {"step": lambda w: "pause"},
    "hotspots.finish_task": {"task_id": lambda w: 1},  # a proactive task (none yet), not the assist task
    "providers.public_list": {"code": lambda w: "S1C1"},
    "providers.account_ticket": {"ticket_id": lambda w: w.t5.id},
    "providers.account_answer": {"ticket_id": lambda w: w.t5.id, "step": lambda w: "reply"},
    "buildings.ticket": {"ticket_id": lambda w: w.t5.id},
}

# Writes send these (a form, or JSON for the API): valid input, so the answer is about who asks.
BODIES = {
    "POST /t/<code>/info": {"text": "补充：三楼也不亮。"},
    "POST /t/<code>/cancel": {"reason": "已自行解决"},
    "POST /t/<code>/reopen": {"reason": "没有修好"},
    "POST /t/<code>/rate": {"solved": "yes", "level": "satisfied"},
    "POST /r/<token>/rate": {"solved": "yes", "level": "satisfied"},
    "POST /r/<token>/cancel": {"reason": "已自行解决"},
    "POST /r/<token>/reopen": {"reason": "没有修好"},
    "POST /work/tickets/<int:ticket_id>/callback-rating": {"solved": "yes", "level": "satisfied"},
    "POST /api/v1/requests": {"kind": "help", "category": "ELD", "text": "路灯坏了", "grid": "S1C1G1"},
    "POST /api/v1/requests/<code>/respond": {"text": "已联系物业"},
    "POST /api/v1/requests/<code>/ask-info": {"text": "请补充楼号"},
    "POST /api/v1/requests/<code>/resolve": {"result": "solved", "note": "已修好。"},
    "POST /api/v1/requests/<code>/escalate": {"reason": "需要街道协调"},
    "POST /api/v1/requests/<code>/return": {"reason": "不属于本网格"},
    "POST /api/v1/requests/<code>/reroute": {"unit": "S1C1G2"},
    "POST /api/v1/requests/<code>/reassign": {"assignee": "grid"},
    "POST /api/v1/requests/<code>/merge": lambda w: {"into": w.t2.tracking_code},
    "POST /api/v1/requests/<code>/extension": {"days": 3, "reason": "等待材料"},
    "POST /api/v1/requests/<code>/extension-decision": {"approve": True},
    "POST /api/v1/requests/<code>/summon": {"departments": ["D1"], "reason": "需要城管"},
    "POST /api/v1/requests/<code>/reopen": {"reason": "没有修好"},
    "POST /api/v1/requests/<code>/info": {"text": "补充"},
    "POST /api/v1/requests/<code>/cancel": {"reason": "不需要了"},
    "POST /api/v1/assist/<int:task_id>/finish": {"report": "已清理"},
    "POST /api/v1/tokens": {"name": "脚本"},
    "POST /api/v1/requests/<code>/rating": {"solved": "yes", "level": "satisfied"},
    "POST /s/<int:survey_id>/<code>": {"q1": "satisfied"},
    "POST /s/<token>": {"q1": "satisfied"},
    "POST /s/<int:survey_id>/<code>/link": {"phone": "13900001234"},
    "POST /providers": lambda w: {"community": w.areas.S1C1.id, "name": "新物业", "field": "property"},
    "POST /providers/<int:provider_id>/options": {"accounts_enabled": "1", "active": "1"},
    "POST /providers/<int:provider_id>/commend": {"note": "暴雨夜抢修"},
    "POST /providers/<int:provider_id>/accounts": {"username": "matrix-account", "password": "a-long-password"},
    "POST /work/tickets/<int:ticket_id>/provider": lambda w: {"provider": w.provider.id},
    "POST /provider/tickets/<int:ticket_id>/<step>": {"text": "明天上午来修。"},
    "POST /buildings/file": lambda w: {"submit_token": "matrix", "kind": "help", "category": "ELD",
                                       "text": "王奶奶家水管漏水。", "grid": w.areas.S1C1G1.id,
                                       "address": "1号楼302", "contact_phone": "13900008888"},
    "POST /building-heads": lambda w: {"phone": "13800000002", "grid": w.areas.S1C1G1.id,
                                       "buildings": "9号楼"},
}
# (route, role) that may show the resident's full phone number: the handler's reveal, and the
# resident's own download of everything held about them.
PHONE_SHOWN = {("POST /api/v1/requests/<code>/reveal-contact", "handler"),
               ("GET /account/data.json", "resident")}

STAFF = ("grid_other", "community_other", "street_other", "county_other", "handler",
         "department", "supervisor", "admin")
RESIDENTS = ("resident", "resident_other")


def some(answer, roles, **others):
    """The same answer for several roles, plus named exceptions."""
    return {**{role: answer for role in roles}, **others}


# Shorthands: who answers what, for the usual shapes.
LOGIN = {"anonymous": "login"}          # signed-in only; everyone signed in may
STAFF_ONLY = {"*": "ok", "anonymous": "login", "resident": 404, "resident_other": 404}
ADMIN_403 = {"*": 403, "anonymous": "login", "admin": "ok"}
API_STAFF = {"*": "ok", "anonymous": 401, "resident": 403, "resident_other": 403}
# A request T in grid S1C1G1: its resident, its handler and the admin see it; no one else
# learns it exists.
API_T = {"*": 404, "anonymous": 401, "resident": "ok", "handler": "ok", "supervisor": "ok",
         "admin": "ok"}
# An action on T through the API: staff outside T's units get 404, the resident and
# the admin (no unit) and the county's supervisor (handles nothing) a 403, the handler does it.
API_ACT = {"*": 404, "anonymous": 401, "resident": 403, "handler": "ok", "supervisor": 403,
           "admin": 403}
EVERYONE = {"*": "ok"}
_HOTSPOT_LIST = {"*": 403, "anonymous": "login", "community_other": "ok", "street_other": "ok",
                 "county_other": "ok", "supervisor": "ok", "admin": "ok"}
_HOTSPOT_ONE = {**_HOTSPOT_LIST, "community_other": 404, "street_other": 404, "county_other": 404,
                "supervisor": 404, "admin": 404}

EXPECTED = {
    # -- resident pages -----------------------------------------------------------------
    "GET /": EVERYONE,
    "POST /": {"*": 400, "anonymous": "login"},  # an empty filing form: its own errors
    "GET /t": EVERYONE,
    # The tracking code is the key: whoever holds it follows the request (no sign-in).
    "GET /t/<code>": EVERYONE,
    "GET /t/<code>/photos/<int:photo_id>": EVERYONE,
    "POST /t/<code>/info": {"*": "redirect"},
    # The code alone reads and adds information; withdrawing and reopening T (filed from
    # an account) need that account (issue 20). The resident walks the writes after the
    # API's cancel, so T is already withdrawn (409); not resolved, so reopen is refused
    # on the page (redirect).
    "POST /t/<code>/cancel": {"*": 403, "resident": 409},
    "POST /t/<code>/reopen": {"*": 403, "resident": "redirect"},
    "POST /t/<code>/rate": {"*": 403},             # T is not resolved: nobody may rate it yet
    # T4's single-use link: its page opens for whoever holds it; it cancels T4 (no unit
    # has accepted it) for anyone but staff, who never act in the resident's name; a
    # filing link neither rates nor reopens.
    "GET /r/<token>": EVERYONE,
    "POST /r/<token>/cancel": {"*": "redirect", **{role: 403 for role in STAFF}},
    "POST /r/<token>/rate": {"*": 403},
    "POST /r/<token>/reopen": {"*": 403},
    "GET /my": {"*": "redirect", "anonymous": "login", "resident": "ok", "resident_other": "ok"},
    "GET /notifications": {"*": "ok", **LOGIN},
    "POST /notifications": {"*": "redirect", **LOGIN},
    "GET /tickets/<int:ticket_id>/photos/<int:photo_id>":
        {"*": 404, "anonymous": "login", "resident": "ok", "handler": "ok", "supervisor": "ok",
         "admin": "ok"},
    # -- accounts -----------------------------------------------------------------------
    "GET /login": EVERYONE,
    "POST /login": {"*": 400},
    "POST /logout": {"*": "redirect", **LOGIN},
    # Everyone signed in keeps their own account: password, sign out everywhere (issue 21).
    "GET /account": {"*": "ok", **LOGIN},
    "POST /account/password": {"*": 400, **LOGIN},  # an empty form: its own errors
    "POST /account/sign-out-everywhere": {"*": "redirect", **LOGIN},
    # A resident's own data (PIPL): download, delete. Staff accounts are the admin's: 404.
    "GET /account/data": {"*": 404, "anonymous": "login", "resident": "ok", "resident_other": "ok"},
    "GET /account/data.json": {"*": 404, "anonymous": "login", "resident": "ok", "resident_other": "ok"},
    "POST /account/delete": {"*": 404, "anonymous": "login", "resident": 400, "resident_other": 400},
    "GET /signup": EVERYONE,
    "POST /signup": {"*": 400},
    # Issue 24. /dev/messages exists only in development with the development sender
    # (never in production): there it lists the texts "sent", for whoever runs the app.
    "GET /dev/messages": EVERYONE,
    "GET /reset": EVERYONE,
    "POST /reset": {"*": 400},             # an empty form: the phone is missing
    "GET /work/search": STAFF_ONLY,        # the results are scoped (tests/views/test_everyday.py)
    "GET /areas/<int:community_id>/grids": {"*": "ok", **LOGIN},  # public area names, for the filing form
    "GET /areas/locate": {"*": 400, **LOGIN},  # no point given; with one: tests/views/test_maps.py
    "GET /public/photos/<int:photo_id>": {"*": 404},  # the world's photo is a resident's, never published
    "POST /prefs/elder": {"*": "redirect"},
    "GET /account/api-tokens": {"*": "ok", **LOGIN},
    "POST /account/api-tokens": {"*": "ok", **LOGIN},
    "POST /account/api-tokens/<int:token_id>/revoke":
        {"*": 404, "anonymous": "login", "resident": "redirect"},  # the resident's own token
    # -- staff --------------------------------------------------------------------------
    "GET /work": STAFF_ONLY,
    "GET /work/tickets/<int:ticket_id>": {"*": 404, "anonymous": "login", "handler": "ok",
                                          "supervisor": "ok", "admin": "ok"},
    # action "accept": the handler already accepted T through the API (409); the admin
    # has no unit and the supervisor handles nothing, so both may look but not handle (403).
    "POST /work/tickets/<int:ticket_id>/<action>": {"*": 404, "anonymous": "login",
                                                    "handler": 409, "supervisor": 403, "admin": 403},
    # 回访 rating of T3 (filed from an account, already rated): the county's supervisor
    # may record callbacks but not for a resident with an account (403); the handler
    # never (403); the admin runs the system and records none (403).
    "POST /work/tickets/<int:ticket_id>/callback-rating": {"*": 404, "anonymous": "login",
                                                           "handler": 403, "supervisor": 403,
                                                           "admin": 403},
    # step "report_in" on D1's task: D1 already reported in through the API (409).
    "POST /work/assist/<int:task_id>/<step>": {"*": 404, "anonymous": "login", "department": 409},
    "GET /admin/contact-reveals": {"*": 404, "anonymous": "login", "admin": "ok"},
    # -- JSON API -----------------------------------------------------------------------
    "GET /api/v1/openapi.json": EVERYONE,
    "GET /api/v1/docs": EVERYONE,
    "GET /api/v1/areas": EVERYONE,
    "GET /api/v1/areas/<code>": EVERYONE,
    "GET /api/v1/areas/locate": {"*": 422},  # no point given
    "GET /api/v1/categories": EVERYONE,
    "GET /api/v1/me": {"*": "ok", "anonymous": 401},
    "GET /api/v1/assist": API_STAFF,
    "GET /api/v1/queue": API_STAFF,
    "GET /api/v1/requests": {"*": "ok", "anonymous": 401},  # each caller's own scope
    "GET /api/v1/requests/<code>": API_T,
    "GET /api/v1/requests/<code>/timeline": API_T,
    # Staff outside the grid may not file there (403); staff inside must give the
    # resident's phone (422); residents file for themselves.
    "POST /api/v1/requests": {"*": 403, "anonymous": 401, "resident": "ok", "resident_other": "ok",
                              "handler": 422, "admin": 422},
    "POST /api/v1/requests/<code>/accept": API_ACT,
    "POST /api/v1/requests/<code>/ask-info": API_ACT,
    "POST /api/v1/requests/<code>/respond": API_ACT,
    "POST /api/v1/requests/<code>/reassign": API_ACT,
    "POST /api/v1/requests/<code>/extension": API_ACT,
    "POST /api/v1/requests/<code>/escalate": API_ACT,
    # Walked after escalate moved T to the community: the grid worker is no longer its
    # handler (403), which is the point.
    "POST /api/v1/requests/<code>/merge": {**API_ACT, "handler": 403},
    "POST /api/v1/requests/<code>/reroute": {**API_ACT, "handler": 403},
    "POST /api/v1/requests/<code>/resolve": {**API_ACT, "handler": 403},
    "POST /api/v1/requests/<code>/return": {**API_ACT, "handler": 403},
    "POST /api/v1/requests/<code>/summon": {**API_ACT, "handler": 403},  # grid tier: no
    # Extension decisions belong to the supervising community (not a role here); the
    # admin may decide, but nothing is pending (409).
    "POST /api/v1/requests/<code>/extension-decision": {**API_ACT, "handler": 403, "admin": 409},
    "POST /api/v1/requests/<code>/reopen": {**API_ACT, "resident": 409, "handler": 409,
                                           "supervisor": 409, "admin": 409},  # not resolved
    "POST /api/v1/requests/<code>/info": {**API_ACT, "resident": "ok", "handler": 403},
    "POST /api/v1/requests/<code>/cancel": {**API_ACT, "resident": "ok", "handler": 403},
    "POST /api/v1/requests/<code>/reveal-contact": {**API_ACT, "resident_other": 403},
    "POST /api/v1/assist/<int:task_id>/report-in": {**API_STAFF, "*": 404, "department": 409},
    "POST /api/v1/assist/<int:task_id>/finish": {**API_STAFF, "*": 404, "department": "ok"},
    "GET /api/v1/tokens": {"*": "ok", "anonymous": 401},
    "POST /api/v1/tokens": {"*": "ok", "anonymous": 401},
    "DELETE /api/v1/tokens/<int:token_id>": {"*": 404, "anonymous": 401, "resident": "ok",
                                             "admin": "ok"},
    # -- Open311: public reads (public fields only), writes need a client api_key --------
    "GET /open311/v2/discovery.<any(json, xml):fmt>": EVERYONE,
    "GET /open311/v2/services.<any(json, xml):fmt>": EVERYONE,
    "GET /open311/v2/services/<code>.<any(json, xml):fmt>": EVERYONE,
    "GET /open311/v2/requests.<any(json, xml):fmt>": EVERYONE,
    "GET /open311/v2/requests/<code>.<any(json, xml):fmt>": EVERYONE,
    "GET /open311/v2/tokens/<token>.<any(json, xml):fmt>": EVERYONE,
    "POST /open311/v2/requests.<any(json, xml):fmt>": {"*": 403},
    # SMS receipts (issue 26): only the gateway, with the secret path token; a guess is 404 for all.
    "POST /sms/receipts/aliyun/<token>": {"*": 404},
    "POST /sms/receipts/tencent/<token>": {"*": 404},
    # a posted photo's signed address: a forged one names nothing (issue 27)
    "GET /open311/v2/media/<token>.<any(jpg, png):ext>": {"*": 404},
    # -- exchange (issue 27): orders only with an upstream's signature; its admin page --
    "POST /exchange/v1/upstreams/<name>/orders": {"*": 401},
    "GET /admin/exchange": ADMIN_403,
    "POST /admin/exchange/subscriptions": {**ADMIN_403, "admin": 422},  # no client named
    "POST /admin/exchange/subscriptions/<int:subscription_id>/<any(pause, resume, delete):step>":
        {**ADMIN_403, "admin": 404},
    "GET /static/<path:filename>": EVERYONE,
    # -- operations (issue 25): no sign-in; /metrics by network or token (loopback here) --
    "GET /healthz": EVERYONE,
    "GET /readyz": EVERYONE,
    "GET /metrics": EVERYONE,
}

# Routes of the SLA admin, jobs, ratings, statistics, public and projects packages.
EXPECTED.update({
    "GET /admin/sla": ADMIN_403,
    "POST /admin/sla": {**ADMIN_403, "admin": 422},          # empty form
    "GET /admin": ADMIN_403,
    "GET /admin/calendar": ADMIN_403,
    "POST /admin/calendar": {**ADMIN_403, "admin": 422},
    "POST /admin/calendar/preview": {**ADMIN_403, "admin": 422},  # nothing pasted
    "POST /admin/calendar/import": {**ADMIN_403, "admin": 422},
    "GET /admin/jobs": ADMIN_403,
    # The admin's pages (issue 24): accounts, areas, categories, the audit. An empty form is
    # bad input (422), except "active" (no value: disable) and a password reset (no input).
    "GET /admin/users": ADMIN_403,
    "POST /admin/users": {**ADMIN_403, "admin": 422},
    "GET /admin/users/<int:user_id>": ADMIN_403,
    "POST /admin/users/<int:user_id>/role": {**ADMIN_403, "admin": 422},
    "POST /admin/users/<int:user_id>/active": {**ADMIN_403, "admin": "redirect"},
    "POST /admin/users/<int:user_id>/password": ADMIN_403,
    "GET /admin/areas": ADMIN_403,
    "POST /admin/areas/<int:unit_id>": {**ADMIN_403, "admin": 422},
    "POST /admin/areas/<int:unit_id>/children": {**ADMIN_403, "admin": 422},
    "POST /admin/areas/boundaries": {**ADMIN_403, "admin": 422},
    "GET /admin/categories": ADMIN_403,
    "POST /admin/categories": {**ADMIN_403, "admin": 422},
    "GET /admin/categories/<int:category_id>": ADMIN_403,
    "POST /admin/categories/<int:category_id>": {**ADMIN_403, "admin": 422},
    "GET /admin/audit": ADMIN_403,
    "POST /admin/jobs/outbox/<int:row_id>/retry": {**ADMIN_403, "admin": "redirect"},
    # 好差评 staff pages: lists are scoped per unit; a case or rating of T3 (grid S1C1G1)
    # only for its handler and the admin.
    "GET /ratings": STAFF_ONLY,
    "GET /ratings/appeals": STAFF_ONLY,
    "GET /ratings/cases": STAFF_ONLY,
    "GET /ratings/cases/<int:case_id>": {"*": 404, "anonymous": "login", "handler": "ok",
                                         "supervisor": "ok", "admin": "ok"},
    "POST /ratings/cases/<int:case_id>/<step>": {"*": 404, "anonymous": "login"},  # no such step
    "POST /ratings/<int:rating_id>/appeal": {"*": 404, "anonymous": "login", "handler": 422,
                                             "supervisor": 403, "admin": 403},
    # The appeal of T3's 差评 was filed by its grid: its street (S1, not a role here) judges
    # it (issue 20); the grid itself, the county's supervisor and the admin may not.
    "POST /ratings/appeals/<int:appeal_id>/decide": {"*": 404, "anonymous": "login",
                                                     "handler": 403, "supervisor": 403, "admin": 403},
    # Figures: staff see their own unit's (S1C1 here: none of these roles but the admin).
    "GET /stats": {"*": "redirect", "anonymous": "login", "resident": 404, "resident_other": 404},
    "GET /stats/units/<int:unit_id>": {"*": 404, "anonymous": "login", "supervisor": "ok",
                                       "admin": "ok"},
    # The dashboard map's grid outlines: refused as the dashboard refuses; S1C1 is a
    # community, whose dashboard has no grid map (404 even where the dashboard is ok;
    # a street's and a county's outlines: tests/views/test_maps.py).
    "GET /stats/units/<int:unit_id>/grids.json": {"*": 404, "anonymous": "login"},
    # The grids page (every grid of the map, paged): the same rule, the same 404 for a
    # community (tests/views/test_grid_table.py: a street's and a county's).
    "GET /stats/units/<int:unit_id>/grids": {"*": 404, "anonymous": "login"},
    "GET /stats/units/<int:unit_id>/export/<what>.<fmt>": {"*": 404, "anonymous": "login",
                                                          "supervisor": "ok", "admin": "ok"},
    "GET /public": EVERYONE,
    # API figures: staff get their own unit's (the admin, with no unit, must name one).
    "GET /api/v1/figures": {**API_STAFF, "admin": 422},
    # T3's rating (resolved, already rated): seen by those who see T3; the resident
    # cannot rate twice (409); nobody else may rate.
    "GET /api/v1/requests/<code>/rating": API_T,
    "POST /api/v1/requests/<code>/rating": {**API_ACT, "resident": 409, "handler": 403},
})

# 民生实事 projects: a proposal P in community S1C1 by the resident. Members of the
# community (its residents) and the offices above it see it; the public page shows it.
_P_VIEW = {"*": 404, "anonymous": "login", "resident": "ok", "resident_other": "ok", "admin": "ok"}
EXPECTED.update({
    "GET /projects": {"*": "ok", **LOGIN},
    "GET /projects/new": {"*": "ok", **LOGIN},
    "POST /projects/new": {"*": 403, "anonymous": "login", "resident": 422, "resident_other": 422,
                           "community_other": 422},
    "GET /projects/<int:project_id>": _P_VIEW,
    "POST /projects/<int:project_id>/<action>": {"*": 404, "anonymous": "login"},  # action "accept": none
    "POST /projects/<int:project_id>/meeting": {"*": 404, "anonymous": "login", "resident": 403,
                                                "resident_other": 403, "admin": 403},
    "GET /projects/<int:project_id>/meetings/<int:meeting_id>/minutes": {"*": 404, **LOGIN},
    # Grid workers read their community's 三项清单 (the menu links it only for those it opens).
    "GET /projects/lists": {"*": 404, "anonymous": "login", "community_other": "ok",
                            "street_other": "ok", "admin": "ok", "grid_other": "ok", "handler": "ok"},
    "POST /projects/lists/links": {"*": 404, "anonymous": "login", "community_other": 422},
    "POST /projects/lists/links/<int:link_id>/end": {"*": 404, **LOGIN},
    "GET /public/communities/<code>/lists": EVERYONE,
    # The rules are the street's (an empty form: its own 422); an office reads them, and
    # its attempt to set them is refused whatever it sends.
    "GET /projects/settings": {"*": 404, "anonymous": "login", "community_other": "ok",
                               "street_other": "ok"},
    "POST /projects/settings": {"*": 404, "anonymous": "login", "community_other": 403,
                                "street_other": 422},
    "GET /projects/resources/new": {"*": 404, "anonymous": "login", "community_other": "ok"},
    "POST /projects/resources/new": {"*": 404, "anonymous": "login", "community_other": 422},
    "GET /projects/resources/<int:resource_id>": {"*": 404, **LOGIN},
    "POST /projects/resources/<int:resource_id>": {"*": 404, **LOGIN},
    "POST /projects/resources/<int:resource_id>/retire": {"*": 404, **LOGIN},
    "GET /public/projects/<int:project_id>": EVERYONE,
    # Residency: each person's profile; verification by the community's office and grid
    # workers (the resident's row is verified already: 409 for the S1C1 grids).
    "GET /profile": {"*": "ok", **LOGIN},
    "POST /profile/residency": {"*": 404, "anonymous": "login", "resident": 422,
                                "resident_other": 422},
    "GET /residency": {"*": 404, "anonymous": "login", "community_other": "ok", "grid_other": "ok",
                       "handler": "ok"},
    "POST /residency/verify": {"*": 404, **LOGIN},
    "POST /residency/<int:residency_id>/refuse": {"*": 404, "anonymous": "login", "grid_other": 409,
                                                  "handler": 409},
    "GET /public/communities/<code>/projects": EVERYONE,
    # -- hotspots and 每月一题 (docs/hotspots.md): community, street, county (and 考核办)
    # list hotspots; grids, departments and residents have no hotspot pages (403).
    "GET /hotspots": _HOTSPOT_LIST,
    "GET /hotspots.geojson": _HOTSPOT_LIST,
    "GET /hotspots/figures": _HOTSPOT_LIST,
    "GET /hotspots/<int:hotspot_id>": _HOTSPOT_ONE,
    "POST /hotspots/<int:hotspot_id>/task": _HOTSPOT_ONE,
    "POST /hotspots/tasks/<int:task_id>/done": _HOTSPOT_ONE,
    "GET /topics": {"*": "ok", "anonymous": "login", "resident": 403, "resident_other": 403,
                    "provider": 403},
    "GET /topics/new": {"*": 403, "anonymous": "login", "county_other": "ok"},
    "POST /topics/new": {"*": 403, "anonymous": "login", "county_other": 422},  # empty form: its own errors
    "GET /topics/<int:topic_id>": {"*": 404, "anonymous": "login", "resident": 403, "resident_other": 403,
                                   "provider": 403},
    "POST /topics/<int:topic_id>/<step>": {"*": 404, "anonymous": "login", "resident": 403,
                                           "resident_other": 403, "provider": 403},
    "GET /public/topics": EVERYONE,
    "GET /public/topics/<int:topic_id>": {"*": 404},
})

# 满意度调查 (issue 29 §1): county C's survey, open now. County officers set surveys (only
# county_other here, of C2: it may open the form; its empty form is its own 422); staff of C
# read the results of their area; those whose area holds S1C1 (its grids, C's supervisor)
# print its poster and record answers (an empty form: 422). The phone page and the texted
# link are for residents and anyone holding the link; staff never answer there (403).
_S_READ = {"*": "ok", "anonymous": "login", "resident": 404, "resident_other": 404,
           "county_other": 404, "department": 404, "provider": 404}  # a provider account: no survey pages
_S_S1C1 = {"*": 404, "anonymous": "login", "grid_other": "ok", "handler": "ok", "supervisor": "ok"}
EXPECTED.update({
    "GET /surveys": {**STAFF_ONLY, "department": 404, "provider": 404},
    "GET /surveys/new": {"*": 403, "anonymous": "login", "resident": 404, "resident_other": 404,
                         "provider": 404, "county_other": "ok"},
    "POST /surveys/new": {"*": 403, "anonymous": "login", "resident": 404, "resident_other": 404,
                          "provider": 404, "county_other": 422},
    "GET /surveys/<int:survey_id>": _S_READ,
    "GET /surveys/<int:survey_id>/edit": {**_S_READ, "*": 403},
    "POST /surveys/<int:survey_id>/edit": {**_S_READ, "*": 403},
    "GET /surveys/<int:survey_id>/communities/<int:community_id>": {**_S_S1C1, "admin": "ok"},
    "GET /surveys/<int:survey_id>/communities/<int:community_id>/poster": _S_S1C1,
    "GET /surveys/<int:survey_id>/communities/<int:community_id>/record": _S_S1C1,
    "POST /surveys/<int:survey_id>/communities/<int:community_id>/record":
        {**_S_S1C1, "grid_other": 422, "handler": 422, "supervisor": 422},
    "GET /s/<int:survey_id>/<code>": EVERYONE,
    "POST /s/<int:survey_id>/<code>": {"*": 403, "anonymous": "login", "resident": "ok",
                                       "resident_other": "ok"},
    "POST /s/<int:survey_id>/<code>/link": {"*": 403, "anonymous": "redirect", "resident": "redirect",
                                            "resident_other": "redirect"},
    "GET /s/<token>": EVERYONE,
    "POST /s/<token>": {"*": "ok", **{role: 403 for role in STAFF}, "provider": 403},  # a business never answers
    "GET /public/surveys": EVERYONE,
})


# Issue 29. Providers of S1C1 (P): read by those who oversee the community (its office,
# its grids, its street, its county and 考核办, the admin), managed by its office, street
# and the admin; everyone else learns nothing (404). The provider account answers only
# T5, routed to P. The building head (a resident) sees T5 (in 1号楼) and files 代办 there.
_ONLY = {"*": 404, "anonymous": "login"}
_P_READ = {**_ONLY, "handler": "ok", "grid_other": "ok", "supervisor": "ok", "admin": "ok"}
# Overseers who do not manage (grid workers, 考核办) are refused (403).
_P_MANAGE = {**_ONLY, "handler": 403, "grid_other": 403, "supervisor": 403, "admin": "redirect"}
EXPECTED.update({
    "GET /providers": {"*": "ok", "anonymous": "login", "resident": 404, "resident_other": 404,
                       "building_head": 404, "provider": 404},
    # P's community S1C1: none of these offices but the admin registers there.
    "POST /providers": {"*": 403, "anonymous": "login", "resident": 404, "resident_other": 404,
                        "building_head": 404, "provider": 404, "admin": "redirect"},
    "GET /providers/<int:provider_id>": _P_READ,
    "POST /providers/<int:provider_id>/options": _P_MANAGE,
    "POST /providers/<int:provider_id>/commend": _P_MANAGE,
    "POST /providers/<int:provider_id>/accounts": _P_MANAGE,
    # Naming a provider on T: its handler and the admin; 考核办 sees T but handles nothing.
    "POST /work/tickets/<int:ticket_id>/provider": {**_ONLY, "handler": "redirect",
                                                   "supervisor": 403, "admin": "redirect"},
    "GET /public/communities/<code>/providers": EVERYONE,
    "GET /provider": {**_ONLY, "provider": "ok"},
    "GET /provider/tickets/<int:ticket_id>": {**_ONLY, "provider": "ok"},
    "POST /provider/tickets/<int:ticket_id>/<step>": {**_ONLY, "provider": "redirect"},
    "GET /buildings": {**_ONLY, "building_head": "ok"},
    "GET /buildings/tickets/<int:ticket_id>": {**_ONLY, "building_head": "ok"},
    "GET /buildings/file": {**_ONLY, "building_head": "ok"},
    "POST /buildings/file": {**_ONLY, "building_head": "redirect"},
    # The community office appoints in its own grids: community_other (S1C2) may open the
    # page but not appoint in S1C1G1 (403) nor end the head there (404); the admin may.
    "GET /building-heads": {**_ONLY, "community_other": "ok", "admin": "ok"},
    "POST /building-heads": {**_ONLY, "community_other": 403, "admin": "redirect"},
    "POST /building-heads/<int:head_id>/end": {**_ONLY, "admin": "redirect"},
})

# A building head is a resident for everything else: the same answers as resident_other
# (same community, filed nothing) wherever those are named.
for _answers in EXPECTED.values():
    if "resident_other" in _answers and "building_head" not in _answers:
        _answers["building_head"] = _answers["resident_other"]
# A provider account is neither staff nor resident: staff pages do not exist for it (404),
# the staff API refuses it (403), like a resident's; its own pages are above.
for _key, _answer in {
        "GET /work": 404, "GET /work/search": 404, "GET /ratings": 404, "GET /ratings/appeals": 404,
        "GET /ratings/cases": 404, "GET /stats": 404, "GET /api/v1/assist": 403,
        "GET /api/v1/queue": 403, "GET /api/v1/figures": 403,
        "POST /api/v1/assist/<int:task_id>/finish": 403,
        "POST /api/v1/assist/<int:task_id>/report-in": 403,
        "POST /api/v1/requests/<code>/reveal-contact": 403}.items():
    EXPECTED[_key] = {**EXPECTED[_key], "provider": _answer}
