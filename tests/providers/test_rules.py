"""Who registers providers, names them on requests, routes requests to them, and what a
provider account may see and do; every refusal changes nothing."""
import pytest

from community.auth.models import Role, User
from community.core.errors import InvalidTransition, NotAllowed, NotFound, ValidationFailed
from community.core.extensions import db
from community.providers import rules
from community.providers import services as providers
from community.providers.models import Commendation, Provider
from community.tickets.models import TicketEvent
from community.workqueue.models import Notification
from tests.factories import count
from tests.factories import T0

from .helpers import H, link, provider, resolve, ticket_about


def test_community_and_its_street_register_providers(app, people, areas):
    made = providers.register(people.community, T0, areas.S1C1.id, "幸福养老院", "elderly", "民养001", "王经理")
    assert made.community_id == areas.S1C1.id and not made.accounts_enabled and made.active
    assert providers.register(people.street, T0, areas.S1C1.id, "小太阳托育", "childcare").field == "childcare"
    assert providers.register(people.admin, T0, areas.S1C1.id, "好帮手家政", "housekeeping")


@pytest.mark.parametrize("who", ["community2", "street2", "grid", "county", "dept", "resident"])
def test_others_may_not_register(app, people, areas, who):
    with pytest.raises(NotAllowed):
        providers.register(getattr(people, who), T0, areas.S1C1.id, "某物业", "property")
    assert count(Provider) == 0


@pytest.mark.parametrize("kwargs, field", [
    ({"name": " "}, "name"), ({"field": "bank"}, "field"), ({"community_id": None}, "community"),
    ({"licence_no": "x" * 65}, "licence_no"), ({"name": "名" * 101}, "name")])
def test_bad_input_is_refused(app, people, areas, kwargs, field):
    given = {"community_id": areas.S1C1.id, "name": "物业", "field": "property", **kwargs}
    with pytest.raises(ValidationFailed) as refused:
        providers.register(people.community, T0, given.pop("community_id"), **given)
    assert refused.value.field == field and count(Provider) == 0


def test_a_grid_is_not_a_community(app, people, areas):
    with pytest.raises(ValidationFailed):
        providers.register(people.community, T0, areas.S1C1G1.id, "物业", "property")


def test_filing_names_only_an_active_provider_of_the_community(app, people, areas):
    mine = provider(people, areas)
    elsewhere = provider(people, areas, name="外社区物业", community=areas.S1C2)
    assert providers.check_choice(mine.id, areas.S1C1.id) is mine
    with pytest.raises(ValidationFailed):
        providers.check_choice(elsewhere.id, areas.S1C1.id)
    mine.active = False
    with pytest.raises(ValidationFailed):
        providers.check_choice(mine.id, areas.S1C1.id)
    assert providers.of_community(areas.S1C1.id) == []


def test_handler_and_community_name_a_provider_others_cannot(app, people, areas):
    mine = provider(people, areas)
    ticket = ticket_about(people, areas, None)
    providers.name_provider(ticket, people.grid, T0 + H, mine.id)
    assert link(ticket).provider_id == mine.id and not link(ticket).routed
    providers.name_provider(ticket, people.community, T0 + H, None)  # cleared
    assert link(ticket) is None
    for who in ("grid2", "community2", "street2", "resident", "dept", "supervisor_less"):
        user = getattr(people, who, None) or people.county
        with pytest.raises(NotAllowed):
            providers.name_provider(ticket, user, T0 + H, mine.id)
    assert link(ticket) is None


def test_routing_needs_a_provider_with_accounts_and_an_open_request(app, people, areas):
    without = provider(people, areas)
    ticket = ticket_about(people, areas, None)
    with pytest.raises(ValidationFailed):
        providers.name_provider(ticket, people.grid, T0 + H, without.id, route=True)
    db.session.rollback()
    assert link(ticket) is None
    with_accounts = provider(people, areas, name="开通物业", accounts=True)
    providers.name_provider(ticket, people.grid, T0 + H, with_accounts.id, route=True)
    assert link(ticket).routed and link(ticket).routed_at == T0 + H
    resolve(ticket, people, T0 + 2 * H)
    with pytest.raises(InvalidTransition):
        providers.name_provider(ticket, people.grid, T0 + 4 * H, with_accounts.id, route=True)


def _account(people, prov, username="wuye1"):
    user = providers.create_account(prov, people.community, T0, username, "物业小李", "a-long-password")
    db.session.commit()
    return user


def test_provider_account_sees_and_answers_only_what_is_routed_to_it(app, people, areas):
    mine = provider(people, areas, accounts=True)
    other = provider(people, areas, name="别家物业", accounts=True)
    account = _account(people, mine)
    other_account = _account(people, other, "wuye2")
    assert account.role == Role.PROVIDER and not account.is_staff and not account.is_resident
    routed = ticket_about(people, areas, None)
    named_only = ticket_about(people, areas, mine)  # names it, not routed: not its to answer
    providers.name_provider(routed, people.grid, T0 + H, mine.id, route=True)
    db.session.commit()
    assert providers.routed_to(account) == [routed]
    assert providers.routed_to(other_account) == []
    assert providers.visible_to_provider(account, routed.id) is routed
    for user, ticket_id in ((account, named_only.id), (other_account, routed.id), (people.resident, routed.id)):
        with pytest.raises(NotFound):
            providers.visible_to_provider(user, ticket_id)
    providers.provider_answer(routed, account, T0 + 2 * H, "reply", "明天上午来修。")
    providers.provider_answer(routed, account, T0 + 3 * H, "done", "已更换电梯按钮。")
    db.session.commit()
    events = [e.action for e in routed.events]
    assert events[-2:] == ["provider_reply", "provider_done"] and routed.state == "submitted"
    told = Notification.query.filter_by(user_id=people.grid.id, ticket_id=routed.id).count()
    assert told == 2  # the handling unit supervises: told of each answer
    # Never a step of the workflow: the handler still resolves.
    from community.workqueue import actions
    with pytest.raises(NotAllowed):
        actions.accept(routed, account, T0 + 4 * H)


def test_switching_accounts_off_stops_them_at_once(app, people, areas):
    mine = provider(people, areas, accounts=True)
    account = _account(people, mine)
    ticket = ticket_about(people, areas, None)
    providers.name_provider(ticket, people.grid, T0 + H, mine.id, route=True)
    providers.set_options(mine, people.community, accounts_enabled=False, active=True)
    db.session.commit()
    assert providers.routed_to(account) == []
    with pytest.raises(NotFound):
        providers.provider_answer(ticket, account, T0 + 2 * H, "reply", "来修")
    assert count(TicketEvent) == len(ticket.events)


def test_provider_answers_refused_on_bad_input_or_closed_requests(app, people, areas):
    mine = provider(people, areas, accounts=True)
    account = _account(people, mine)
    ticket = ticket_about(people, areas, None)
    providers.name_provider(ticket, people.grid, T0 + H, mine.id, route=True)
    db.session.commit()
    before = count(TicketEvent)
    with pytest.raises(ValidationFailed):
        providers.provider_answer(ticket, account, T0 + 2 * H, "reply", "  ")
    with pytest.raises(NotFound):
        providers.provider_answer(ticket, account, T0 + 2 * H, "resolve", "办结")
    resolve(ticket, people, T0 + 3 * H)
    with pytest.raises(InvalidTransition):
        providers.provider_answer(ticket, account, T0 + 5 * H, "reply", "再看看")
    assert count(TicketEvent) == before + 2  # only the accept and the 办结


def test_only_managers_open_accounts_switch_them_and_commend(app, people, areas):
    mine = provider(people, areas)
    for who in ("grid", "community2", "county", "resident"):
        user = getattr(people, who)
        with pytest.raises(NotAllowed):
            providers.create_account(mine, user, T0, "x" + who, "", "a-long-password")
        with pytest.raises(NotAllowed):
            providers.set_options(mine, user, True, True)
        with pytest.raises(NotAllowed):
            providers.commend(mine, user, T0, "好")
    assert not mine.accounts_enabled and count(Commendation) == 0
    assert User.query.filter_by(role="provider").count() == 0
    with pytest.raises(ValidationFailed):
        providers.create_account(mine, people.community, T0, "wuye", "", "short")
    with pytest.raises(ValidationFailed):
        providers.create_account(mine, people.community, T0, "grid", "", "a-long-password")  # taken
    with pytest.raises(ValidationFailed):
        providers.commend(mine, people.community, T0, "")


def test_who_oversees_a_community_s_providers(app, people, areas):
    assert all(rules.oversees(getattr(people, who), areas.S1C1)
               for who in ("community", "street", "grid", "grid2", "county", "admin"))
    assert not any(rules.oversees(getattr(people, who), areas.S1C1)
                   for who in ("community2", "street2", "grid3", "dept", "resident"))
