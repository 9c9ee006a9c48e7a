"""The text-message sender in use (COMMUNITY_SENDER, "module:Class").

A sender takes an `Outgoing` (phone, template code, checked parameters, and the zh
text) and returns a `Sent`, or raises `SendError` saying whether to retry, give up,
or fix the configuration (community.sms.gateways). Shipped:

- community.messaging:LogSender (default): writes each message, codes included, to the
  log, which `make run` shows in its terminal: development and the demo;
- community.sms.aliyun:AliyunSender: Alibaba Cloud SMS;
- community.sms.tencent:TencentSender: Tencent Cloud SMS.

What is texted and when is decided elsewhere: community.sms.services (templates,
caps, opt-outs, receipts). docs/messaging.md walks a city through switching.
"""
import importlib
import logging

from flask import current_app

from community.sms.gateways import Sent

log = logging.getLogger("community.messaging")


class LogSender:
    """No gateway: the message is written to the log (INFO, shown by default) and
    counted delivered, since no receipt will ever come."""

    def send(self, message) -> Sent:
        log.info("text to %s [%s]: %s", message.phone, message.template, message.text)
        return Sent(gateway_ref="", delivered=True)


def get_sender():
    sender = current_app.extensions.get("sender")
    if sender is None:
        module_name, _, class_name = current_app.config["COMMUNITY_SENDER"].partition(":")
        sender = getattr(importlib.import_module(module_name), class_name)()
        current_app.extensions["sender"] = sender
    return sender
