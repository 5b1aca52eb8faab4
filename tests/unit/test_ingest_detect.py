"""Format, encoding and delimiter told from content; header matching and aliases."""

from __future__ import annotations

import hashlib

import pytest

from cxlens.errors import UnreadableFile
from cxlens.ingest import detect
from cxlens.ingest.headers import auto_mapping, normalise
from cxlens.schema import TABLES


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("a,b\n1,2\n".encode(), "utf-8"),
        (b"\xef\xbb\xbfa,b\n", "utf-8-sig"),
        ("工单编号,状态\n1,打开\n".encode("gbk"), "gb18030"),
        ("a\tb\n".encode("utf-16-le"), "utf-16-le"),
        (b"\xff\xfe" + "a\tb\n".encode("utf-16-le"), "utf-16-le"),
        (b"\xfe\xff" + "a\tb\n".encode("utf-16-be"), "utf-16-be"),
    ],
)
def test_encoding_detected(tmp_path, data, encoding):
    path = tmp_path / "f"
    path.write_bytes(data)
    sniffed = detect.sniff(path)
    assert (sniffed.format, sniffed.encoding) == ("csv", encoding)
    assert sniffed.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (b'  [{"a": 1}]', "json"),
        (b'{"a": 1}\n{"a": 2}\n', "json"),
        (b"PAR1" + b"\x00" * 20, "parquet"),
        (b"a;b\n1;2\n", "csv"),
    ],
)
def test_format_from_content_not_name(tmp_path, data, fmt):
    path = tmp_path / "misleading.xlsx"
    path.write_bytes(data)
    assert detect.sniff(path).format == fmt


def test_zip_that_is_not_a_workbook(tmp_path):
    import zipfile

    path = tmp_path / "a.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(UnreadableFile, match="not an Excel workbook"):
        detect.sniff(path)


def test_progress_reported_by_bytes(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"a,b\n" * 1000)
    calls = []
    detect.sniff(path, progress=lambda done, total, label: calls.append((done, total)))
    assert calls[-1] == (4000, 4000)


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a\tb\tc\n1\t2,5\t3\n", "\t"),
        ("a;b;c\n1,5;2;3\n", ";"),
        ("a|b\n1|2\n", "|"),
        ('"x,y";b\n1;2\n', ";"),
        ("single\n1\n", ","),
    ],
)
def test_delimiter(sample, expected):
    assert detect.delimiter(sample) == expected


@pytest.mark.parametrize(
    "header", ["Ticket ID", "ticket_id", " TICKET id ", "Ticket-Id", "ticket.id"]
)
def test_header_normalisation(header):
    assert normalise(header) == "ticket_id"


def test_chinese_aliases_map_by_table():
    headers = ["工单编号", "创建时间", "渠道", "状态", "客服", "满意度"]
    assert auto_mapping(headers, TABLES["tickets"]) == {
        "ticket_id": "工单编号",
        "created_at": "创建时间",
        "channel": "渠道",
        "status": "状态",
        "agent_id": "客服",
    }
    assert auto_mapping(headers, TABLES["survey_responses"])["score"] == "满意度"


def test_first_header_naming_a_column_wins():
    assert auto_mapping(["Status", "STATUS"], TABLES["tickets"]) == {"status": "Status"}
