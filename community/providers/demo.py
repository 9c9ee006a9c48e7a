"""Demo providers: two in the first community, the 物业 company with its accounts on and
one account (provider1), so the provider pages have something to show."""
from sqlalchemy import select

from community.areas.models import Unit, UnitKind
from community.auth.models import Role
from community.auth.services import create_staff
from community.core.extensions import db

from .models import Provider, ProviderAccount


def seed_providers(now, password_hash: str) -> None:
    community = db.session.scalar(select(Unit).where(Unit.kind == UnitKind.COMMUNITY).order_by(Unit.code))
    if community is None:
        return
    property_co = Provider(community_id=community.id, name="安居物业服务有限公司", field="property",
                           licence_no="物业-2026-001", contact="0871-0000 0001", accounts_enabled=True,
                           active=True, created_at=now)
    elderly = Provider(community_id=community.id, name="幸福里日间照料中心", field="elderly",
                       licence_no="民养-2026-017", contact="0871-0000 0002", created_at=now)
    db.session.add_all([property_co, elderly])
    db.session.flush()
    account = create_staff("provider1", Role.PROVIDER, None, None, now, name="安居物业客服",
                           password_hash=password_hash)
    db.session.add(ProviderAccount(user_id=account.id, provider_id=property_co.id, created_at=now))
