"""GeoReport v2 answers in JSON or XML, and its error list."""
import json
import re
import xml.etree.ElementTree as ET

from flask import current_app, request

# The element a list's items get in XML, by the list's element name.
ITEM_TAGS = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute",
             "values": "value", "services": "service", "service_requests": "request",
             "errors": "error"}


# Characters XML 1.0 cannot carry at all (a text typed on the web may hold one).
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _build(parent, tag, value):
    element = ET.SubElement(parent, tag)
    _fill(element, tag, value)


def _fill(element, tag, value):
    if isinstance(value, dict):
        for key, child in value.items():
            _build(element, key, child)
    elif isinstance(value, list):
        item_tag = ITEM_TAGS.get(tag, "item")
        for item in value:
            _build(element, item_tag, item)
    else:
        element.text = _text(value)


def to_xml(root_tag: str, value) -> bytes:
    root = ET.Element(root_tag)
    _fill(root, root_tag, value)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def respond(fmt: str, root_tag: str, value, status: int = 200):
    """`value` is what JSON shows; XML wraps it in `root_tag` (a list's items
    take the ITEM_TAGS name)."""
    if fmt == "xml":
        body, mimetype = to_xml(root_tag, value), "text/xml"
    else:
        body, mimetype = json.dumps(value, ensure_ascii=False), "application/json"
    response = current_app.response_class(body, status=status, mimetype=mimetype)
    return response


def request_format() -> str:
    path = request.path.rstrip("/")
    return "xml" if path.endswith(".xml") else "json"


def error(status: int, description: str, fmt: str | None = None):
    """The spec's error answer: a list of {code, description}."""
    return errors(status, [description], fmt)


def errors(status: int, descriptions, fmt: str | None = None):
    """Several problems of one request, one entry each (the spec's list exists for that)."""
    return respond(fmt or request_format(), "errors",
                   [{"code": status, "description": str(d)} for d in descriptions], status)
