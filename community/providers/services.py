"""Registering providers, naming them on requests, routing requests to their accounts,
and what those accounts may do (answer, report done). Services flush; callers commit."""
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from community.areas.models import Unit, UnitKind
from community.auth.models import Role, User
from community.auth.services import create_staff
from community.core.errors import InvalidTransition, NotAllowed, NotFound, ValidationFailed
from community.core.extensions import db
from community.tickets.models import Ticket
from community.tickets.services import record_event
from community.tickets.states import OPEN
from community.workqueue.notifications import tell_staff

from . import rules
from .models import Commendation, Field, Provider, ProviderAccount, TicketProvider


def _text(value, limit, field, message=None, required=True):
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed(message or _("请填写这一项。"), field=field)
    if len(value) > limit:
        raise ValidationFailed(_("不能超过 %(n)d 字。", n=limit), field=field)
    return value


def register(actor: User, now: datetime, community_id: int | None, name: str, field: str,
             licence_no: str = "", contact: str = "") -> Provider:
    community = db.session.get(Unit, community_id) if community_id else None
    if community is None or community.kind != UnitKind.COMMUNITY:
        raise ValidationFailed(_("请选择有效的社区。"), field="community")
    if not rules.manages(actor, community):
        raise NotAllowed(_("只有本社区或所属街道可以登记服务商。"))
    name = _text(name, 100, "name", _("请填写服务商名称。"))
    if field not in Field.__members__.values():
        raise ValidationFailed(_("请选择服务领域。"), field="field")
    provider = Provider(community_id=community.id, name=name, field=field,
                        licence_no=_text(licence_no, 64, "licence_no", required=False),
                        contact=_text(contact, 100, "contact", required=False),
                        accounts_enabled=False, active=True, created_at=now, created_by_id=actor.id)
    db.session.add(provider)
    db.session.flush()
    return provider


def get(provider_id: int) -> Provider:
    provider = db.session.get(Provider, provider_id)
    if provider is None:
        raise NotFound()
    return provider


def set_options(provider: Provider, actor: User, accounts_enabled: bool, active: bool) -> None:
    """Switch its accounts on or off (answering requests routed to it), or retire it
    (no longer offered on the filing form; its record stays)."""
    if not rules.manages(actor, provider.community):
        raise NotAllowed()
    provider.accounts_enabled = bool(accounts_enabled)
    provider.active = bool(active)


def commend(provider: Provider, actor: User, now: datetime, note: str) -> Commendation:
    if not rules.manages(actor, provider.community):
        raise NotAllowed()
    row = Commendation(provider_id=provider.id, at=now, by_id=actor.id,
                       note=_text(note, 500, "note", _("请写明表扬的事由。")))
    db.session.add(row)
    db.session.flush()
    return row


def create_account(provider: Provider, actor: User, now: datetime, username: str, name: str,
                   password: str) -> User:
    if not rules.manages(actor, provider.community):
        raise NotAllowed()
    username = _text(username, 64, "username", _("请填写登录名。"))
    if len(password or "") < 10:
        raise ValidationFailed(_("密码至少 10 位。"), field="password")
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise ValidationFailed(_("登录名已被使用。"), field="username")
    user = create_staff(username, Role.PROVIDER, None, password, now, name=_text(name, 64, "name", required=False))
    db.session.add(ProviderAccount(user_id=user.id, provider_id=provider.id, created_at=now))
    db.session.flush()
    return user


def accounts_of(provider: Provider) -> list[User]:
    return list(db.session.scalars(select(User).join(ProviderAccount, ProviderAccount.user_id == User.id)
                                   .where(ProviderAccount.provider_id == provider.id).order_by(User.id)))


def of_community(community_id: int, active_only: bool = True) -> list[Provider]:
    query = select(Provider).where(Provider.community_id == community_id)
    if active_only:
        query = query.where(Provider.active.is_(True))
    return list(db.session.scalars(query.order_by(Provider.field, Provider.name)))


def link_of(ticket_id: int) -> TicketProvider | None:
    return db.session.get(TicketProvider, ticket_id)


def check_choice(provider_id: int | None, community_id: int | None) -> Provider | None:
    """A provider picked on the filing form must be an active one of the request's community."""
    if not provider_id:
        return None
    provider = db.session.get(Provider, provider_id)
    if provider is None or not provider.active or provider.community_id != community_id:
        raise ValidationFailed(_("请从本社区的服务商名单中选择。"), field="provider")
    return provider


def name_at_filing(ticket: Ticket, provider: Provider | None, actor: User | None, now: datetime) -> None:
    if provider is not None:
        db.session.add(TicketProvider(ticket_id=ticket.id, provider_id=provider.id, routed=False,
                                      named_at=now, named_by_id=actor.id if actor else None))


def name_provider(ticket: Ticket, actor: User, now: datetime, provider_id: int | None,
                  route: bool = False) -> TicketProvider | None:
    """Staff set (or clear, with no provider) the provider a request is about; `route`
    also hands it to the provider's accounts to answer."""
    if not rules.names_provider(actor, ticket):
        raise NotAllowed()
    link = link_of(ticket.id)
    if not provider_id:
        if link is not None:
            db.session.delete(link)
            record_event(ticket, "provider_cleared", actor, now, public=False, touch=False)
            db.session.flush()
        return None
    provider = check_choice(provider_id, ticket.community_id)
    if route and not provider.accounts_enabled:
        raise ValidationFailed(_("这个服务商没有开通账号，不能转交答复。"), field="route")
    if route and ticket.state not in OPEN:
        raise InvalidTransition()
    if link is None:
        link = TicketProvider(ticket_id=ticket.id, provider_id=provider.id, named_at=now,
                              named_by_id=actor.id, routed=False)
        db.session.add(link)
    link.provider_id, link.provider = provider.id, provider
    link.named_at, link.named_by_id = now, actor.id
    link.routed = bool(route)
    link.routed_at = now if route else None
    record_event(ticket, "provider_routed" if route else "provider_named", actor, now,
                 note=provider.name, public=False, touch=False)
    if route:
        tell_staff(accounts_of(provider), ticket.id, now,
                   lambda: _("有一件诉求转交给 %(name)s 答复。", name=provider.name))
    db.session.flush()
    return link


def routed_to(user: User) -> list[Ticket]:
    """The requests a provider account may see: routed to its provider, its accounts on."""
    provider_id = rules.provider_id_of(user)
    if provider_id is None:
        return []
    return list(db.session.scalars(
        select(Ticket).join(TicketProvider, TicketProvider.ticket_id == Ticket.id)
        .join(Provider, Provider.id == TicketProvider.provider_id)
        .where(TicketProvider.provider_id == provider_id, TicketProvider.routed.is_(True),
               Provider.accounts_enabled.is_(True), Provider.active.is_(True))
        .order_by(Ticket.submitted_at.desc()).limit(200)))


def visible_to_provider(user: User, ticket_id: int) -> Ticket:
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or not rules.answers_for(user, link_of(ticket_id)):
        raise NotFound()
    return ticket


def provider_answer(ticket: Ticket, user: User, now: datetime, step: str, text: str) -> None:
    """A provider account's reply on the public timeline ("reply"), or its report that
    the work is done ("done"). Neither moves the request: the handling unit still
    resolves it, and is told of each answer (the community's supervision)."""
    if not rules.answers_for(user, link_of(ticket.id)):
        raise NotFound()
    if step not in ("reply", "done"):
        raise NotFound()
    if ticket.state not in OPEN:
        raise InvalidTransition()
    text = _text(text, 1000, "text", _("请填写答复内容。"))
    record_event(ticket, "provider_reply" if step == "reply" else "provider_done", user, now,
                 note=text, public=True)
    handlers = db.session.scalars(select(User).where(
        User.unit_id == ticket.handling_unit_id, User.active.is_(True)))
    name = link_of(ticket.id).provider.name
    tell_staff(list(handlers), ticket.id, now,
               (lambda: _("%(name)s 答复了诉求，请核实。", name=name)) if step == "reply"
               else (lambda: _("%(name)s 报告已处理完毕，请核实后办结。", name=name)))
