"""Domain errors. The web layer turns each into a 4xx JSON answer with its message."""

from __future__ import annotations

from dataclasses import dataclass
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
    return ", ".join(map(str, value)) if isinstance(value, list | tuple) else value


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


@dataclass(frozen=True)
class Problem:
    """One problem found while validating boundaries; ``where`` is a (lon, lat) when it is a place."""

    message: str
    code: str | None = None
    where: tuple[float, float] | None = None

    def as_dict(self) -> dict:
        return {"message": self.message, "code": self.code, "where": list(self.where) if self.where else None}


class BoundaryImportError(GridError):
    """A boundary file cannot be imported; ``problems`` lists every reason."""

    status = 422

    def __init__(self, problems: list[Problem]):
        summary = "; ".join(p.message for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"{len(problems)} problem(s): {summary}{more}", details=[p.as_dict() for p in problems])
        self.problems = problems
