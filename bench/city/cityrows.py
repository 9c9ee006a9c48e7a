"""The synthetic city's areas and people: 14 counties (Kunming's), about 140
streets, 1,800 communities, 10,000 grids, 5 departments per county, staff for
every unit and a resident population.

Every area has a boundary cut from one jittered lattice over Kunming, the same
way as the demo county's (community.areas.tiling): the grids tile the city with
no gap or overlap, so a point places a request exactly as in production."""
import json
import math
from dataclasses import dataclass, field

from community.areas.tiling import Lattice, partition
from community.auth.services import hash_password

PASSWORD = "bench-password"  # every generated account; bench data only

COUNTIES = ["五华区", "盘龙区", "官渡区", "西山区", "东川区", "呈贡区", "晋宁区", "安宁市",
            "富民县", "宜良县", "石林县", "嵩明县", "禄劝县", "寻甸县"]
DEPARTMENTS = ["城管局", "住建局", "民政局", "卫健局", "教育局"]
STREET_WORDS = ["华山", "护国", "龙翔", "丰宁", "莲华", "红云", "普吉", "黑林铺", "大观", "金碧",
                "拓东", "鼓楼", "东华", "联盟", "青云", "茨坝", "金马", "吴井", "关上", "太和",
                "马街", "碧鸡", "前卫", "福海", "永昌", "春雨", "滇池", "洛龙", "吴家营", "乌龙"]
COMMUNITY_WORDS = ["翠湖", "银河", "白塔", "金星", "兴苑", "桃源", "春苑", "西苑", "云山", "锦华",
                   "景星", "北辰", "瑞鼎", "世博", "新迎", "滨江", "海源", "明珠", "和平", "康乐",
                   "福德", "安康", "丽水", "万达", "长城", "光华", "园丁", "月牙", "梁源", "书林"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红"

STREETS, COMMUNITIES, GRIDS = 140, 1800, 10000
STAFF_PER_UNIT = {"county": 2, "street": 2, "community": 2, "grid": 1, "department": 2}
CENTRE = (25.04, 102.71)  # Kunming
CELLS_PER_GRID = 2.2       # lattice cells per grid: grids of one to a few cells
CELL_M = 250


@dataclass
class City:
    units: list = field(default_factory=list)        # unit row tuples, see UNIT_COLUMNS
    grids: list = field(default_factory=list)        # (grid, community, street, county) ids
    names: dict = field(default_factory=dict)        # unit id -> name
    departments: dict = field(default_factory=dict)  # county id -> department ids
    parent: dict = field(default_factory=dict)       # unit id -> parent unit id
    staff: dict = field(default_factory=dict)        # unit id -> user ids
    users: list = field(default_factory=list)        # user row tuples, see USER_COLUMNS
    residents: tuple = (0, 0)                        # first id, count
    samples: dict = field(default_factory=dict)      # role -> a username to sign in with
    lattice: Lattice | None = None
    cells: dict = field(default_factory=dict)        # grid id -> (row, col) of one of its cells

    def point(self, grid: int, n: int) -> tuple[float, float]:
        """A point (lat, long) inside the grid, picked by the number n (no random draw,
        so the requests' other columns stay as they were before points were added)."""
        r, c = self.cells[grid]
        return self.lattice.inner_point(r, c, (n * 0.6180339887) % 1, (n * 0.7548776662) % 1)


UNIT_COLUMNS = ["id", "code", "name", "kind", "parent_id", "county_id", "street_id",
                "community_id", "address_hints", "centre_lat", "centre_long", "active",
                "boundary", "bbox_south", "bbox_west", "bbox_north", "bbox_east"]
USER_COLUMNS = ["id", "username", "phone", "name", "password_hash", "role", "unit_id",
                "home_community_id", "active", "created_at"]


def _spread(total: int, parts: int) -> list[int]:
    """`total` split over `parts` as evenly as whole numbers allow."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def build_areas(first_id: int, rng, size=(len(COUNTIES), STREETS, COMMUNITIES, GRIDS)) -> City:
    """`size`: counties, streets, communities, grids (the tests use a smaller city)."""
    counties, streets_n, communities_n, grids_n = size
    city = City()
    next_id = first_id

    def add(code, name, kind, parent, county, street, community, hints="", centre=(None, None)):
        nonlocal next_id
        uid = next_id
        next_id += 1
        city.units.append((uid, code, name, kind, parent, county, street, community, hints,
                           centre[0], centre[1], True, None, None, None, None, None))
        city.names[uid] = name
        if parent:
            city.parent[uid] = parent
        return uid

    streets = _spread(streets_n, counties)
    communities = _spread(communities_n, streets_n)
    grids = _spread(grids_n, communities_n)
    s_index = c_index = 0
    for k, county_name in enumerate(COUNTIES[:counties], start=1):
        county = add(f"K{k:02d}", county_name, "county", None, None, None, None)
        city.departments[county] = [
            add(f"K{k:02d}D{d}", f"{county_name}{name}", "department", county, county, None, None)
            for d, name in enumerate(DEPARTMENTS, start=1)]
        for s in range(1, streets[k - 1] + 1):
            s_code = f"K{k:02d}S{s:02d}"
            street = add(s_code, f"{STREET_WORDS[s_index % len(STREET_WORDS)]}街道"
                         f"{'' if s_index < len(STREET_WORDS) else s_index // len(STREET_WORDS)}",
                         "street", county, county, None, None)
            for c in range(1, communities[s_index] + 1):
                c_code = f"{s_code}C{c:02d}"
                name = f"{COMMUNITY_WORDS[c_index % len(COMMUNITY_WORDS)]}社区{c_index // 30 + 1}"
                community = add(c_code, name, "community", street, county, street, None)
                for g in range(1, grids[c_index] + 1):
                    grid = add(f"{c_code}G{g}", f"{name}第{g}网格", "grid", community, county,
                               street, community, hints=f"{g}号楼,{g}栋")
                    city.grids.append((grid, community, street, county))
                c_index += 1
            s_index += 1
    _draw(city, rng)
    return city


def _draw(city: City, rng) -> None:
    """Boundaries for every area: the city's lattice cut in proportion to grid counts,
    county by county down to the grids (each grid one to a few cells)."""
    kids: dict = {}
    for unit in city.units:
        if unit[3] != "department" and unit[4]:
            kids.setdefault(unit[4], []).append(unit[0])
    grids_under: dict = {}

    def count(uid):
        if uid not in grids_under:
            grids_under[uid] = sum(count(k) for k in kids[uid]) if uid in kids else 1
        return grids_under[uid]

    counties = [u[0] for u in city.units if u[3] == "county"]
    total = sum(count(c) for c in counties)
    side = math.ceil(math.sqrt(total * CELLS_PER_GRID))
    lattice = city.lattice = Lattice.around(*CENTRE, side, side, CELL_M, seed=int(rng.random() * 1e6))
    blocks = {}

    def cut(uids, block):
        weights = [count(u) * (0.8 + 0.4 * rng.random()) for u in uids]
        for uid, part in zip(uids, partition(block, weights, [count(u) for u in uids])):
            blocks[uid] = part
            if uid in kids:
                cut(kids[uid], part)

    cut(counties, (0, 0, side, side))
    for i, unit in enumerate(city.units):
        block = blocks.get(unit[0])
        if block is None:
            continue  # a department
        ring = lattice.outline(*block)
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        boundary = json.dumps({"type": "MultiPolygon", "coordinates": [[[list(p) for p in ring]]]},
                              separators=(",", ":"))
        city.units[i] = unit[:12] + (boundary, min(ys), min(xs), max(ys), max(xs))
        if unit[3] == "grid":
            city.cells[unit[0]] = block[:2]


def build_people(city: City, first_id: int, residents: int, created_at, rng) -> None:
    """Staff for every unit (username <unit code>_<n>, lower case), one admin, residents."""
    password_hash = hash_password(PASSWORD)
    next_id = first_id
    home_communities = [u[0] for u in city.units if u[3] == "community"]
    for unit in city.units:
        uid, code, kind = unit[0], unit[1], unit[3]
        ids = []
        for n in range(1, STAFF_PER_UNIT[kind] + 1):
            username = f"{code.lower()}_{n}"
            city.users.append((next_id, username, None, _person(rng), password_hash, kind, uid,
                               None, True, created_at))
            ids.append(next_id)
            city.samples.setdefault(kind, username)
            next_id += 1
        city.staff[uid] = ids
    city.users.append((next_id, "bench_admin", None, "管理员", password_hash, "admin", None, None,
                       True, created_at))
    city.samples["admin"] = "bench_admin"
    next_id += 1
    city.residents = (next_id, residents)
    for i in range(residents):
        city.users.append((next_id + i, None, resident_phone(i), _person(rng), password_hash,
                           "resident", None, home_communities[i % len(home_communities)],
                           True, created_at))
    if residents:
        city.samples["resident"] = resident_phone(0)


def resident_phone(index: int) -> str:
    return f"15{index:09d}"


def _person(rng) -> str:
    return SURNAMES[int(rng.random() * len(SURNAMES))] + GIVEN[int(rng.random() * len(GIVEN))]
