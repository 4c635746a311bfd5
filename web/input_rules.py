"""What a request's input must be before any view reads it, and the shared fields that check the rest.

PostgreSQL refuses text holding NUL bytes, Python cannot encode a lone surrogate
as UTF-8, ids are int4 and a timestamp past the year 9999 cannot be read back:
each of these, once it reached the database, answered 500 (or broke every later
page listing the row). They are refused here with a 400 naming the field:

- ``refuse_unstorable_text`` runs before every view, over the path, the query,
  the headers, the form and the JSON body (bounded in size and depth before it
  is parsed: Python's parser recurses once per level and fails at about 1,000);
- ``<int:...>`` in every URL rule is ``BoundedIntConverter`` (int4);
- schemas use ``Id``, ``Day`` and ``Moment`` (the county's window of dates,
  ``geo.core.calendar``), and hand-read parameters ``whole_number_arg`` and ``day_arg``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from flask import Flask, Request, request
from flask_smorest import Blueprint
from marshmallow import fields, validate
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter, Map, Rule

from geo.core.calendar import EARLIEST_DAY, EARLIEST_MOMENT, LATEST_DAY, LATEST_MOMENT
from geo.core.errors import GridError, InvalidInput

#: PostgreSQL's ``integer``: every id and version column.
INT4_MAX = 2**31 - 1
#: The largest JSON body a view takes (zone and plan geometries are drawn by hand: kilobytes).
MAX_JSON_BYTES = 2 * 1024 * 1024
#: GeoJSON MultiPolygon coordinates nest four deep inside a body; nothing we take needs more than this.
MAX_JSON_DEPTH = 32

# A JSON string (skipped whole, brackets inside it do not count) or one bracket.
_JSON_STRING_OR_BRACKET = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')
# The NUL character and the UTF-16 surrogate halves, which no UTF-8 text can hold on their own.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class JsonBodyTooLarge(GridError):
    """A JSON body larger than any view takes."""

    status = 413


class NotJson(GridError):
    """A body sent as something other than JSON to a view that reads JSON."""

    status = 415


class PathValueError(BadRequest):
    """A URL value its rule matched but that no row can have; routing may raise only HTTP errors, so this
    carries the domain error the JSON error handler answers with."""

    def __init__(self, problem: GridError):
        super().__init__(problem.message)
        self.problem = problem


class BoundedIntConverter(IntegerConverter):
    """``<int:...>``: digits up to int4; a larger number is a 400 naming the path variable, not a 500."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", INT4_MAX)
        super().__init__(map, *args, **kwargs)
        self.variable = "path"  # NamedConverterRule names it

    def to_python(self, value: str) -> Any:
        largest = INT4_MAX if self.max is None else self.max
        if int(value) > largest:
            raise PathValueError(out_of_range(self.variable, value, 0, largest))
        return super().to_python(value)


class NamedConverterRule(Rule):
    """A URL rule whose converters know the variable they convert (for the errors they raise)."""

    def get_converter(self, variable_name: str, converter_name: str, args: Any, kwargs: Any) -> Any:
        converter: Any = super().get_converter(variable_name, converter_name, args, kwargs)  # gains .variable
        converter.variable = variable_name
        return converter


def out_of_range(field: str, value: object, low: int, high: int) -> InvalidInput:
    return InvalidInput(
        "{field} must be a whole number from {min} to {max}, got {value}",
        field=field,
        min=low,
        max=high,
        value=str(value)[:40],
    )


def whole_number_arg(raw: str, field: str, low: int = 0) -> int:
    """A hand-read parameter as a whole number from ``low`` to int4's largest."""
    if not raw.isdigit() or not low <= int(raw) <= INT4_MAX:
        raise out_of_range(field, raw, low, INT4_MAX)
    return int(raw)


def day_arg(raw: str, field: str) -> date:
    """A hand-read ``YYYY-MM-DD`` parameter, a day inside the county's window of dates."""
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            "{field} must be a date like 2026-06-01, got {value!r}", field=field, value=raw[:20]
        ) from None
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise InvalidInput(
            "{field} must lie between {earliest} and {latest}, got {value}",
            field=field,
            earliest=EARLIEST_DAY,
            latest=LATEST_DAY,
            value=day,
        )
    return day


class Id(fields.Integer):
    """An id or a version: a whole number that fits PostgreSQL's ``integer``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.insert(0, validate.Range(min=0, max=INT4_MAX))


class Day(fields.Date):
    """A ``YYYY-MM-DD`` day inside the county's window of dates (``geo.core.calendar``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.insert(0, validate.Range(min=EARLIEST_DAY, max=LATEST_DAY))


class Moment(fields.AwareDateTime):
    """An ISO 8601 time with its offset, inside the county's window of dates (``geo.core.calendar``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.insert(0, validate.Range(min=EARLIEST_MOMENT, max=LATEST_MOMENT))


def _unstorable(field: str) -> InvalidInput:
    # The field's name may hold the character itself (a JSON key); escaped, so the answer can be encoded.
    field = _UNSTORABLE.sub(lambda found: f"\\u{ord(found[0]):04x}", field)
    return InvalidInput("{field} holds a character that cannot be stored (a NUL byte or a lone surrogate)", field=field)


def _texts_in(value: object, path: str) -> Iterator[tuple[str, str]]:
    """Every string in a parsed JSON value (keys too) with the dotted path naming where it is."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path != "json" else str(key)
            yield inner, str(key)
            yield from _texts_in(item, inner)
    elif isinstance(value, list):
        for item in value:
            yield from _texts_in(item, path)


def _json_body_texts() -> Iterator[tuple[str, str]]:
    body = request.get_data(cache=True)
    if len(body) > MAX_JSON_BYTES:
        raise JsonBodyTooLarge(
            "the JSON body is larger than the {megabytes} MB accepted here",
            field="json",
            megabytes=MAX_JSON_BYTES // (1024 * 1024),
        )
    depth = 0
    for token in _JSON_STRING_OR_BRACKET.finditer(body):
        if token[0] in (b"[", b"{"):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise InvalidInput("the JSON body nests deeper than {depth} levels", field="json", depth=MAX_JSON_DEPTH)
        elif token[0] in (b"]", b"}"):
            depth -= 1
    yield from _texts_in(request.get_json(silent=True), "json")


def _request_texts() -> Iterator[tuple[str, str]]:
    """(field, text) for everything of the request a view may read or store."""
    yield "path", request.path
    for name, value in request.args.items(multi=True):
        yield name, name
        yield name, value
    for name, value in request.headers.items():
        yield name, value
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for name, value in request.form.items(multi=True):
            yield name, name
            yield name, value
        for name, upload in request.files.items(multi=True):
            yield name, upload.filename or ""
    elif request.is_json and request.method != "GET":
        yield from _json_body_texts()


def _bodiless_texts(asked: Request) -> Iterator[str]:
    """The texts ``_request_texts`` names for a request whose body no view reads as form or JSON (it has no
    Content-Type): its path, its query's names and values and its headers, without building each header's name."""
    yield asked.path
    for name, values in asked.args.lists():
        yield name
        yield from values
    for key, value in asked.environ.items():
        if key.startswith("HTTP_") or key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            yield value


def refuse_unstorable_text() -> None:
    """Refuse a request carrying text the database cannot store (runs after the size limit is set)."""
    asked = request._get_current_object()  # type: ignore[attr-defined]  # once, not through the proxy each time
    # A program's GET, most requests, is settled by one search over its texts unnamed: the check costs a
    # point lookup 51,000 instructions, not 116,000 (issue #13). Only a request that fails it is searched by field.
    if "CONTENT_TYPE" not in asked.environ and not _UNSTORABLE.search("\n".join(_bodiless_texts(asked))):
        return
    texts = list(_request_texts())
    # One search over them all first: hardly any request holds such a character, and a search per
    # header and argument cost twice as much (issue #13). The field is named from the slow path.
    if not _UNSTORABLE.search("\n".join(text for _, text in texts)):
        return
    for field, text in texts:
        if _UNSTORABLE.search(text):
            raise _unstorable(field)


class _QuietMissValues(ImmutableMultiDict):
    """werkzeug's ImmutableMultiDict, whose ``get`` answers a missing key without raising inside.

    werkzeug's ``get`` tries ``self[key]``, and a miss builds a ``BadRequestKeyError`` (an HTTP
    exception) only to catch it: 1.8 µs a miss, six misses a point lookup (its optional query
    parameters, the session and language cookies; issue #13).
    """

    def get(self, key, default=None, type=None):  # type: ignore[override]  # werkzeug's own signature
        if key not in self:
            return default
        return super().get(key, default, type)


class QuietMissRequest(Request):
    """Flask's request, with query, form and cookie values in ``_QuietMissValues``."""

    parameter_storage_class = _QuietMissValues
    dict_storage_class = _QuietMissValues


def init_app(app: Flask) -> None:
    """Bound ``<int:...>`` in every rule added from now on and check every request's text."""
    app.request_class = QuietMissRequest
    app.url_rule_class = NamedConverterRule
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(refuse_unstorable_text)


class ArgumentsParser(FlaskParser):
    """webargs' parser answering 400 for a body or query that does not fit its schema, like all bad input."""

    DEFAULT_VALIDATION_STATUS = 400


class ApiBlueprint(Blueprint):
    """A documented API blueprint whose schemas refuse bad input with 400 naming the field."""

    ARGUMENTS_PARSER = ArgumentsParser()
