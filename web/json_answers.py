"""JSON answers (``jsonify``) written by orjson, with the standard library's output as the rule.

Why: ``jsonify`` of a point lookup's answer (1.5 KB, mostly Chinese names) cost 293,000
instructions of the 2.37 million the app spent on the lookup (callgrind, issue #13), and
72,000 now; orjson writes straight to UTF-8, with no ``str`` made and encoded again.

Only answers are written this way. ``app.json.dumps`` (the templates' ``tojson``, the
OpenAPI document) and ``loads`` (request bodies) stay the standard library's, so what a
request may send is judged exactly as before.

The answers are the bytes Flask's own would be (compact, keys in their order, UTF-8, a
trailing newline), except that a number with an exponent is spelled ``1e-7``, not ``1e-07``.
Dates and times still go through Flask's ``default`` (RFC 822, as before), and anything
orjson refuses but the standard library writes (keys that are not strings, an integer
beyond 64 bits) is written by the standard library instead.
"""

from __future__ import annotations

from typing import Any, cast

import orjson
from flask import Flask, Response
from flask.json.provider import DefaultJSONProvider
from werkzeug.sansio.response import Response as AnyResponse

# Dates and times are left to Flask's default, which writes them as HTTP dates.
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME


class OrjsonAnswers(DefaultJSONProvider):
    """Flask's JSON provider, except that compact answers are written by orjson."""

    ensure_ascii = False  # readable Chinese in API answers (and orjson always writes UTF-8)
    sort_keys = False  # keys in the order the domain built them

    def response(self, *args: Any, **kwargs: Any) -> AnyResponse:
        indented = (self.compact is None and self._app.debug) or self.compact is False
        if indented or self.sort_keys:
            return super().response(*args, **kwargs)
        obj = self._prepare_response_obj(args, kwargs)
        try:
            body = orjson.dumps(obj, default=self.default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            # Something the standard library writes and orjson will not; the default's own
            # TypeError (an object nobody can write) is raised again by the standard library.
            return super().response(obj)
        answer = cast("type[Response]", self._app.response_class)  # typed as the sans-I/O app's; Flask's here
        return answer(body + b"\n", mimetype=self.mimetype)


def init_app(app: Flask) -> None:
    app.json = OrjsonAnswers(app)
