"""Outbound text messages (one-time codes, notices) through a pluggable sender.

COMMUNITY_SENDER names a class "module:Class" with a ``send(phone, text)``
method. The default (development) sender writes every message to the log, which
goes to the terminal that runs the app (community/logs.py), and outside
production also keeps the last ones in Redis for the /dev/messages page, so a
person trying sign-up on `make run` can read the code. A city plugs in its SMS
gateway here.
"""
import importlib
import json
import logging
from datetime import datetime, timezone

from flask import current_app

log = logging.getLogger("community.messaging")
DEV_MESSAGES_KEY = "community:dev:messages"
DEV_MESSAGES_KEEP = 50


def dev_messages_enabled(config) -> bool:
    """The /dev/messages page and its list: only with the development sender and never in
    production (where the messages are real texts to real people)."""
    return (config["COMMUNITY_ENV"] != "production"
            and config["COMMUNITY_SENDER"] == "community.messaging:LogSender")


class LogSender:
    def send(self, phone: str, text: str) -> None:
        # WARNING, not INFO: whatever level the log is set to, the person running the
        # app in development must see the code it "sent".
        log.warning("text message (development sender, not sent) to %s: %s", phone, text)
        if dev_messages_enabled(current_app.config):
            from .extensions import get_redis

            entry = json.dumps({"phone": phone, "text": text,
                                "at": datetime.now(timezone.utc).isoformat(timespec="seconds")},
                               ensure_ascii=False)
            conn = get_redis()
            conn.lpush(DEV_MESSAGES_KEY, entry)
            conn.ltrim(DEV_MESSAGES_KEY, 0, DEV_MESSAGES_KEEP - 1)


def last_dev_messages() -> list[dict]:
    from .extensions import get_redis

    return [json.loads(raw) for raw in get_redis().lrange(DEV_MESSAGES_KEY, 0, DEV_MESSAGES_KEEP - 1)]


def get_sender():
    sender = current_app.extensions.get("sender")
    if sender is None:
        module_name, _, class_name = current_app.config["COMMUNITY_SENDER"].partition(":")
        sender = getattr(importlib.import_module(module_name), class_name)()
        current_app.extensions["sender"] = sender
    return sender


def send_text(phone: str, text: str) -> None:
    get_sender().send(phone, text)
