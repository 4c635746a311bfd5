"""Training records from and to spreadsheets: the dry run names each bad row, the import is all or nothing,
an export reads back as the same records, and the format is told from the bytes."""

import io
import zipfile
from datetime import date

import pytest
from sqlalchemy import delete, func, select

from geo.accounts.models import Role
from geo.accounts.principal import Principal
from geo.core.models import AuditEvent
from geo.workforce.models import TrainingRecord
from geo.workforce.training import TrainingInput, add_training
from geo.workforce.transfer import (
    MAX_FILE_BYTES,
    TrainingImportError,
    UnreadableFile,
    check_sheet,
    export_document,
    import_sheet,
)
from tests.geo.dispatch.cases import ALL
from tests.geo.workforce.cases import ADMIN
from tests.geo.workforce.test_points import VILLAGE, workers_of

HEADER = "网格员编号,姓名,课程,主题,学时,日期,证书编号\n"
SINCE, UNTIL = date(2001, 1, 1), date(2001, 12, 31)


def count(session) -> int:
    return session.scalar(select(func.count()).select_from(TrainingRecord))


def test_the_dry_run_names_each_bad_row_and_the_import_writes_none(session):
    first, second, *_ = workers_of(session, VILLAGE)
    sheet = (
        HEADER
        + f"{first.code},,法律政策培训,法律政策,4,2001-03-01,PX-1\n"  # row 2: good
        + "W9999,,法律政策培训,法律政策,4,2001-03-01,\n"  # row 3: no such worker
        + f"{second.code},,应急演练,应急处置,0,2001-03-01,\n"  # row 4: no hours
        + f"{second.code},,应急演练,应急处置,2,2101-01-01,\n"  # row 5: a day to come
        + f"{second.code},,烹饪,厨艺,2,2001-03-01,\n"  # row 6: no such topic
        + f"{first.code},,法律政策培训,法律政策,2,2001-03-01,\n"  # row 7: row 2 again
        + ",,,,,,\n"  # a blank line is passed over
        + f"{second.code},,信息化,digital,1.5,2001-04-02,\n"  # row 9: good (a topic by its code)
    ).encode()
    before = count(session)
    check = check_sheet(session, ADMIN, sheet)
    assert (check.rows, len(check.records)) == (8, 2)
    assert [(p.row, p.problem.code) for p in check.problems] == [
        (3, None),
        (4, "hours"),
        (5, "held_on"),
        (6, "topic"),
        (7, "course"),
    ]
    assert "W9999" in check.problems[0].problem.message
    assert check.as_dict()["problems"][1]["row"] == 4
    with pytest.raises(TrainingImportError) as refused:
        import_sheet(session, ADMIN, sheet)
    details = refused.value.details
    assert isinstance(details, list) and [p["row"] for p in details] == [3, 4, 5, 6, 7]
    assert count(session) == before  # all or nothing


def test_rows_outside_the_jurisdiction_are_bad_rows(session):
    first, *_ = workers_of(session, VILLAGE)
    benzilan_admin = Principal(0, "bzl-admin", Role.ADMIN, "533422102", ALL)
    check = check_sheet(session, benzilan_admin, (HEADER + f"{first.code},,课程,法律政策,2,2001-03-01,\n").encode())
    assert [p.row for p in check.problems] == [2] and not check.records


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_export_imports_back_as_the_same_records(session, file_format):
    first, second, *_ = workers_of(session, VILLAGE)
    for worker, course, day, hours, certificate in [
        (first, '=HYPERLINK("x")', date(2001, 3, 1), "4", "PX-1"),  # a formula-like course survives
        (first, "应急处置演练", date(2001, 5, 2), "1.5", ""),
        (second, "民族宗教政策学习", date(2001, 6, 3), "8", "PX-2"),
    ]:
        add_training(session, ADMIN, TrainingInput(worker.code, course, "law_policy", hours, day, certificate))
    session.flush()

    def records():
        return session.execute(
            select(
                TrainingRecord.worker_id,
                TrainingRecord.course,
                TrainingRecord.topic_code,
                TrainingRecord.hours,
                TrainingRecord.held_on,
                TrainingRecord.certificate,
            )
            .where(TrainingRecord.held_on.between(SINCE, UNTIL))
            .order_by(TrainingRecord.held_on)
        ).all()

    before = records()
    document = export_document(session, ADMIN, file_format, since=SINCE, until=UNTIL)
    session.execute(delete(TrainingRecord).where(TrainingRecord.held_on.between(SINCE, UNTIL)))
    assert records() == []
    assert import_sheet(session, ADMIN, document) == 3
    assert records() == before
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "training.import")).all()


def test_importing_the_same_sheet_twice_writes_nothing_the_second_time(session):
    first, *_ = workers_of(session, VILLAGE)
    sheet = (HEADER + f"{first.code},,法律政策培训,法律政策,4,2001-03-01,\n").encode()
    import_sheet(session, ADMIN, sheet)
    with pytest.raises(TrainingImportError):
        import_sheet(session, ADMIN, sheet)
    written = select(func.count()).select_from(TrainingRecord).where(TrainingRecord.held_on.between(SINCE, UNTIL))
    assert session.scalar(written) == 1


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "neither an XLSX"),
        (_zip({"readme.txt": b"hello"}), "neither an XLSX"),
        (_zip({"xl/workbook.xml": b"\0" * (40 * 2**20)}), "unpacks to more than"),
        (_zip({"xl/workbook.xml": b"<not a workbook"}), "cannot be read"),
        (b"a" * (MAX_FILE_BYTES + 1), "larger than"),
        ("网格员编号,课程\n".encode("gb18030"), "must name the columns"),
        (b"\xff\xfe\xfa", "neither UTF-8 nor GB18030"),
    ],
)
def test_files_that_are_not_training_sheets_are_refused(session, data, message):
    with pytest.raises(UnreadableFile, match=message):
        check_sheet(session, ADMIN, data)
