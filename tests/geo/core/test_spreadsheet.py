"""Export cells that spreadsheet programs would run as formulas are neutralised."""

import csv
import io

import pytest

from geo.core.spreadsheet import csv_document, spreadsheet_cell


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("http://evil.example","详情")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1"],
)
def test_text_that_starts_a_formula_gets_an_apostrophe(text):
    assert spreadsheet_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["草场边界纠纷", "a=b", "", "1-2", None, -99.5, -3, 0, True])
def test_other_cells_and_numbers_pass_unchanged(value):
    assert spreadsheet_cell(value) is value


def test_csv_document_neutralises_every_cell_and_starts_with_a_bom():
    document = csv_document(("title", "lon"), [("=1+1", -99.5), ("草场", 99.3)])
    assert document.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(document.lstrip("\ufeff"))))
    assert rows == [["title", "lon"], ["'=1+1", "-99.5"], ["草场", "99.3"]]
