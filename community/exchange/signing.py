"""HMAC-SHA256 signatures on exchanged requests, both ways (docs/exchange.md).

    X-Exchange-Timestamp: 1767225600            (Unix seconds)
    X-Exchange-Signature: sha256=<hex of HMAC-SHA256(secret, "<timestamp>." + body)>

A receiver refuses a signature that does not match, or a timestamp more than
MAX_SKEW away from its clock (a replayed request)."""
import hashlib
import hmac
from datetime import datetime

MAX_SKEW = 300  # seconds
TIMESTAMP = "X-Exchange-Timestamp"
SIGNATURE = "X-Exchange-Signature"


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def headers(secret: str, body: bytes, now: datetime) -> dict:
    stamp = int(now.timestamp())
    return {TIMESTAMP: str(stamp), SIGNATURE: signature(secret, stamp, body),
            "Content-Type": "application/json"}


def verify(secret: str, timestamp: str | None, given: str | None, body: bytes, now: datetime) -> bool:
    if not secret or not timestamp or not given:
        return False
    try:
        stamp = int(timestamp)
    except ValueError:
        return False
    if abs(now.timestamp() - stamp) > MAX_SKEW:
        return False
    return hmac.compare_digest(signature(secret, stamp, body), given)
