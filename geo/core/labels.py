"""Codes with a name for people: each member of a ``Labelled`` enum carries a Chinese msgid.

The domain returns codes and never takes a language. A member's ``label`` is its
name as a msgid of the page catalogue (gettext domain ``messages``, Chinese
msgids) under a context, so one Chinese word can have two English names; the web
layer translates it (``web.page_strings.label_of``). ``pybabel extract`` finds the
msgids by the ``label`` keyword (``-k label:1c,2``, see docs/operations.md).
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class Label(NamedTuple):
    """A msgid of the page catalogue under its context."""

    context: str
    text: str


def label(context: str, text: str) -> Label:
    """Mark ``text`` (Chinese) as the name of a code, for the page catalogue under ``context``."""
    return Label(context, text)


class Labelled(StrEnum):
    """A string enum whose members are written ``NAME = "value", label("context", "中文")``."""

    _value_: str
    label: Label

    # ``name`` is optional only for type checkers, which read a lookup by value, ``Net("social")``,
    # as a call of this; at run time the lookup never calls it and every member has its label.
    def __new__(cls, value: str, name: Label | None = None) -> Labelled:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = name or Label("", value)
        return member
