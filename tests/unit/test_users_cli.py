"""`flask users create`: a staff account bound to a unit of the right kind; the
new password is printed alone on the last line."""
import pytest
from sqlalchemy import select

from community.auth.models import User
from community.auth.services import check_password
from community.core.extensions import db
from tests.factories import count, login


def create(app, *args):
    return app.test_cli_runner().invoke(args=["users", "create", *args])


def test_creates_a_grid_worker_and_prints_the_password_last(app, areas, client):
    result = create(app, "--role", "grid", "--unit", "S1C1G1", "--username", "wang", "--name", "王网格员")
    assert result.exit_code == 0, result.output
    password = result.output.strip().splitlines()[-1]
    assert len(password) >= 12 and " " not in password
    account = db.session.scalar(select(User).where(User.username == "wang"))
    assert account.role == "grid" and account.unit == areas.S1C1G1 and account.name == "王网格员"
    assert check_password(account, password)
    login(client, "wang", password)  # the printed password signs in


def test_admin_needs_no_unit(app):
    result = create(app, "--role", "admin", "--username", "root2")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User).where(User.username == "root2")).role == "admin"


@pytest.mark.parametrize("role,unit", [
    ("grid", "S1C1"), ("community", "S1C1G1"), ("street", "C"), ("county", "S1"),
    ("department", "C"), ("grid", None),
])
def test_wrong_unit_kind_for_the_role_is_refused(app, areas, role, unit):
    args = ["--role", role, "--username", "someone"] + (["--unit", unit] if unit else [])
    result = create(app, *args)
    assert result.exit_code == 1
    assert f"a {role} account belongs to a" in result.output
    assert count(User) == 0


def test_unknown_unit_and_taken_username_are_refused(app, areas):
    unknown = create(app, "--role", "grid", "--unit", "NOPE", "--username", "x")
    assert unknown.exit_code == 2 and "no unit with code" in unknown.output
    create(app, "--role", "grid", "--unit", "S1C1G1", "--username", "dup")
    taken = create(app, "--role", "grid", "--unit", "S1C1G2", "--username", "dup")
    assert taken.exit_code == 1 and "is taken" in taken.output
    assert count(User) == 1


def test_unknown_role_is_refused(app, areas):
    result = create(app, "--role", "resident", "--username", "x")
    assert result.exit_code == 2 and count(User) == 0
