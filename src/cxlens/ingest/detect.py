"""Telling a file's format, text encoding and delimiter from its content.

The name of a file says little (an ``.xls`` that is really tab-separated UTF-16,
a ``.csv`` saved as GBK), so everything here looks at bytes: magic numbers for the
format, byte-order marks and strict decoding tries for the encoding, and the
header line for the delimiter. Text that is not UTF-8 is transcoded, in chunks, to
a temporary UTF-8 file that DuckDB then reads.

Only encodings whose reading can be defended are taken without being named: UTF-8
(with or without BOM), UTF-16 (BOM, or NUL bytes in ASCII text), GB18030 (which
includes GBK and GB2312) and, for text without a single multi-byte UTF-8 sequence,
the single-byte Windows-1252 (Latin-1 where 1252 leaves a byte undefined). A file
that is mostly UTF-8 with some lines in another encoding (a line pasted from
elsewhere) is refused, naming the first such line, instead of being guessed into
a code page that garbles every line. Any other encoding must be named
(``encoding = "big5"``).
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import re
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cxlens.errors import UnreadableFile

log = logging.getLogger(__name__)

CHUNK = 1 << 22  # 4 MiB
SAMPLE = 1 << 16
DELIMITERS = (",", "\t", ";", "|")
Progress = Callable[[int, int, str], None] | None

# A well-formed multi-byte UTF-8 sequence (what text in a single-byte code page almost
# never contains by chance).
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
# Lines with non-ASCII bytes looked at before judging "mostly UTF-8" (the scan goes on
# until the first line that is not UTF-8 is found, to name it).
MIXED_SAMPLE_LINES = 2000

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True)
class Sniffed:
    """What the bytes say: ``format`` (csv, xlsx, json, parquet), ``encoding`` and digest."""

    format: str
    encoding: str | None
    sha256: str


def sniff(path: Path, encoding: str | None = None, progress: Progress = None) -> Sniffed:
    """Detect format and (for text) encoding, hashing the file on the way."""
    head = _head(path)
    if head.startswith(b"PK\x03\x04"):
        _check_workbook_zip(path)
        return Sniffed("xlsx", None, sha256(path, progress))
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return Sniffed("xlsx", None, sha256(path, progress))
    if head.startswith(b"PAR1"):
        return Sniffed("parquet", None, sha256(path, progress))
    if not head:
        raise UnreadableFile(
            f"{path}: the file is empty (0 bytes); export the data again and import the new file",
            path,
        )
    digest, text_encoding = _text_encoding(path, head, encoding, progress)
    first = _first_text(path, text_encoding)
    if not first and len(head) < SAMPLE:
        raise UnreadableFile(
            f"{path}: the file is empty (it holds only blank lines); export the data again "
            "and import the new file",
            path,
        )
    fmt = "json" if first[:1] in ("[", "{") else "csv"
    return Sniffed(fmt, text_encoding, digest)


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(SAMPLE)
    except FileNotFoundError:
        raise UnreadableFile(f"{path}: no such file; check the path", path) from None
    except IsADirectoryError:
        raise UnreadableFile(f"{path}: is a folder, not a file", path) from None


def _check_workbook_zip(path: Path) -> None:
    """A zip must hold ``xl/`` to be a workbook; a damaged zip is a truncated workbook."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise UnreadableFile(
            f"{path}: the workbook is damaged or truncated ({error}); open it in Excel or "
            "WPS, save it again as .xlsx (or export CSV) and import that file",
            path,
        ) from None
    if bad is not None:
        raise UnreadableFile(
            f"{path}: the workbook is damaged (member {bad} is corrupt); save it again "
            "from Excel and import that file",
            path,
        )
    if not any(name.startswith("xl/") for name in names):
        raise UnreadableFile(
            f"{path}: a zip archive but not an Excel workbook; unzip it and import the "
            "export inside",
            path,
        )


def sha256(path: Path, progress: Progress = None) -> str:
    """Hex SHA-256 of a file, read in chunks (progress by bytes)."""
    digest = hashlib.sha256()
    total = path.stat().st_size
    done = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            done += len(chunk)
            if progress:
                progress(done, total, "checking")
    return digest.hexdigest()


def _text_encoding(
    path: Path, head: bytes, forced: str | None, progress: Progress
) -> tuple[str, str]:
    """(sha256, encoding) of a text file: the forced one, a BOM's, or the first that decodes."""
    if forced:
        name = _codec_name(forced, path)
        if not needs_transcoding(name):
            digest, valid = _hash_and_try_utf8(path, progress)
            if not valid:
                transcode_check(path, name)
            return digest, name
        return sha256(path, progress), name
    for bom, name in _BOMS:
        if head.startswith(bom):
            return sha256(path, progress), name
    if b"\x00" in head:
        return sha256(path, progress), _bomless_utf16(path, head)
    digest, utf8 = _hash_and_try_utf8(path, progress)
    if utf8:
        return digest, "utf-8"
    return digest, _guess_legacy(path, head)


def _codec_name(name: str, path: Path) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise UnreadableFile(
            f"{path}: unknown encoding {name!r}; use a name such as utf-8, gb18030 or utf-16",
            path,
        ) from None


def _bomless_utf16(path: Path, head: bytes) -> str:
    """UTF-16 without a BOM shows NUL in every other byte of ASCII text; else it is binary."""
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > len(odd) * 0.3 and even.count(0) < len(even) * 0.05:
        return "utf-16-le"
    if even.count(0) > len(even) * 0.3 and odd.count(0) < len(odd) * 0.05:
        return "utf-16-be"
    raise UnreadableFile(
        f"{path}: not a text file, workbook, JSON or Parquet file (binary content); export "
        "the data as CSV, XLSX, JSON or Parquet and import that",
        path,
    )


def _hash_and_try_utf8(path: Path, progress: Progress) -> tuple[str, bool]:
    """One pass over the file: its digest, and whether all of it is strict UTF-8."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    total, done, valid = path.stat().st_size, 0, True
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            if valid:
                valid = _decodes(decoder, chunk)
            done += len(chunk)
            if progress:
                progress(done, total, "checking")
    return digest.hexdigest(), valid and _decodes(decoder, b"", final=True)


def _decodes(decoder: codecs.IncrementalDecoder, chunk: bytes, final: bool = False) -> bool:
    try:
        decoder.decode(chunk, final)
    except UnicodeDecodeError:
        return False
    return True


def _guess_legacy(path: Path, head: bytes) -> str:
    """Not all UTF-8: refuse mixed files; else GB18030, else Windows-1252 / Latin-1."""
    _refuse_mixed_utf8(path)
    chinese = _decodes_whole(path, "gb18030")
    if chinese and not _looks_single_byte(head):
        return "gb18030"
    if not _has_utf8_multibyte(path):
        return "cp1252" if _decodes_whole(path, "cp1252") else "latin-1"
    if chinese:
        return "gb18030"
    raise UnreadableFile(
        f"{path}: the text encoding is not recognised (not UTF-8, UTF-16, GB18030/GBK or a "
        "single-byte Western encoding); save the file as 'CSV UTF-8' and import it again, "
        'or name the encoding with the source option encoding = "..." (e.g. "big5")',
        path,
    )


def _refuse_mixed_utf8(path: Path) -> None:
    """A file mostly in UTF-8 with some lines that are not: name the first bad line.

    Lines holding non-ASCII bytes are sorted into those that are valid UTF-8 and those
    that are not. When the valid ones are at least as many, the file is UTF-8 with
    lines from elsewhere, and no single encoding reads all of it correctly.
    """
    good = bad = 0
    first: tuple[int, int] | None = None
    offset = 0
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.isascii():
                try:
                    line.decode("utf-8")
                    good += 1
                except UnicodeDecodeError as error:
                    bad += 1
                    first = first or (number, offset + error.start)
                if first and good + bad >= MIXED_SAMPLE_LINES:
                    break
            offset += len(line)
    if first is None or good < bad:
        return
    line, byte = first
    raise UnreadableFile(
        f"{path}: line {line} (byte {byte}) is not UTF-8, though the rest of the file is; "
        "the file mixes encodings (often a line pasted from another program). Open it in "
        "an editor, re-save the whole file as UTF-8 (in Excel: 'CSV UTF-8') and import it "
        "again",
        path,
    )


def _looks_single_byte(head: bytes) -> bool:
    """Whether non-ASCII bytes stand mostly alone, as accents do in Western text.

    GB18030 decodes much Western text too (``è`` followed by a letter is a valid
    GBK pair), but Chinese text comes in runs of two or more high bytes.
    """
    runs = re.findall(rb"[\x80-\xff]+", head)
    return sum(len(run) == 1 for run in runs) * 2 > len(runs)


def _has_utf8_multibyte(path: Path) -> bool:
    """Whether any well-formed multi-byte UTF-8 sequence occurs in the file."""
    tail = b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            if _UTF8_MULTIBYTE.search(tail + chunk):
                return True
            tail = chunk[-3:]
    return False


def _decodes_whole(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            if not _decodes(decoder, chunk):
                return False
    return _decodes(decoder, b"", final=True)


def transcode_check(path: Path, encoding: str) -> None:
    """Decode the whole file strictly, raising UnreadableFile at the first bad byte."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            _decode_chunk(decoder, chunk, path, encoding, offset)
            offset += len(chunk)
    _decode_chunk(decoder, b"", path, encoding, offset, final=True)


def _first_text(path: Path, encoding: str) -> str:
    """The first non-blank characters of a text file (to tell JSON from delimited text)."""
    with path.open("rb") as handle:
        raw = handle.read(SAMPLE)
    text = codecs.getincrementaldecoder(encoding)("replace").decode(raw)
    return text.lstrip("\ufeff \t\r\n")


def sample_text(path: Path, encoding: str) -> str:
    """The first few kilobytes of a text file, decoded."""
    return _first_text(path, encoding)


def needs_transcoding(encoding: str | None) -> bool:
    """DuckDB reads UTF-8 (with or without BOM) directly; everything else is transcoded."""
    return encoding not in (None, "utf-8", "utf-8-sig")


def transcode(path: Path, encoding: str, workdir: Path, progress: Progress = None) -> Path:
    """Write ``path`` as UTF-8 (no BOM) into ``workdir``, decoding strictly in chunks."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    target = Path(tempfile.mkstemp(prefix="cxlens-", suffix=".utf8", dir=workdir)[1])
    total, done, first = path.stat().st_size, 0, True
    with path.open("rb") as source, target.open("w", encoding="utf-8", newline="") as out:
        while chunk := source.read(CHUNK):
            text = _decode_chunk(decoder, chunk, path, encoding, done)
            if first:
                text, first = text.lstrip("\ufeff"), False
            out.write(text)
            done += len(chunk)
            if progress:
                progress(done, total, "transcoding")
        out.write(_decode_chunk(decoder, b"", path, encoding, done, final=True))
    log.debug("transcoded %s from %s to %s", path, encoding, target)
    return target


def _decode_chunk(
    decoder: codecs.IncrementalDecoder,
    chunk: bytes,
    path: Path,
    encoding: str,
    offset: int,
    final: bool = False,
) -> str:
    try:
        return decoder.decode(chunk, final)
    except UnicodeDecodeError as error:
        raise UnreadableFile(
            f"{path}: not valid {encoding} text at byte {offset + error.start}; save the file "
            "as 'CSV UTF-8' and import it again, or name its encoding with the source option "
            'encoding = "..."',
            path,
        ) from None


def delimiter(sample: str) -> str:
    """The delimiter of delimited text, judged from its header line.

    The candidate (comma, tab, semicolon, pipe) that occurs most often in the first
    non-blank line wins, ties going to the one that splits the next lines the same
    number of times; a single-column file reads as comma-separated.
    """
    lines = [line for line in sample.splitlines() if line.strip()][:20]
    if not lines:
        return ","
    header = _unquoted(lines[0])
    counts = {d: header.count(d) for d in DELIMITERS}

    def score(candidate: str) -> tuple[int, int]:
        steady = sum(_unquoted(line).count(candidate) == counts[candidate] for line in lines)
        return counts[candidate], steady

    best = max(DELIMITERS, key=score)
    return best if counts[best] else ","


def _unquoted(line: str) -> str:
    """The line with double-quoted stretches removed (delimiters inside quotes do not count)."""
    return "".join(part for index, part in enumerate(line.split('"')) if index % 2 == 0)
