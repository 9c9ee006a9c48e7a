"""The text-message sender in use (COMMUNITY_SENDER, "module:Class").

A sender takes an `Outgoing` (phone, template code, checked parameters, and the zh
text) and returns a `Sent`, or raises `SendError` saying whether to retry, give up,
or fix the configuration (community.sms.gateways). Shipped:

- community.core.messaging:LogSender (default): sends nothing; writes each message, codes
  included, to the log (at WARNING, so the terminal of `make run` always shows it)
  and, outside production, keeps the last ones for the /dev/messages page;
- community.sms.aliyun:AliyunSender: Alibaba Cloud SMS;
- community.sms.tencent:TencentSender: Tencent Cloud SMS.

What is texted and when is decided elsewhere: community.sms.services (templates,
caps, opt-outs, receipts). docs/messaging.md walks a city through switching.
"""
import importlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone

from flask import current_app


log = logging.getLogger("community.messaging")


@dataclass
class Sent:
    """What a sender answers (the development sender here, the gateways in community.sms)."""
    gateway_ref: str = ""                 # the gateway's id, which its receipt names
    delivered: bool = False               # no receipt will come: count it delivered now
    extra: dict = field(default_factory=dict)
DEV_MESSAGES_KEY = "community:dev:messages"
DEV_MESSAGES_KEEP = 50


def dev_messages_enabled(config) -> bool:
    """The /dev/messages page and its list: only with the development sender and never in
    production (where the messages are real texts to real people)."""
    return (config["COMMUNITY_ENV"] != "production"
            and config["COMMUNITY_SENDER"] == "community.core.messaging:LogSender")


class LogSender:
    """No gateway: the message is written to the log and counted delivered, since no
    receipt will ever come."""

    def send(self, message) -> Sent:
        # WARNING, not INFO: whatever level the log is set to, the person running the
        # app in development must see the code it "sent".
        log.warning("text message (development sender, not sent) to %s [%s]: %s",
                    message.phone, message.template, message.text)
        if dev_messages_enabled(current_app.config):
            from community.core.extensions import get_redis

            entry = json.dumps({"phone": message.phone, "text": message.text,
                                "at": datetime.now(timezone.utc).isoformat(timespec="seconds")},
                               ensure_ascii=False)
            conn = get_redis()
            conn.lpush(DEV_MESSAGES_KEY, entry)
            conn.ltrim(DEV_MESSAGES_KEY, 0, DEV_MESSAGES_KEEP - 1)
        return Sent(gateway_ref="", delivered=True)


def last_dev_messages() -> list[dict]:
    from community.core.extensions import get_redis

    return [json.loads(raw) for raw in get_redis().lrange(DEV_MESSAGES_KEY, 0, DEV_MESSAGES_KEEP - 1)]


def get_sender():
    sender = current_app.extensions.get("sender")
    if sender is None:
        module_name, _, class_name = current_app.config["COMMUNITY_SENDER"].partition(":")
        sender = getattr(importlib.import_module(module_name), class_name)()
        current_app.extensions["sender"] = sender
    return sender
