"""Domain errors in the page's language.

The domain raises English templates with their values (``geo.errors.GridError``).
Their Chinese lives in the gettext domain ``errors`` (English msgids, unlike the
page catalogue ``messages``, whose msgids are Chinese): see docs/operations.md
for the commands. A template with no translation yet is answered in English.
"""

from __future__ import annotations

from flask_babel import Domain, get_locale

from geo.errors import GridError
from geo.incidents import Status
from geo.models import Net, Role

ERRORS = Domain(domain="errors")


def term(context: str, word: str) -> str:
    """Mark a field or action name that error values use, for extraction into the ``errors`` catalogue."""
    return word


# Field and action names as they appear in error values ("note" is both).
TERMS = (
    term("field", "title"),
    term("field", "description"),
    term("field", "address"),
    term("field", "reporter_name"),
    term("field", "reporter_phone"),
    term("field", "note"),
    term("field", "net"),
    term("field", "nets"),
    term("field", "category"),
    term("field", "channel"),
    term("field", "priority"),
    term("field", "crs"),
    term("field", "lon"),
    term("field", "lat"),
    term("field", "worker"),
    term("field", "duplicate_of"),
    term("field", "file"),
    term("field", "action"),
    term("field", "grid"),
    term("field", "level"),
    term("field", "bbox"),
    term("field", "at"),
    term("field", "generation"),
    term("field", "since"),
    term("field", "until"),
    term("field", "on"),
    term("field", "date"),
    term("field", "role"),
    term("field", "username"),
    term("field", "password"),
    term("field", "jurisdiction"),
    term("field", "geometry"),
    term("field", "target"),
    term("field", "kind"),
    term("field", "windows"),
    term("field", "windows.start"),
    term("field", "windows.end"),
    term("field", "overrides"),
    term("field", "name_zh"),
    term("field", "altitude_min_m"),
    term("field", "ends"),
    term("field", "ends_at"),
    term("field", "team_id"),
    term("field", "zone"),
    term("field", "version"),
    term("field", "page"),
    term("action", "register"),
    term("action", "dispatch"),
    term("action", "accept"),
    term("action", "resolve"),
    term("action", "verify"),
    term("action", "reopen"),
    term("action", "reject"),
    term("action", "duplicate"),
    term("action", "reassign"),
    term("action", "escalate"),
    term("action", "note"),
    term("action", "attach"),
)

# Values named like these are codes with a name of their own in each language.
_LABELLED = {"net": Net, "other": Net, "status": Status, "role": Role}
_TERM_CONTEXTS = {"field": "field", "action": "action", "allowed": "action"}


def localized_message(error: GridError) -> str:
    """``error``'s message in the request's language (Chinese unless English was chosen)."""
    lang = str(get_locale())
    template = ERRORS.gettext(error.template) if lang != "en" else error.template
    if template == error.template:
        return error.message
    if not error.params:
        return template
    return template.format(**{name: _word(name, value, lang) for name, value in error.params.items()})


def _word(name: str, value: object, lang: str) -> object:
    if isinstance(value, list | tuple):
        return "、".join(str(_word(name, item, lang)) for item in value)
    if name in _LABELLED and isinstance(value, str):
        try:
            return _LABELLED[name](value).label(lang)
        except ValueError:
            return value
    if name in _TERM_CONTEXTS and isinstance(value, str):
        return ERRORS.pgettext(_TERM_CONTEXTS[name], value)
    return value
