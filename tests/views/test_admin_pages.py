"""The admin's pages (issue 24): accounts, areas, categories, the audit; webhook
subscriptions and the delivery log (issue 27). Admin only, every change audited,
bad input refused with nothing changed."""
import io
import json
import re

import pytest
from sqlalchemy import select

from community.admin.models import AdminAudit
from community.areas.services import unit_by_code
from community.auth.models import User
from community.core.extensions import db
from community.tickets.models import Category
from tests.factories import PASSWORD, count, csrf_from, login

PAGES = ["/admin/users", "/admin/areas", "/admin/categories", "/admin/audit", "/admin/exchange"]
WRITES = ["/admin/users", "/admin/categories", "/admin/areas/boundaries", "/admin/exchange/subscriptions"]


def _post(client, url, data=None, page="/admin", **kwargs):
    token = csrf_from(client.get(page))
    return client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)


def _audit(action):
    return list(db.session.scalars(select(AdminAudit).where(AdminAudit.action == action)))


@pytest.mark.parametrize("who", ["13800000001", "grid", "community", "street", "county", "dept"])
def test_everyone_but_the_admin_is_refused(client, people, who):
    login(client, who)
    for page in PAGES:
        assert client.get(page).status_code == 403, page
    token = csrf_from(client.get("/t"))
    targets = WRITES + [f"/admin/users/{people.grid.id}/password", f"/admin/users/{people.grid.id}/active",
                        f"/admin/users/{people.grid.id}/role", f"/admin/areas/{people.grid.unit_id}"]
    for url in targets:
        assert client.post(url, data={"csrf_token": token, "username": "x", "role": "admin",
                                      "active": "0"}).status_code == 403, url
    db.session.expire_all()
    assert count(AdminAudit) == 0 and db.session.get(User, people.grid.id).active


def test_find_and_create_a_staff_account(client, people, areas, frozen):
    login(client, "admin")
    page = client.get("/admin/users?q=grid").get_data(as_text=True)
    assert "grid2" in page and "street" not in re.sub(r"<[^>]+>", " ", page).split("共")[1].split("新建")[0]
    assert "grid" in client.get("/admin/users?role=grid").get_data(as_text=True)
    made = _post(client, "/admin/users", {"username": "grid9", "name": "小李", "role": "grid",
                                          "unit": "S1C1G2"}, page="/admin/users")
    assert made.status_code == 200
    password = re.search(r'new-password">([^<]+)<', made.get_data(as_text=True)).group(1)
    user = db.session.scalar(select(User).where(User.username == "grid9"))
    assert user.role == "grid" and user.unit.code == "S1C1G2"
    row = _audit("user.create")[0]
    assert row.actor_id == people.admin.id and json.loads(row.detail)["unit"] == "S1C1G2"
    assert password not in row.detail
    client.get("/logout")
    login(client, "grid9", password)


@pytest.mark.parametrize("form, field", [
    ({"username": "grid", "role": "grid", "unit": "S1C1G1"}, "用户名已被使用"),
    ({"username": "x1", "role": "grid", "unit": "S1C1"}, "网格"),          # a community, not a grid
    ({"username": "x2", "role": "resident", "unit": ""}, "请选择工作人员角色"),
    ({"username": "has space", "role": "admin", "unit": ""}, "不含空格")])
def test_bad_staff_accounts_are_refused(client, people, form, field):
    login(client, "admin")
    before = count(User)
    answer = _post(client, "/admin/users", form, page="/admin/users")
    assert answer.status_code == 422 and field in answer.get_data(as_text=True)
    assert count(User) == before and count(AdminAudit) == 0


def test_move_disable_and_reset(client, app, people, areas, frozen):
    login(client, "admin")
    grid = people.grid
    assert client.get(f"/admin/users/{grid.id}").status_code == 200
    assert _post(client, f"/admin/users/{grid.id}/role", {"role": "community", "unit": "S1C2"}).status_code == 302
    db.session.expire_all()
    assert grid.role == "community" and grid.unit.code == "S1C2" and grid.session_version == 2
    assert _post(client, f"/admin/users/{grid.id}/role", {"role": "grid", "unit": "NOPE"}).status_code == 422
    db.session.expire_all()
    assert grid.role == "community"
    # Reset: a new password, the old one stops working.
    answer = _post(client, f"/admin/users/{grid.id}/password")
    password = re.search(r'new-password">([^<]+)<', answer.get_data(as_text=True)).group(1)
    # Disable: the account cannot sign in.
    assert _post(client, f"/admin/users/{grid.id}/active", {"active": "0"}).status_code == 302
    db.session.expire_all()
    assert not grid.active
    assert [r.action for r in db.session.scalars(select(AdminAudit).order_by(AdminAudit.id))] == [
        "user.change", "user.reset_password", "user.disable"]
    other = app.test_client()
    page = other.get("/login")
    refused = other.post("/login", data={"login": "grid", "password": password, "csrf_token": csrf_from(page)})
    assert refused.status_code != 302
    assert _post(client, f"/admin/users/{grid.id}/active", {"active": "1"}).status_code == 302
    login(other, "grid", password)  # the new password signs in (login asserts the redirect)
    assert password != PASSWORD


def test_the_admin_cannot_lock_themselves_out(client, people):
    login(client, "admin")
    me = people.admin.id
    assert _post(client, f"/admin/users/{me}/active", {"active": "0"}).status_code == 403
    assert _post(client, f"/admin/users/{me}/role", {"role": "street", "unit": "S1"}).status_code == 403
    db.session.expire_all()
    assert people.admin.active and people.admin.role == "admin" and count(AdminAudit) == 0


def test_areas_rename_create_and_boundaries(client, people, areas, frozen):
    login(client, "admin")
    assert "测试区" in client.get("/admin/areas").get_data(as_text=True)
    assert "街道1" in client.get(f"/admin/areas?unit={areas.C.id}").get_data(as_text=True)
    community = areas.S1C1
    assert "网格1-1-1" in client.get(f"/admin/areas?unit={community.id}").get_data(as_text=True)
    assert _post(client, f"/admin/areas/{community.id}", {"name": "幸福社区", "active": "1"}).status_code == 302
    made = _post(client, f"/admin/areas/{community.id}/children",
                 {"kind": "grid", "code": "S1C1G3", "name": "第三网格", "address_hints": "9号楼"})
    assert made.status_code == 302
    grid = unit_by_code("S1C1G3")
    assert grid.community_id == community.id and grid.street_id == areas.S1.id and grid.hints() == ["9号楼"]
    # A grid under a street, or a taken code: refused, nothing made.
    assert _post(client, f"/admin/areas/{areas.S1.id}/children",
                 {"kind": "grid", "code": "S1G9", "name": "x"}).status_code == 422
    assert _post(client, f"/admin/areas/{community.id}/children",
                 {"kind": "grid", "code": "S1C1G1", "name": "x"}).status_code == 422
    assert unit_by_code("S1G9") is None
    square = [[[102.70, 25.04], [102.71, 25.04], [102.71, 25.05], [102.70, 25.05], [102.70, 25.04]]]
    geojson = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "S1C1G3"}, "geometry": {"type": "Polygon", "coordinates": square}}]}
    loaded = _post(client, "/admin/areas/boundaries", {"file": (io.BytesIO(json.dumps(geojson).encode()), "g.geojson")},
                   content_type="multipart/form-data")
    assert loaded.status_code == 302
    db.session.expire_all()
    assert unit_by_code("S1C1G3").boundary and unit_by_code("S1C1G3").bbox_west == 102.70
    bad = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "NOPE"}, "geometry": {"type": "Polygon", "coordinates": square}}]}
    refused = _post(client, "/admin/areas/boundaries", {"file": (io.BytesIO(json.dumps(bad).encode()), "g.geojson")},
                    content_type="multipart/form-data")
    assert refused.status_code == 422 and "NOPE" in refused.get_data(as_text=True)
    assert [r.action for r in db.session.scalars(select(AdminAudit).order_by(AdminAudit.id))] == [
        "unit.update", "unit.create", "unit.boundaries"]
    assert unit_by_code("S1C1").name == "幸福社区"


def test_categories_create_edit_disable(client, people, areas, frozen):
    login(client, "admin")
    assert "ELD" in client.get("/admin/categories").get_data(as_text=True) or count(Category) == 0
    form = {"code": "PET", "name_zh": "宠物管理", "name_en": "Pets", "default_tier": "community",
            "sla_class": "general", "department": "D1", "department_duty": "1", "active": "1"}
    assert _post(client, "/admin/categories", form, page="/admin/categories").status_code == 302
    row = db.session.scalar(select(Category).where(Category.code == "PET"))
    assert row.department.code == "D1" and row.department_duty and row.default_tier == "community"
    page = client.get(f"/admin/categories/{row.id}").get_data(as_text=True)
    assert 'value="Pets"' in page
    edit = {**form, "name_en": "Pet keeping", "active": ""}
    assert _post(client, f"/admin/categories/{row.id}", edit).status_code == 302
    db.session.expire_all()
    assert row.name_en == "Pet keeping" and not row.active
    for bad, field in (({**form, "code": "pet!"}, "编码"), ({**form, "code": "PET"}, "已经存在"),
                       ({**form, "code": "NEW", "department": "S1"}, "部门编码"),
                       ({**form, "code": "NEW", "name_zh": ""}, "中文名称")):
        answer = _post(client, "/admin/categories", bad, page="/admin/categories")
        assert answer.status_code == 422 and field in answer.get_data(as_text=True), bad
    assert db.session.scalar(select(Category).where(Category.code == "NEW")) is None
    changes = _audit("category.update")
    assert len(changes) == 1 and json.loads(changes[0].detail)["after"] == {"name_en": "Pet keeping", "active": False}
    assert "category.update" in client.get("/admin/audit").get_data(as_text=True)


def test_the_admin_menu_links_every_admin_page(client, people):
    login(client, "admin")
    menu = client.get("/admin").get_data(as_text=True)
    for page in PAGES + ["/admin/sla", "/admin/calendar", "/admin/jobs"]:
        assert f'href="{page}"' in menu, page


def test_the_account_count_stops_past_the_page(client, people, monkeypatch):
    """A city's million residents are not counted on every visit: past COUNT_AHEAD
    accounts the page says "more than" and still offers the next page."""
    from community.admin import users

    login(client, "admin")
    everyone = count(User)
    exact = client.get("/admin/users").get_data(as_text=True)
    assert f"共 {everyone} 个账号" in exact and "下一页" not in exact
    monkeypatch.setattr(users, "COUNT_AHEAD", 2)
    monkeypatch.setattr(users, "PAGE", 1)
    first = client.get("/admin/users").get_data(as_text=True)
    assert "超过 2 个账号" in first and "page=2" in first
    last = client.get(f"/admin/users?page={everyone}").get_data(as_text=True)
    assert f"共 {everyone} 个账号" in last and f"page={everyone + 1}" not in last
    rows, total, more = users.find_users(role="admin", page=1)  # fewer than the cap: exact
    assert more is False and total == 1 and [u.username for u in rows] == ["admin"]
