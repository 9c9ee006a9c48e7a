"""A small world for walking every route as every kind of user.

Each route's URL parameters point at real rows: a request in grid S1C1G1 with a
photo (T), a street-level request with an assist task for department D1 (T2),
the resident's API token, an Open311 request, plus a second county C2 with its
own officer, so "a county of another unit" exists.
"""
import io
from types import SimpleNamespace

from PIL import Image
from werkzeug.datastructures import MultiDict

from community.api.tokens import create_token
from community.areas.services import load_areas, unit_by_code
from community.auth.models import Role, User
from community.core.extensions import db
from community.open311.keys import create_client
from community.open311.services import file_request
from community.projects.services import propose
from community.ratings.appeals import file_appeal
from community.ratings.services import rate
from community.residency.services import verify
from community.tickets import links
from community.tickets.photos import clean_photo
from community.tickets.services import Filing, submit_ticket
from community.core.timeutil import utcnow
from community.workqueue import actions, assist
from tests import factories
from tests.factories import T0

# Role name -> login (None: anonymous). The matrix's columns, in order.
ROLES = {
    "anonymous": None,
    "resident": "13800000001",         # filed T and T2
    "resident_other": "13800000002",   # same community, filed nothing
    "grid_other": "grid2",             # grid S1C1G2, next to T's grid
    "community_other": "community2",   # community S1C2
    "street_other": "street2",         # street S2
    "county_other": "county2",         # county C2
    "handler": "grid",                 # grid S1C1G1: T's handling unit
    "department": "dept",              # department D1, summoned on T2
    "supervisor": "supervisor",        # 考核办 of county C (issue 20): reads, judges, never handles
    "admin": "admin",
    "building_head": "13800000005",    # 楼门长 of 1号楼 in grid S1C1G1 (issue 29): T5 is there
    "provider": "provider",            # an account of provider P of S1C1; T5 is routed to P
}


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def build_world() -> SimpleNamespace:
    areas = factories.make_areas()
    people = factories.make_people(areas)
    load_areas([{"kind": "county", "code": "C2", "name": "邻区", "parent_code": ""}])
    county2 = User(username="county2", role=Role.COUNTY, unit=unit_by_code("C2"), name="county2",
                   password_hash=factories.hashed_password(), created_at=utcnow())
    db.session.add(county2)
    db.session.add(User(username="supervisor", role=Role.SUPERVISOR, unit=areas.C, name="考核办",
                        password_hash=factories.hashed_password(), created_at=utcnow()))
    photo = clean_photo(io.BytesIO(png_bytes()), "p.png")
    t1 = submit_ticket(Filing(kind="help", category_code="ELD", text="楼道灯坏了。",
                              community_id=areas.S1C1.id, grid_id=areas.S1C1G1.id,
                              contact_phone="13800000001", photos=[photo]), people.resident, T0)
    t2 = submit_ticket(Filing(kind="complaint", category_code="ENV", text="占道经营。",
                              community_id=areas.S1C1.id, grid_id=areas.S1C1G1.id),
                       people.resident, T0)
    actions.accept(t2, people.street, T0)
    task = assist.summon(t2, people.street, T0, [areas.D1.id], "需要城管")[0]
    t3 = submit_ticket(Filing(kind="help", category_code="ELD", text="井盖松动。",
                              community_id=areas.S1C1.id, grid_id=areas.S1C1G1.id),
                       people.resident, T0)
    actions.accept(t3, people.grid, T0)
    actions.resolve(t3, people.grid, T0, "solved", "已加固")
    rating = rate(t3, people.resident, T0, "no", "very_dissatisfied", reasons=["not_solved"])  # a 差评 opens a case
    appeal = file_appeal(rating, people.grid, T0, "与本单位无关")
    verify(people.community, T0, people.resident.id)  # the office met them: a member of S1C1
    project = propose(people.resident, T0, title="加装电梯", description="三号楼老人多，想加装电梯。",
                      community_id=areas.S1C1.id)
    token_row, _secret = create_token(people.resident, utcnow(), name="mine")
    client, _key = create_client("matrix-client", utcnow())
    record = file_request(client, MultiDict({"service_code": "ELD", "description": "路灯不亮",
                                             "address_id": "S1C1G1"}), [], utcnow())
    # T4: filed for a resident with no account (代办, hotline); its link was texted at filing.
    t4 = submit_ticket(Filing(kind="help", category_code="ELD", text="独居老人家中停水。",
                              community_id=areas.S1C1.id, grid_id=areas.S1C1G1.id, channel="hotline",
                              contact_phone="13900009999"), people.grid, T0)
    link_token = links.issue(t4, T0)
    survey, survey_token = make_survey(people, areas)
    t5, provider, head = _providers_and_heads(areas, people)
    db.session.commit()
    return SimpleNamespace(areas=areas, people=people, t1=t1, t2=t2, t3=t3, t4=t4, link_token=link_token,
                           task=task,
                           photo=t1.photos[0], token=token_row, open311=record, rating=rating,
                           appeal=appeal, case=rating_case(rating), project=project,
                           survey=survey, survey_token=survey_token,
                           t5=t5, provider=provider, head=head)


def rating_case(rating):
    from community.ratings.models import RectificationCase

    return db.session.scalar(db.select(RectificationCase).where(
        RectificationCase.rating_id == rating.id))


def make_survey(people, areas):
    """County C's satisfaction survey, open at T0, and a single-use link texted for S1C1."""
    from datetime import date

    from community.surveys import links as survey_links
    from community.surveys import services as surveys

    survey = surveys.create_survey(people.county, T0, title="满意度调查", min_responses=30,
                                   questions_text="满意度：您对社区服务满意吗？\n文字：建议",
                                   starts_on=date(2026, 11, 20), ends_on=date(2026, 11, 30))
    token = survey_links.issue(survey, areas.S1C1, "13900007777", T0, surveys.period_end(survey))
    return survey, token


def _providers_and_heads(areas, people):
    """Issue 29: provider P of S1C1 with its accounts on and one account; a building head
    (a resident) of 1号楼 in S1C1G1; T5, filed by the resident at 1号楼, naming P and
    routed to it by the handler."""
    from community.buildings.services import appoint
    from community.providers import services as providers
    from community.providers.models import ProviderAccount

    provider = providers.register(people.community, T0, areas.S1C1.id, "安居物业", "property", "GB-1")
    provider.accounts_enabled = True
    account = User(username="provider", role=Role.PROVIDER, name="物业小李",
                   password_hash=factories.hashed_password(), created_at=utcnow())
    head_user = User(phone="13800000005", role=Role.RESIDENT, name="楼门长",
                     password_hash=factories.hashed_password(), created_at=utcnow(),
                     home_community=areas.S1C1)
    db.session.add_all([account, head_user])
    db.session.flush()
    db.session.add(ProviderAccount(user_id=account.id, provider_id=provider.id, created_at=T0))
    [head] = appoint(people.community, T0, "13800000005", areas.S1C1G1.id, "1号楼")
    t5 = submit_ticket(Filing(kind="complaint", category_code="ELD", text="电梯坏了。",
                              community_id=areas.S1C1.id, grid_id=areas.S1C1G1.id, address="1号楼",
                              contact_phone="13800000001"), people.resident, T0)
    providers.name_provider(t5, people.grid, T0, provider.id, route=True)
    return t5, provider, head
