"""Senders and what their failures mean.

A sender has `send(message) -> Sent` and raises SendError with one of three
meanings, which decide what happens next:

- RETRY: the gateway is busy, throttled us or cannot be reached: try later
  (the outbox's retries with their backoff);
- REFUSE: this message will never go (number invalid, template not approved for
  these parameters, number blacklisted): mark it, and the resident is called (回访);
- CONFIG: our configuration is wrong (keys, signature, template id): nothing goes
  until an admin fixes it; retried like RETRY so nothing is lost, and logged as an error.
"""
import logging
from dataclasses import dataclass

from community.core.messaging import Sent  # noqa: F401  (the senders' answer, for the adapters)

log = logging.getLogger("community.messaging")

RETRY, REFUSE, CONFIG = "retry", "refuse", "config"


class SendError(Exception):
    def __init__(self, kind: str, code: str, message: str = ""):
        super().__init__(f"{kind}: {code} {message}".strip())
        self.kind, self.code, self.message = kind, code, message


@dataclass
class Outgoing:
    """One message: the phone, the template code and its checked parameters,
    and the zh text (for a sender that writes text rather than templates)."""
    phone: str
    template: str
    params: dict
    text: str
    ref: str = ""          # our id for it, sent as the gateway's out id / session context


def setting(config, name: str) -> str:
    value = config.get(name) or ""
    if not value:
        raise SendError(CONFIG, "missing-setting", name)
    return str(value)


def template_id(config, code: str) -> str:
    ids = config.get("COMMUNITY_SMS_TEMPLATE_IDS") or {}
    if isinstance(ids, str):  # from the environment: "VERIFY_CODE=SMS_1,TICKET_STEP=SMS_2"
        pairs = (part.partition("=") for part in ids.replace(";", ",").split(","))
        ids = {key.strip(): value.strip() for key, _eq, value in pairs if value.strip()}
    if not ids.get(code):
        raise SendError(CONFIG, "no-template-id", code)
    return str(ids[code]).strip()


def classify(code: str, table: dict[str, str], default: str = REFUSE) -> str:
    """The error kind for a gateway's error code: an exact entry, else its longest
    listed prefix (codes are dotted: LimitExceeded.PhoneNumberDailyLimit)."""
    if code in table:
        return table[code]
    best = ""
    for prefix in table:
        if prefix.endswith(".") and code.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    return table[best] if best else default
