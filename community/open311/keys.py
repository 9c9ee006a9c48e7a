"""Open311 api_keys: issued per client by the admin, stored as SHA-256, revocable."""
import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from community.core.errors import NotFound, ValidationFailed
from community.core.extensions import db

from .models import Open311Client

KEY_PREFIX = "o311_"
TOUCH_EVERY = timedelta(minutes=5)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def create_client(name: str, now: datetime, contact: str = "") -> tuple[Open311Client, str]:
    """A new client and its api_key (returned once)."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed("a client name of 1 to 100 characters is required", field="name")
    if db.session.scalar(select(Open311Client.id).where(Open311Client.name == name)):
        raise ValidationFailed(f"there is already a client named {name!r}", field="name")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    client = Open311Client(name=name, key_hash=hash_key(key), prefix=key[:len(KEY_PREFIX) + 6],
                           contact=(contact or "").strip()[:200], created_at=now)
    db.session.add(client)
    db.session.flush()
    return client, key


def find_client(key: str | None, now: datetime) -> Open311Client | None:
    if not key or not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    client = db.session.scalar(select(Open311Client).where(Open311Client.key_hash == hash_key(key)))
    if client is None or client.revoked_at is not None:
        return None
    if client.last_used_at is None or now - client.last_used_at > TOUCH_EVERY:
        client.last_used_at = now
    return client


def client_by_name(name: str) -> Open311Client:
    client = db.session.scalar(select(Open311Client).where(Open311Client.name == name))
    if client is None:
        raise NotFound(f"no Open311 client named {name!r}")
    return client


def revoke(client: Open311Client, now: datetime) -> None:
    if client.revoked_at is None:
        client.revoked_at = now


def all_clients() -> list[Open311Client]:
    return list(db.session.scalars(select(Open311Client).order_by(Open311Client.name)))
