"""Outbound text messages (one-time codes, notices) through a pluggable sender.

COMMUNITY_SENDER names a class "module:Class" with a ``send(phone, text)``
method. The default writes to the log, which is what development and the
demo need; a city plugs in its SMS gateway here.
"""
import importlib
import logging

from flask import current_app

log = logging.getLogger("community.messaging")


class LogSender:
    def send(self, phone: str, text: str) -> None:
        log.info("message to %s: %s", phone, text)


def get_sender():
    sender = current_app.extensions.get("sender")
    if sender is None:
        module_name, _, class_name = current_app.config["COMMUNITY_SENDER"].partition(":")
        sender = getattr(importlib.import_module(module_name), class_name)()
        current_app.extensions["sender"] = sender
    return sender


def send_text(phone: str, text: str) -> None:
    get_sender().send(phone, text)
