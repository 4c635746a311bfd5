"""Open311 GeoReport v2 answers, in XML (xml.etree.ElementTree) and JSON, with the specification's element names.

Each answer is built once as plain data: a list of records for a plural root
(``services`` of ``service``) or one record, whose values are text, numbers,
booleans, None (an empty element), lists of records or lists of text (named by
``LIST_ITEMS``). XML and JSON are two spellings of the same data.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

from flask import Response, jsonify

from geo.core.calendar import COUNTY_TZ

#: What a list's items are called in XML (the specification's names).
LIST_ITEMS = {
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
    "notes": "note",
}
XML = "text/xml; charset=utf-8"


def iso(moment: datetime | None) -> str | None:
    """A time as the specification writes it: ISO 8601 with the county's offset (+08:00)."""
    return moment.astimezone(COUNTY_TZ).isoformat(timespec="seconds") if moment else None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _element(parent: ET.Element, name: str, value: Any) -> None:
    child = ET.SubElement(parent, name)
    if isinstance(value, list):
        item = LIST_ITEMS[name]
        for entry in value:
            if isinstance(entry, dict):
                _fill(ET.SubElement(child, item), entry)
            else:
                ET.SubElement(child, item).text = _text(entry)
    elif isinstance(value, dict):
        _fill(child, value)
    elif value is not None:
        child.text = _text(value)


def _fill(element: ET.Element, record: dict) -> None:
    for name, value in record.items():
        _element(element, name, value)


def answer(data: dict | list[dict], fmt: str, *, root: str, item: str | None = None, status: int = 200) -> Response:
    """``data`` as XML (under ``root``, each record an ``item``) or JSON; a list answers as a list."""
    if fmt == "json":
        response = jsonify(data)
        response.status_code = status
        return response
    top = ET.Element(root)
    if isinstance(data, list):
        for record in data:
            _fill(ET.SubElement(top, item or root), record)
    else:
        _fill(top, data)
    body = ET.tostring(top, encoding="unicode", xml_declaration=False)
    return Response('<?xml version="1.0" encoding="utf-8"?>\n' + body, status=status, content_type=XML)


def errors(status: int, description: str, fmt: str) -> Response:
    """The specification's error answer: a list of ``{code, description}``."""
    return answer([{"code": status, "description": description}], fmt, root="errors", item="error", status=status)
