"""Only encodings that can be defended are taken without being named; mixed files are refused."""

from __future__ import annotations

import pytest

from cxlens.errors import UnreadableFile
from cxlens.ingest import detect, import_file
from cxlens.store import Warehouse

HEADER = "ticket_id,created_at,category\n"


def utf8_with_one_gbk_line(word: str) -> tuple[bytes, int, int]:
    """20 UTF-8 lines, one GBK line, one more UTF-8 line; (bytes, bad line, its first bad byte)."""
    good = HEADER + "".join(f"{i},2024-01-01,{word}\n" for i in range(20))
    bad_line = f"99,2024-01-01,{word}\n".encode("gbk")
    data = good.encode() + bad_line + f"100,2024-01-01,{word}\n".encode()
    # by hand: header is line 1, 20 records are lines 2-21, the GBK line is line 22;
    # its first non-ASCII byte follows "99,2024-01-01,"
    return data, 22, len(good.encode()) + len("99,2024-01-01,")


# case: the trial's file, 退款 on every row and one line saved as GBK
@pytest.mark.parametrize("word", ["退款", "工单"])  # 工单's UTF-8 bytes also decode as GB18030
def test_mostly_utf8_with_a_gbk_line_is_refused_naming_the_line(tmp_path, word):
    data, line, byte = utf8_with_one_gbk_line(word)
    path = tmp_path / "mixed.csv"
    path.write_bytes(data)
    with pytest.raises(UnreadableFile) as caught:
        detect.sniff(path)
    message = str(caught.value)
    assert f"line {line} (byte {byte})" in message
    assert "UTF-8" in message and "re-save" in message


def test_mixed_file_import_leaves_the_warehouse_untouched(tmp_path):
    warehouse = Warehouse(tmp_path / "w.duckdb")
    path = tmp_path / "mixed.csv"
    path.write_bytes(utf8_with_one_gbk_line("退款")[0])
    with pytest.raises(UnreadableFile):
        import_file(warehouse, path, table="tickets")
    with warehouse.connect() as con:
        assert con.execute("SELECT count(*) FROM information_schema.tables").fetchone()[0] == 0


def test_gbk_file_whose_some_lines_happen_to_be_valid_utf8_is_still_gbk(tmp_path):
    # 女 in GBK is C5 AE, a valid UTF-8 sequence; 张三 and 男 are not
    text = "name,gender\n" + "女\n" * 3 + "张三,男\n" * 10
    path = tmp_path / "people.csv"
    path.write_bytes(text.encode("gbk"))
    assert detect.sniff(path).encoding == "gb18030"


def test_western_single_byte_text_falls_back_to_cp1252(tmp_path):
    warehouse = Warehouse(tmp_path / "w.duckdb")
    path = tmp_path / "latin.csv"
    path.write_bytes(
        (HEADER + "1,2024-01-01,Crème brûlée\n2,2024-01-01,café – 5€\n").encode("cp1252")
    )
    result = import_file(warehouse, path, table="tickets")
    assert result.encoding == "cp1252"
    with warehouse.connect() as con:
        got = [
            r[0] for r in con.execute("SELECT category FROM raw_tickets ORDER BY _row").fetchall()
        ]
    assert got == ["Crème brûlée", "café – 5€"]


def test_undecodable_text_with_utf8_sequences_is_not_guessed(tmp_path):
    # a valid UTF-8 é (C3 A9) beside bytes that are neither UTF-8 nor GB18030
    # (0x80 alone is no GB18030 lead byte): no code page is guessed
    path = tmp_path / "odd.csv"
    path.write_bytes(b"a,b\n\xc3\xa9,\x80\x80\x80\n\x80,\x80\n\x80,1\n")
    with pytest.raises(UnreadableFile, match="encoding"):
        detect.sniff(path)


def test_empty_file_says_so(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(UnreadableFile, match="the file is empty"):
        detect.sniff(path)


def test_utf16_bom_only_file_is_empty(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(UnreadableFile, match="the file is empty"):
        detect.sniff(path)
