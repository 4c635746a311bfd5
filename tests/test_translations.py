"""Every Chinese UI string has its English."""

from pathlib import Path

from babel.messages.pofile import read_po

CATALOGUE = Path(__file__).resolve().parents[1] / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def test_english_catalogue_is_complete():
    with open(CATALOGUE, "rb") as source:
        catalogue = read_po(source)
    untranslated = [m.id for m in catalogue if m.id and (not m.string or m.fuzzy)]
    assert untranslated == []
