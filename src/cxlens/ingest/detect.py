"""Telling a file's format, text encoding and delimiter from its content.

The name of a file says little (an ``.xls`` that is really tab-separated UTF-16,
a ``.csv`` saved as GBK), so everything here looks at bytes: magic numbers for the
format, byte-order marks and strict decoding tries for the encoding, and the
header line for the delimiter. Text that is not UTF-8 is transcoded, in chunks, to
a temporary UTF-8 file that DuckDB then reads.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
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
    digest, text_encoding = _text_encoding(path, head, encoding, progress)
    first = _first_text(path, text_encoding)
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
    """Not UTF-8: GB18030 (a superset of GBK and GB2312) when it decodes, else the best guess."""
    if _decodes_whole(path, "gb18030"):
        return "gb18030"
    from charset_normalizer import from_bytes

    best = from_bytes(head).best()
    if best is not None and best.encoding and _decodes_whole(path, best.encoding):
        return codecs.lookup(best.encoding).name
    raise UnreadableFile(
        f"{path}: the text encoding is not recognised (not UTF-8, UTF-16 or GB18030); save "
        "the file as 'CSV UTF-8' and import it again, or name the encoding with the source "
        'option encoding = "..."',
        path,
    )


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
