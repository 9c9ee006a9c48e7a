"""`flask areas load FILE`: CSV or YAML, updates in place, loads whole or not at all."""
from pathlib import Path

import pytest

from community.areas.models import Unit
from community.areas.services import list_units, unit_by_code
from tests.factories import count

DOCS = Path(__file__).resolve().parents[2] / "docs" / "examples"

CSV = """kind,code,name,parent_code,address_hints
county,K,甲县,,
department,K-MZ,甲县民政局,K,
street,K1,一街道,K,
community,K1A,一社区,K1,
grid,K1A1,一网格,K1A,"1号楼,1栋"
grid,K1A2,二网格,K1A,2号楼
"""

YAML = """
- {kind: county, code: K, name: 甲县}
- {kind: street, code: K1, name: 一街道, parent_code: K}
- {kind: community, code: K1A, name: 一社区, parent_code: K1}
- kind: grid
  code: K1A1
  name: 一网格
  parent_code: K1A
  address_hints: [1号楼, 1栋]
"""


@pytest.fixture
def load(app, tmp_path):
    def run(text, suffix=".csv"):
        path = tmp_path / f"areas{suffix}"
        path.write_text(text, encoding="utf-8")
        return app.test_cli_runner().invoke(args=["areas", "load", str(path)])
    return run


def test_csv_loads_the_tree(load):
    result = load(CSV)
    assert result.exit_code == 0, result.output
    assert "created 6, updated 0" in result.output
    grid = unit_by_code("K1A1")
    assert (grid.kind, grid.name, grid.hints()) == ("grid", "一网格", ["1号楼", "1栋"])
    assert grid.community_id == unit_by_code("K1A").id
    assert grid.street_id == unit_by_code("K1").id and grid.county_id == unit_by_code("K").id
    assert unit_by_code("K-MZ").county_id == unit_by_code("K").id


def test_yaml_loads_the_tree(load):
    result = load(YAML, ".yaml")
    assert result.exit_code == 0, result.output
    assert count(Unit) == 4
    assert unit_by_code("K1A1").hints() == ["1号楼", "1栋"]


def test_reloading_updates_rather_than_duplicates(load):
    load(CSV)
    result = load(CSV.replace("二网格,K1A,2号楼", "第二网格,K1A,\"2号楼,2栋\""))
    assert result.exit_code == 0 and "created 0, updated 6" in result.output
    assert count(Unit) == 6
    assert unit_by_code("K1A2").name == "第二网格" and unit_by_code("K1A2").hints() == ["2号楼", "2栋"]


def test_moving_a_community_takes_its_grids_along(load):
    load(CSV + "street,K2,二街道,K,\n")
    result = load("kind,code,name,parent_code\ncommunity,K1A,一社区,K2\n")
    assert result.exit_code == 0, result.output
    community, street = unit_by_code("K1A"), unit_by_code("K2")
    assert community.parent_id == street.id and community.street_id == street.id
    assert {g.street_id for g in list_units("grid", community.id)} == {street.id}


@pytest.mark.parametrize("bad_row,message", [
    ("community,K1B,二社区,NOPE,", "row 5: community K1B needs a street parent"),  # unknown parent
    ("grid,K1X,错网格,K1,", "needs a community parent"),   # parent of the wrong kind
    ("village,K9,某村,K1,", "unknown kind"),
    ("street,,无代码,K,", "code and name are required"),
    ("street,K1A1,重复,K,", "K1A1 is already a street"),  # then the grid row of that code
])
def test_a_bad_row_fails_and_loads_nothing(load, bad_row, message):
    lines = CSV.strip().splitlines()
    lines.insert(5, bad_row)  # the 5th area (the header is not counted), before the grids
    result = load("\n".join(lines) + "\n")
    assert result.exit_code != 0
    assert message in result.output and "nothing loaded" in result.output
    assert count(Unit) == 0


def test_a_bad_row_leaves_earlier_loads_as_they_were(load):
    load(CSV)
    result = load("kind,code,name,parent_code\nstreet,K1,改名街道,K\ngrid,K1A9,新网格,NOPE\n")
    assert result.exit_code != 0
    assert count(Unit) == 6 and unit_by_code("K1").name == "一街道"


def test_a_file_that_is_not_a_list_is_refused(load):
    result = load("kind: county\ncode: K\n", ".yml")
    assert result.exit_code != 0 and "expected a list" in result.output
    assert count(Unit) == 0


def test_broken_yaml_is_refused_with_a_message(load):
    result = load("- {kind: county, code: K\n", ".yaml")
    assert result.exit_code != 0 and "nothing loaded" in result.output
    assert count(Unit) == 0


@pytest.mark.parametrize("name", ["areas.csv", "areas.yaml"])
def test_the_documented_examples_load(app, name):
    result = app.test_cli_runner().invoke(args=["areas", "load", str(DOCS / name)])
    assert result.exit_code == 0, result.output
    assert unit_by_code("53010200100101").community_id == unit_by_code("530102001001").id
    assert unit_by_code("53010200100101").hints() == ["翠湖小区1号楼", "翠湖小区2号楼", "翠湖南路"]


def test_the_csv_example_is_a_whole_county(app):
    app.test_cli_runner().invoke(args=["areas", "load", str(DOCS / "areas.csv")])
    assert [len(list_units(kind)) for kind in ("county", "street", "community", "grid", "department")] \
        == [1, 2, 3, 5, 2]
