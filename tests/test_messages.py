"""Every user-facing message is a template in the gettext catalogue, in Chinese and English.

f-strings cannot be translated (gettext sees no template), so none may be the
message of a raise or a Problem; a route refuses with a domain error, never an
``abort()`` with English text; every page string and every code's name has its
English; and the pages' scripts hold no words of their own.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from geo.core.errors import Problem
from web.page_strings import LABELLED, page_strings

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ("geo", "routes", "web")
ENGLISH_CATALOGUE = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def _calls_with_messages(tree: ast.AST) -> Iterator[tuple[ast.Call, ast.expr]]:
    """Each raise of a call, each ``Problem(...)`` and each ``abort(...)``, with the argument that is its message."""
    for node in ast.walk(tree):
        call = node.exc if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) else None
        if isinstance(node, ast.Call) and _name(node.func) in ("Problem", "abort"):
            call = node
        if call is None:
            continue
        keywords = {keyword.arg: keyword.value for keyword in call.keywords}
        for message in (*call.args[:2], keywords.get("description"), keywords.get("message")):
            if message is not None:
                yield call, message


def _name(func: ast.expr) -> str | None:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _is_built_text(node: ast.expr) -> bool:
    """An f-string, a concatenation with a value or ``"...".format(...)``: text gettext cannot find."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return not all(isinstance(side, ast.Constant) for side in (node.left, node.right))
    return isinstance(node, ast.Call) and _name(node.func) == "format" and isinstance(node.func, ast.Attribute)


def _sources() -> Iterator[Path]:
    for folder in CHECKED:
        yield from sorted((ROOT / folder).rglob("*.py"))


def test_no_message_is_built_in_code():
    built = [
        f"{path.relative_to(ROOT)}:{call.lineno}: {ast.unparse(call)[:100]}"
        for path in _sources()
        for call, message in _calls_with_messages(ast.parse(path.read_text(), str(path)))
        if _is_built_text(message)
    ]
    assert built == [], "give the template and its values as keyword arguments"


def test_routes_refuse_with_domain_errors_not_abort_text():
    aborts = [
        f"{path.relative_to(ROOT)}:{call.lineno}"
        for path in _sources()
        for call, _ in _calls_with_messages(ast.parse(path.read_text(), str(path)))
        if _name(call.func) == "abort" and (len(call.args) > 1 or call.keywords)
    ]
    assert aborts == [], "raise a GridError (its template is translated) instead of abort(description=...)"


def test_the_checker_sees_an_f_string_message():
    tree = ast.parse('raise InvalidInput(f"no grid {code}")\nProblem("gap " + str(area))\nabort(404, description="x")')
    assert [_is_built_text(message) for _, message in _calls_with_messages(tree)] == [True, True, False, False]


def test_a_problem_is_a_template_with_its_values():
    problem = Problem("grid {grid} has no name", "533422102", grid="533422102")
    assert problem.message == "grid 533422102 has no name"
    assert problem.as_dict()["template"] == "grid {grid} has no name"
    assert problem.as_dict()["params"] == {"grid": "533422102"}


def _english_catalogue() -> dict[tuple[str | None, str], str]:
    with open(ENGLISH_CATALOGUE, "rb") as source:
        return {
            (m.context, m.id): m.string
            for m in read_po(source)
            if isinstance(m.id, str) and isinstance(m.string, str) and m.id and m.string and not m.fuzzy
        }


def test_every_code_has_its_name_in_the_catalogue():
    english = _english_catalogue()
    missing = [
        f"{enum.__name__}.{member.name}"
        for enum in LABELLED.values()
        for member in enum
        if (member.label.context, member.label.text) not in english
    ]
    assert missing == [], "run pybabel extract -k label:1c,2 and update, then scripts/translate_en.py"


def _leaves(strings: object) -> Iterator[str]:
    if isinstance(strings, dict):
        for value in strings.values():
            yield from _leaves(value)
    else:
        yield str(strings)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_strings_are_complete_in_each_language(app, lang):
    with app.test_request_context(f"/?lang={lang}"):
        strings = list(_leaves(page_strings()))
    assert all(isinstance(text, str) and text for text in strings)
    chinese = [text for text in strings if CJK.search(text)]
    if lang == "zh":
        assert len(chinese) > len(strings) * 0.9  # the msgids themselves (a few are symbols: "—")
    else:
        assert chinese == [], "run scripts/translate_en.py: these have no English"


def test_scripts_hold_no_words_of_their_own():
    scripts = sorted((ROOT / "static" / "js").glob("*.js"))
    assert scripts
    worded = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in scripts
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if CJK.search(line)
    ]
    assert worded == [], "take the words from gridmap.strings (web/page_strings.py)"


def test_every_kind_of_history_row_has_a_name_on_the_page(app):
    """The history lists what the domain records: each workflow step, intake, re-routing and photos."""
    from geo.dispatch.actions import ACTIONS
    from web.page_strings import page_strings

    recorded = set(ACTIONS) | {"report", "reroute", "attach"}
    for source in (ROOT / "geo" / "dispatch").glob("*.py"):
        # record_event(session, incident, actor, "<action>", status before, ...)
        recorded |= set(re.findall(r'record_event\([^)]*?"([a-z_]+)", (?:incident\.status|before)', source.read_text()))
    with app.test_request_context("/?lang=en"):
        named = set(page_strings()["dispatch"]["action"])
    assert recorded - named == set()
