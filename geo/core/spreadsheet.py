"""Exports that spreadsheet programs open: cells they will not run as formulas.

Excel, LibreOffice and Google Sheets run a cell that starts with ``=``, ``+``,
``-`` or ``@`` (or a tab or carriage return, which they skip first) as a
formula. An incident title such as ``=HYPERLINK("http://evil.example", "详情")``,
typed by anyone who may report, would become a live link or worse in the
dispatcher's spreadsheet. The usual fix (OWASP's) is a leading apostrophe:
the program shows the text as typed and runs nothing. Every CSV or
spreadsheet export goes through ``spreadsheet_cell``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> object:
    """Return ``value`` safe for a spreadsheet cell: text that would start a formula gets a leading ``'``.

    Only text is changed. Numbers pass as they are, so a negative number in a
    numeric column stays a number; the same digits typed into a text field
    (``"-5"``) are text and are quoted.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_document(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A CSV document of ``rows`` under ``columns``, every cell made safe, readable as UTF-8.

    It starts with a byte-order mark, without which spreadsheet programs read
    the Chinese text in the local code page.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([spreadsheet_cell(column) for column in columns])
    writer.writerows([spreadsheet_cell(value) for value in row] for row in rows)
    return "\ufeff" + out.getvalue()
