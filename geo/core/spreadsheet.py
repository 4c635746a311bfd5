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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice

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
    """A CSV document of ``rows`` under ``columns``, every cell made safe, readable as UTF-8 (``csv_chunks`` joined)."""
    return "".join(csv_chunks(columns, rows))


def csv_chunks(columns: Sequence[str], rows: Iterable[Sequence[object]], rows_per_chunk: int = 5000) -> Iterator[str]:
    """A CSV document in pieces of ``rows_per_chunk`` rows, to stream: every cell made safe.

    It starts with a byte-order mark, without which spreadsheet programs read
    the Chinese text in the local code page.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    out.write("\ufeff")
    writer.writerow([spreadsheet_cell(column) for column in columns])
    rows = iter(rows)
    while chunk := list(islice(rows, rows_per_chunk)):
        writer.writerows([list(map(spreadsheet_cell, row)) for row in chunk])
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    yield out.getvalue()


@dataclass(frozen=True)
class Sheet:
    """One worksheet of a workbook: its name, header row and rows; ``widths`` per column in characters."""

    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[object]]
    widths: Sequence[int] = ()
    #: Columns (0-based) holding percentages from 0 to 100, shown with two decimals.
    percent_columns: frozenset[int] = frozenset()


def xlsx_document(sheets: Sequence[Sheet]) -> bytes:
    """An .xlsx workbook of ``sheets``: a bold, frozen header, set widths, every cell made safe.

    Missing values (None) stay empty cells and read back as None; numbers stay numbers.
    """
    from openpyxl import Workbook  # imported here: only exports need it, and it is slow to import
    from openpyxl.styles import Alignment, Font, PatternFill

    workbook = Workbook()
    workbook.remove(workbook.active)
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDE6F0")
    for sheet in sheets:
        worksheet = workbook.create_sheet(str(spreadsheet_cell(sheet.title))[:31])
        worksheet.append([spreadsheet_cell(column) for column in sheet.columns])
        for cell in worksheet[1]:
            cell.font = header_font
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in sheet.rows:
            worksheet.append([spreadsheet_cell(value) for value in row])
        for index in sheet.percent_columns:
            for (cell,) in worksheet.iter_rows(min_row=2, min_col=index + 1, max_col=index + 1):
                cell.number_format = "0.00"
        for index, width in enumerate(sheet.widths, 1):
            worksheet.column_dimensions[worksheet.cell(row=1, column=index).column_letter].width = width
        worksheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
