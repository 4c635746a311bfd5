"""Training records to and from the county's spreadsheets (XLSX or CSV).

The format is decided from the bytes before any library opens them: an XLSX is
a zip (its directory is checked for size and count before openpyxl reads it),
anything else must be text (UTF-8, with or without a byte-order mark, or GB18030
as Chinese Excel saves CSV). A dry run names every bad row (its row number in the
sheet, the header being row 1, and the problem); the import itself writes every
row or, if any row is bad, none.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from geo.accounts.capabilities import Capability
from geo.accounts.principal import Principal
from geo.core.audit import record
from geo.core.calendar import county_day
from geo.core.clock import now_utc
from geo.core.errors import GridError, InvalidInput, Problem, error_template
from geo.core.spreadsheet import FORMULA_STARTS, Sheet, csv_document, xlsx_document
from geo.workforce.models import TrainingRecord
from geo.workforce.training import TrainingConflict, TrainingInput, checked_training, trainings

#: Bytes an uploaded file may have, rows it may hold, and what its zip may unpack to.
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
MAX_UNPACKED_BYTES = 30 * 1024 * 1024
MAX_ZIP_MEMBERS = 200

#: The sheet's columns, as the county's spreadsheets head them; 姓名 is for people and not read back.
COLUMNS = ("网格员编号", "姓名", "课程", "主题", "学时", "日期", "证书编号")
_FIELDS = {
    "网格员编号": "worker",
    "课程": "course",
    "主题": "topic",
    "学时": "hours",
    "日期": "held_on",
    "证书编号": "certificate",
}
_REQUIRED = ("网格员编号", "课程", "主题", "学时", "日期")


class UnreadableFile(GridError):
    """The upload is not a training sheet this import reads."""

    status = 422


class TrainingImportError(GridError):
    """Rows of the sheet are bad: nothing was imported; ``details`` lists each row's problem."""

    status = 422


@dataclass(frozen=True)
class RowProblem:
    """What is wrong with one row; ``row`` counts as the sheet does (the header is row 1)."""

    row: int
    problem: Problem

    def as_dict(self) -> dict:
        return {"row": self.row, **self.problem.as_dict()}


@dataclass(frozen=True)
class ImportCheck:
    """What a dry run found: the rows read, the records they make and each bad row's problem."""

    rows: int
    records: list[dict]
    problems: list[RowProblem]

    def as_dict(self) -> dict:
        return {
            "rows": self.rows,
            "valid": len(self.records),
            "problems": [problem.as_dict() for problem in self.problems],
        }


def _unquoted(value: object) -> object:
    """A cell as typed: the apostrophe our exports put before formula-like text is taken off again."""
    if isinstance(value, str):
        value = value.strip()
        if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
            return value[1:]
    return value


def _xlsx_rows(data: bytes) -> list[list[object]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise UnreadableFile("the file is neither an XLSX workbook nor a CSV text") from None
    members = archive.infolist()
    if len(members) > MAX_ZIP_MEMBERS or sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
        raise UnreadableFile("the workbook unpacks to more than {limit} MB", limit=MAX_UNPACKED_BYTES // 2**20)
    if "xl/workbook.xml" not in {m.filename for m in members}:
        raise UnreadableFile("the file is neither an XLSX workbook nor a CSV text")
    from openpyxl import load_workbook  # imported here: only imports need it, and it is slow to import

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged workbook
        raise UnreadableFile("the workbook cannot be read; save it again as XLSX or CSV") from None
    try:
        sheet = workbook.worksheets[0]
        rows: list[list[object]] = []
        for row in sheet.iter_rows(values_only=True):
            if len(rows) > MAX_ROWS:
                break
            rows.append(list(row[: len(COLUMNS) + 5]))
        return rows
    finally:
        workbook.close()


def _csv_rows(data: bytes) -> list[list[object]]:
    if b"\x00" in data:
        raise UnreadableFile("the file is neither an XLSX workbook nor a CSV text")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableFile("the CSV is neither UTF-8 nor GB18030 text")
    rows: list[list[object]] = []
    try:
        for row in csv.reader(io.StringIO(text, newline="")):
            if len(rows) > MAX_ROWS:
                break
            rows.append(list(row[: len(COLUMNS) + 5]))
    except csv.Error:
        raise UnreadableFile("the CSV cannot be read (a quote is not closed)") from None
    return rows


def read_sheet(data: bytes) -> list[list[object]]:
    """The rows of an uploaded XLSX or CSV, header first, the format told by its first bytes."""
    if not data:
        raise UnreadableFile("the file is empty")
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableFile("the file is larger than {limit} MB", limit=MAX_FILE_BYTES // 2**20)
    rows = _xlsx_rows(data) if data.startswith(b"PK\x03\x04") else _csv_rows(data)
    if len(rows) > MAX_ROWS + 1:
        raise UnreadableFile("the sheet has more than {limit} rows", limit=MAX_ROWS)
    return rows


def check_sheet(session: Session, principal: Principal, data: bytes, today: date | None = None) -> ImportCheck:
    """Read and check every row (the dry run): nothing is written."""
    principal.require(Capability.WORKFORCE_EDIT)
    today = today or county_day(now_utc())
    rows = read_sheet(data)
    header = [str(_unquoted(cell) or "") for cell in (rows[0] if rows else [])]
    missing = [name for name in _REQUIRED if name not in header]
    if missing:
        raise UnreadableFile(
            "the first row must name the columns {columns}; missing {missing}", columns=list(COLUMNS), missing=missing
        )
    where = {field: header.index(name) for name, field in _FIELDS.items() if name in header}
    records: list[dict] = []
    problems: list[RowProblem] = []
    seen: dict[tuple, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        cells = {field: _unquoted(row[index]) if index < len(row) else None for field, index in where.items()}
        if all(value in (None, "") for value in cells.values()):
            continue  # a blank line
        try:
            values = checked_training(
                session,
                principal,
                TrainingInput(
                    worker="" if cells["worker"] is None else str(cells["worker"]),
                    course="" if cells["course"] is None else str(cells["course"]),
                    topic="" if cells["topic"] is None else str(cells["topic"]),
                    hours=cells["hours"],
                    held_on=cells["held_on"],
                    certificate="" if cells.get("certificate") is None else str(cells["certificate"]),
                ),
                today,
            )
        except GridError as error:
            problems.append(RowProblem(number, _problem_of(error)))
            continue
        key = (values["worker_id"], values["course"], values["held_on"])
        if key in seen:
            same = Problem(error_template("the same course as row {other}"), code="course", other=seen[key])
            problems.append(RowProblem(number, same))
            continue
        seen[key] = number
        records.append(values | {"row": number})
    problems.extend(_already_recorded(session, records))
    bad = {p.row for p in problems}
    records = [r for r in records if r["row"] not in bad]
    problems.sort(key=lambda p: p.row)
    return ImportCheck(len(rows) - 1, records, problems)


def _problem_of(error: GridError) -> Problem:
    """The error as a row's problem (its values may be named ``code``, which Problem's own argument is)."""
    problem = Problem(error.template, code=error.field)
    problem.params = dict(error.params)
    return problem


def _already_recorded(session: Session, records: Sequence[dict]) -> list[RowProblem]:
    keys = [(r["worker_id"], r["course"], r["held_on"]) for r in records]
    if not keys:
        return []
    existing = set(
        session.execute(
            select(TrainingRecord.worker_id, TrainingRecord.course, TrainingRecord.held_on).where(
                tuple_(TrainingRecord.worker_id, TrainingRecord.course, TrainingRecord.held_on).in_(keys)
            )
        ).all()
    )
    return [
        RowProblem(r["row"], Problem(error_template("this course is recorded already"), code="course"))
        for r in records
        if (r["worker_id"], r["course"], r["held_on"]) in existing
    ]


def import_sheet(
    session: Session, principal: Principal, data: bytes, *, address: str | None = None, today: date | None = None
) -> int:
    """Write every row of the sheet, or none when any is bad (TrainingImportError naming each); audited."""
    check = check_sheet(session, principal, data, today)
    if check.problems:
        raise TrainingImportError(
            "{count} row(s) are bad; nothing was imported",
            details=[p.as_dict() for p in check.problems],
            count=len(check.problems),
        )
    if not check.records:
        raise InvalidInput("the sheet has no rows to import", field="file")
    rows = [
        {key: value for key, value in r.items() if key != "row"}
        | {"created_by": principal.username, "is_demo": False, "version": 1}
        for r in check.records
    ]
    try:
        with session.begin_nested():
            session.execute(insert(TrainingRecord), rows)
    except IntegrityError:
        # Another import wrote the same courses between the check and now.
        raise TrainingConflict("some of these courses were recorded a moment ago; run the dry run again") from None
    record(
        session,
        actor=principal.username,
        action="training.import",
        entity="training_record",
        entity_id="-",
        after={"rows": len(rows), "workers": len({r["worker_id"] for r in rows})},
        address=address,
    )
    return len(rows)


def export_rows(session: Session, principal: Principal, **filters) -> list[list[object]]:
    """The records the caller sees as sheet rows (``COLUMNS``), oldest first, to read back by ``import_sheet``."""
    found = trainings(session, principal, **filters)
    return [
        [t.worker.code, t.worker.name, t.course, t.topic.name_zh, float(t.hours), t.held_on.isoformat(), t.certificate]
        for t in reversed(found)
    ]


def export_document(session: Session, principal: Principal, file_format: str, **filters) -> bytes:
    """The caller's records as an XLSX workbook or a UTF-8 CSV (``file_format`` xlsx or csv)."""
    rows = export_rows(session, principal, **filters)
    if file_format == "xlsx":
        return xlsx_document([Sheet("培训记录", COLUMNS, rows, widths=(16, 10, 30, 14, 8, 12, 18))])
    if file_format == "csv":
        return csv_document(COLUMNS, rows).encode()
    raise InvalidInput("format must be xlsx or csv", field="format")
