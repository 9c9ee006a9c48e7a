"""Sign-up, sign-in and staff accounts."""
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import or_, select

from community.areas.models import Unit, UnitKind
from community.core.errors import ValidationFailed
from community.core.extensions import db
from community.sms import limits
from community.sms.gateways import SendError
from community.sms.services import normalize_phone, send_code_text

from . import throttle
from .models import ROLE_UNIT_KIND, OneTimeCode, Role, User
from .passwords import check_password_strength
from .sessions import end_every_session

# Argon2's cost (COMMUNITY_ARGON2_PARAMETERS; argon2-cffi's RFC 9106 profile by default),
# one hasher per setting, each with a dummy hash of the same cost so an unknown login
# costs as much as a wrong password.
_hashers: dict[tuple, tuple[PasswordHasher, str]] = {}


def _hasher() -> tuple[PasswordHasher, str]:
    parameters = current_app.config.get("COMMUNITY_ARGON2_PARAMETERS") if has_app_context() else None
    key = tuple(sorted((parameters or {}).items()))
    if key not in _hashers:
        hasher = PasswordHasher(**dict(key))
        _hashers[key] = hasher, hasher.hash("not-a-password")
    return _hashers[key]


def hash_password(password: str) -> str:
    return _hasher()[0].hash(password)


def check_password(user: User | None, password: str) -> bool:
    hasher, dummy = _hasher()
    try:
        return hasher.verify(user.password_hash if user else dummy, password) and bool(user)
    except (VerifyMismatchError, InvalidHashError):
        return False


def find_login(login: str) -> User | None:
    login = (login or "").strip()
    if not login:
        return None
    return db.session.scalar(select(User).where(or_(User.username == login, User.phone == login)))


def authenticate(login: str, password: str, now: datetime, *, address: str = "",
                 known_browser: bool = False) -> User:
    """Check a password. Failures slow the login and the address down (throttle), the
    same way whether the login names an account or not; nothing is ever locked."""
    wait = throttle.seconds_to_wait(login, address, now, known_browser)
    if wait:
        raise throttle.TooManyTries(wait)
    user = find_login(login)
    if not check_password(user, password) or not user.active or user.deleted_at is not None:
        throttle.record_failure(login, address, now, known_browser)
        raise ValidationFailed(_("账号或密码不正确。"), field="password")
    throttle.record_success(login)
    user.last_login_at = now
    if _hasher()[0].check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def change_password(user: User, current: str, new: str, now: datetime) -> None:
    """A new password ends every session signed in with the old one (the caller signs
    this browser in again)."""
    if not check_password(user, current):
        raise ValidationFailed(_("当前密码不正确。"), field="current")
    check_password_strength(new, (user.phone, user.name, user.username))
    user.password_hash = hash_password(new)
    end_every_session(user)


def send_code(phone: str, purpose: str, now: datetime, *, address: str = "") -> None:
    """Send a 6-digit code; at most one per phone and purpose per resend interval.

    A sign-up for a number that already has an account answers exactly as any other
    (issue 21: the page must not tell who is registered): the phone's owner gets a
    text saying so instead of a code, and a code nobody knows is kept, so trying a
    code afterwards fails the same way too.

    `address` is the caller's IP: it may ask for so many codes (COMMUNITY_SMS_IP_CAPS),
    whichever numbers it types (issue 26)."""
    phone = normalize_phone(phone)
    try:
        limits.take_ip(address, now)
    except limits.Capped:
        raise ValidationFailed(_("这个网络请求验证码太频繁了，请稍后再试。"), field="phone") from None
    wait = timedelta(seconds=current_app.config["COMMUNITY_OTP_RESEND_SECONDS"])
    last = _latest_code(phone, purpose)
    if last is not None and last.created_at > now - wait:
        raise ValidationFailed(_("验证码已发送，请稍后再试。"), field="phone")
    registered = purpose == "signup" and _phone_taken(phone)
    # A reset for a number with no account: likewise a code nobody knows, and no text.
    unknown = purpose == "reset" and _reset_account(phone) is None
    code = secrets.token_urlsafe(16) if registered or unknown else f"{secrets.randbelow(10**6):06d}"
    ttl = current_app.config["COMMUNITY_OTP_TTL_MINUTES"]
    try:
        if registered:
            send_code_text(phone, "SIGNUP_TAKEN", {}, now)
        elif not unknown:
            send_code_text(phone, "VERIFY_CODE", {"code": code, "minutes": ttl}, now)
    except limits.Capped:
        raise ValidationFailed(_("这个号码收到的短信太多了，请稍后再试。"), field="phone") from None
    except SendError:
        raise ValidationFailed(_("短信暂时发不出去，请稍后再试。"), field="phone") from None
    # Kept only once the text went: a code that never left would block the resend.
    db.session.add(OneTimeCode(
        phone=phone, purpose=purpose, code_hash=_hasher()[0].hash(code), created_at=now,
        expires_at=now + timedelta(minutes=ttl),
    ))
    db.session.flush()


def _latest_code(phone: str, purpose: str) -> OneTimeCode | None:
    return db.session.scalar(
        select(OneTimeCode).where(OneTimeCode.phone == phone, OneTimeCode.purpose == purpose)
        .order_by(OneTimeCode.created_at.desc(), OneTimeCode.id.desc()).limit(1)
    )


def use_code(phone: str, purpose: str, code: str, now: datetime) -> None:
    record = _latest_code(phone, purpose)
    if record is None or record.used_at or record.expires_at <= now:
        raise ValidationFailed(_("验证码已过期，请重新获取。"), field="code")
    if record.attempts >= current_app.config["COMMUNITY_OTP_MAX_ATTEMPTS"]:
        raise ValidationFailed(_("验证码错误次数过多，请重新获取。"), field="code")
    try:
        _hasher()[0].verify(record.code_hash, (code or "").strip())
    except (VerifyMismatchError, InvalidHashError):
        record.attempts += 1
        db.session.commit()  # the attempt counts even though the sign-up fails
        raise ValidationFailed(_("验证码不正确。"), field="code") from None
    record.used_at = now


def _reset_account(phone: str) -> User | None:
    return db.session.scalar(select(User).where(User.phone == phone, User.active.is_(True),
                                                User.deleted_at.is_(None)))


def reset_password(phone: str, code: str, new: str, now: datetime) -> User:
    """A forgotten password, replaced with a code texted to the account's phone. Every
    session signed in with the old password ends. A number with no account fails exactly
    as a wrong code does (the page must not tell who is registered)."""
    phone = normalize_phone(phone)
    use_code(phone, "reset", code, now)
    user = _reset_account(phone)
    if user is None:
        raise ValidationFailed(_("验证码不正确。"), field="code")
    check_password_strength(new, (user.phone, user.name, user.username))
    user.password_hash = hash_password(new)
    end_every_session(user)
    return user


def _phone_taken(phone: str) -> bool:
    return db.session.scalar(select(User.id).where(User.phone == phone)) is not None


def register_resident(phone: str, password: str, code: str, name: str,
                      home_community: Unit | None, now: datetime) -> User:
    phone = normalize_phone(phone)
    check_password_strength(password, (phone, name))
    if home_community is not None and home_community.kind != UnitKind.COMMUNITY:
        raise ValidationFailed(_("请选择社区。"), field="community")
    use_code(phone, "signup", code, now)  # first: only the phone's owner learns it is taken
    if _phone_taken(phone):
        raise ValidationFailed(_("该手机号已注册，请直接登录。"), field="phone")
    user = User(phone=phone, name=(name or "").strip()[:64], role=Role.RESIDENT,
                password_hash=hash_password(password), created_at=now,
                home_community=home_community)
    db.session.add(user)
    db.session.flush()
    return user


def create_staff(username: str, role: str, unit: Unit | None, password: str | None, now: datetime,
                 name: str = "", phone: str | None = None, *,
                 password_hash: str | None = None) -> User:
    """A staff account bound to a unit of the kind its role works at. Give either
    the password or, to create many accounts sharing one (demo data), its hash."""
    if role not in Role.__members__.values() or role == Role.RESIDENT:
        raise ValidationFailed(f"unknown staff role {role!r}")
    wanted = ROLE_UNIT_KIND.get(Role(role))
    if wanted and (unit is None or unit.kind != wanted):
        raise ValidationFailed(f"a {role} account belongs to a {wanted} unit")
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise ValidationFailed(f"username {username!r} is taken")
    user = User(username=username, role=role, unit=unit, name=name, phone=phone,
                password_hash=password_hash or hash_password(password), created_at=now)
    db.session.add(user)
    db.session.flush()
    return user
