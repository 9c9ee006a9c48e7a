"""Two officers accept the same request at the same moment: exactly one wins."""
import threading

from sqlalchemy.orm.exc import StaleDataError

from community.auth.models import User
from community.core.extensions import db
from community.tickets.models import Ticket
from community.workqueue import actions
from tests.factories import T0, file_ticket


def test_two_connections_accepting_at_once(app, people, areas, ctx):
    """Runs on both backends; on PostgreSQL the second UPDATE waits on the row
    lock, then finds the version changed and matches nothing."""
    from community.auth.models import Role
    from tests.factories import hashed_password

    colleague = User(username="grid-b", role=Role.GRID, unit=areas.S1C1G1,
                     password_hash=hashed_password(), created_at=T0)
    db.session.add(colleague)
    ticket = file_ticket(people, areas)
    ticket_id, user_ids = ticket.id, [people.grid.id, colleague.id]
    both_loaded = threading.Barrier(2, timeout=20)
    outcomes = []

    def act(user_id):
        with app.app_context():
            try:
                mine = db.session.get(Ticket, ticket_id)
                officer = db.session.get(User, user_id)
                both_loaded.wait()  # both have read the request as "submitted", version 1
                actions.accept(mine, officer, T0)
                db.session.commit()
                outcomes.append(("won", user_id))
            except StaleDataError:
                db.session.rollback()
                outcomes.append(("lost", user_id))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=act, args=(uid,)) for uid in user_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert sorted(o[0] for o in outcomes) == ["lost", "won"]
    winner = next(uid for result, uid in outcomes if result == "won")
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket_id)
    assert ticket.state == "accepted" and ticket.assignee_id == winner
    assert [e.action for e in ticket.events].count("accept") == 1


def test_the_loser_sees_a_clear_message(client, people, areas, ctx, frozen):
    """The page maps the lost race to 409 with a message, whichever way it lost."""
    import re

    from tests.factories import login

    ticket = file_ticket(people, areas)
    login(client, "grid")
    body = client.get(f"/work/tickets/{ticket.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)
    actions.accept(ticket, people.grid, T0)  # someone else got there first
    db.session.commit()
    response = client.post(f"/work/tickets/{ticket.id}/accept", data={"csrf_token": token})
    assert response.status_code == 409
    assert "已被签收" in response.get_data(as_text=True)
