"""Every Chinese UI string has its English, and every error template its Chinese."""

import importlib.util
import string
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def test_english_catalogue_is_complete():
    with open(CATALOGUE, "rb") as source:
        catalogue = read_po(source)
    untranslated = [m.id for m in catalogue if m.id and (not m.string or m.fuzzy)]
    assert untranslated == []


def test_every_error_template_has_its_chinese():
    spec = importlib.util.spec_from_file_location("translate_errors_zh", ROOT / "scripts" / "translate_errors_zh.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    with open(script.CATALOGUE, "rb") as source:
        catalogue = read_po(source)
    translated = {(m.context, m.id) for m in catalogue if m.id and m.string and not m.fuzzy}
    raised = {(m.context, m.id) for m in script.extracted() if m.id}
    assert raised - translated == set(), "run python scripts/translate_errors_zh.py"


def test_error_translations_use_only_the_values_their_templates_have():
    with open(ROOT / "translations" / "zh" / "LC_MESSAGES" / "errors.po", "rb") as source:
        catalogue = read_po(source)
    for message in catalogue:
        if message.id and message.string:
            names = {name for _, name, _, _ in string.Formatter().parse(str(message.id)) if name}
            used = {name for _, name, _, _ in string.Formatter().parse(str(message.string)) if name}
            assert used <= names, (message.id, message.string)
