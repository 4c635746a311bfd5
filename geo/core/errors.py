"""Domain errors. The web layer turns each into a 4xx JSON answer with its message."""

from __future__ import annotations

from enum import Enum
from typing import TypeVar


class GridError(Exception):
    """Base of every error a user can act on; ``status`` is the HTTP status it maps to.

    ``message`` is English. Where it is a template, such as ``"{field} is
    required"``, its values come as keyword ``params`` (``field`` always is one):
    the web layer then shows the template in the page's language with the values
    filled in, and ``message`` holds the English text.
    """

    status = 400

    def __init__(self, message: str, *, field: str | None = None, details: object = None, **params: object):
        self.template = message
        self.params = {"field": field, **params} if params or "{field}" in message else {}
        self.message = (
            message.format(**{name: _english(value) for name, value in self.params.items()}) if self.params else message
        )
        super().__init__(self.message)
        self.field = field
        self.details = details


def _english(value: object) -> object:
    if isinstance(value, Problem):
        return value.message
    if isinstance(value, list | tuple):
        return ("; " if any(isinstance(item, Problem) for item in value) else ", ").join(map(str, map(_english, value)))
    return value


def error_template(text: str) -> str:
    """Mark an error template that is not the first argument of a raise, for the ``errors`` catalogue."""
    return text


class InvalidInput(GridError):
    """A parameter is missing, malformed or out of range."""


Choice = TypeVar("Choice", bound=Enum)


def one_of(enum: type[Choice], value: object, field: str) -> Choice:
    """The member of ``enum`` whose value is ``value``; else InvalidInput naming ``field`` and the choices."""
    try:
        return enum(value)
    except ValueError:
        choices = ", ".join(str(member.value) for member in enum)
        raise InvalidInput(
            "{field} must be one of {choices}, got {value!r}", field=field, choices=choices, value=str(value)[:40]
        ) from None


class NotFound(GridError):
    """The thing asked for does not exist (or is not visible to the caller)."""

    status = 404


class Problem:
    """One problem found while validating boundaries; ``where`` is a (lon, lat) when it is a place.

    Like a GridError, it is an English ``template`` with its values as keyword ``params``;
    ``message`` is the English text, and the web layer says it in the page's language.
    """

    __slots__ = ("code", "params", "template", "where")

    def __init__(
        self, template: str, code: str | None = None, where: tuple[float, float] | None = None, **params: object
    ):
        self.template = template
        self.code = code
        self.where = where
        self.params = params

    @property
    def message(self) -> str:
        return self.template.format(**{name: _english(value) for name, value in self.params.items()})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Problem) and (self.template, self.code, self.where, self.params) == (
            other.template,
            other.code,
            other.where,
            other.params,
        )

    def __repr__(self) -> str:
        return f"Problem({self.message!r}, code={self.code!r}, where={self.where!r})"

    def as_dict(self) -> dict:
        """The problem for an answer: ``message`` in English; ``template`` and ``params`` say it in another."""
        return {
            "message": self.message,
            "template": self.template,
            "params": self.params,
            "code": self.code,
            "where": list(self.where) if self.where else None,
        }


class BoundaryImportError(GridError):
    """A boundary file cannot be imported; ``problems`` lists every reason."""

    status = 422

    def __init__(self, problems: list[Problem]):
        shown = problems[:5]
        template = (
            error_template("{count} problem(s), the first {shown}: {problems}")
            if len(problems) > len(shown)
            else error_template("{count} problem(s): {problems}")
        )
        details = [p.as_dict() for p in problems]
        super().__init__(template, details=details, count=len(problems), shown=len(shown), problems=shown)
        self.problems = problems
