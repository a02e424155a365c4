"""Opening input files: the one place where a path becomes bytes, text or a workbook.

Every adapter reads through these helpers, so every way a file can fail to open becomes a
:class:`~vrkit.errors.SourceError` naming the file and the reason (issue #10), never a
traceback that would also stop the other files of a multi-file ingest:

- not a regular file (a folder, FIFO or device), unreadable (permissions), empty;
- a truncated or corrupt gzip, zip or deflate stream (``zlib.error``, ``BadZipFile``,
  ``EOFError``), an encrypted zip member or an unsupported compression method;
- content larger than the ``max_decompressed_size`` setting, or expanding more than
  ``max_compression_ratio`` times (a decompression bomb), refused *before* anything is written
  to disk or memory for zips and workbooks (from their declared sizes, which :mod:`zipfile`
  enforces while reading) and as soon as the limit is passed for gzip;
- a NUL byte (binary or UTF-16 data), named with its line;
- text that is not in the expected encoding, named with its line;
- a malformed workbook (bad XML inside the XLSX zip).
"""

from __future__ import annotations

import gzip
import os
import stat
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from vrkit.errors import SourceError, VrkitError

#: what reading a (possibly compressed) file can raise besides a VrkitError
READ_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    EOFError,
    zlib.error,
    zipfile.BadZipFile,
    NotImplementedError,  # zipfile: an unsupported compression method
    RuntimeError,  # zipfile: an encrypted member
)
#: the ratio rule applies to content at least this large (small files may compress very well)
RATIO_FLOOR = 64 << 20


def _limits() -> tuple[int, float]:
    from vrkit.config import get_settings

    s = get_settings()
    return int(s.max_decompressed_size), float(s.max_compression_ratio)


def _human(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    raise AssertionError  # pragma: no cover


def _too_big(where: str | Path, size: int, compressed: int | None) -> SourceError | None:
    """The error for content of ``size`` bytes from ``compressed`` bytes, or None if allowed."""
    cap, ratio = _limits()
    if size > cap:
        return SourceError(
            where,
            f"decompresses to more than {_human(cap)} (the max_decompressed_size setting)",
            hint="If the file is genuine, raise the limit, e.g. VRKIT_MAX_DECOMPRESSED_SIZE=16GiB.",
        )
    if compressed and size >= RATIO_FLOOR and size > ratio * compressed:
        return SourceError(
            where,
            f"expands more than {ratio:g} times ({_human(compressed)} → over {_human(size)}): "
            "refused as a likely decompression bomb",
            hint="If the file is genuine, raise VRKIT_MAX_COMPRESSION_RATIO.",
        )
    return None


def _read_error(where: str | Path, exc: BaseException) -> SourceError:
    if isinstance(exc, PermissionError):
        return SourceError(
            where, "cannot read file: permission denied", hint="Check the file's permissions."
        )
    if isinstance(exc, RuntimeError | NotImplementedError):
        return SourceError(
            where,
            f"cannot read file: {exc}",
            hint="Encrypted archives and unusual compression methods are not supported; "
            "re-create the archive with ordinary (deflate) compression.",
        )
    if isinstance(exc, OSError) and exc.errno is not None and exc.strerror:
        # the operating system refused (a path through a file, an I/O error): its reason, not
        # "truncated or corrupt", and not the path again
        return SourceError(
            where,
            f"cannot read file: {exc.strerror}",
            hint="Check the path and the disk; a part of the path may be a file, not a folder.",
        )
    what = type(exc).__name__ if not str(exc) else str(exc)
    return SourceError(
        where,
        f"cannot read file: {what} (the file is truncated or corrupt)",
        hint="Download or export it again.",
    )


def check_regular_file(path: Path, where: str | Path | None = None) -> None:
    """Raise a :class:`SourceError` unless ``path`` is an existing, readable, non-empty file."""
    where = path if where is None else where
    try:
        st = path.stat()
    except FileNotFoundError:
        raise SourceError(where, "no such file") from None
    except OSError as exc:
        raise _read_error(where, exc) from exc
    if stat.S_ISDIR(st.st_mode):
        raise SourceError(where, "is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        kind = "a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode) else "a device or socket"
        raise SourceError(
            where, f"is not a regular file ({kind})", hint="Copy the data to a file first."
        )
    if not os.access(path, os.R_OK):
        raise SourceError(
            where, "cannot read file: permission denied", hint="Check the file's permissions."
        )
    if st.st_size == 0:
        raise SourceError(where, "the file is empty", hint="Download it again.")


class LimitedReader:
    """A binary stream that refuses to yield more than the decompression limits allow."""

    def __init__(self, raw: Any, where: str | Path, compressed: int | None) -> None:
        self._raw = raw
        self._where = where
        self._compressed = compressed
        self._count = 0

    def _add(self, data: bytes) -> bytes:
        self._count += len(data)
        error = _too_big(self._where, self._count, self._compressed)
        if error is not None:
            raise error
        return data

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:  # read everything, in chunks, so the limit applies early
            parts = []
            while chunk := self.read(1 << 22):
                parts.append(chunk)
            return b"".join(parts)
        return self._add(self._raw.read(n))

    def readline(self, n: int = -1) -> bytes:
        return self._add(self._raw.readline(n))

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line


@contextmanager
def open_data(path: Path, where: str | Path | None = None) -> Iterator[LimitedReader]:
    """A file's content as a binary stream, gunzipped when the name ends ``.gz``.

    Any read error inside the ``with`` block (truncated gzip, corrupt deflate stream,
    permissions) and content over the decompression limits become a :class:`SourceError`
    naming ``where`` (default: the path).
    """
    where = path if where is None else where
    try:
        if path.name.lower().endswith(".gz"):
            size = path.stat().st_size
            with gzip.open(path, "rb") as fh:
                yield LimitedReader(fh, where, size)
        else:
            with path.open("rb") as fh:
                yield LimitedReader(fh, where, None)
    except VrkitError:
        raise
    except READ_ERRORS as exc:
        raise _read_error(where, exc) from exc


def read_bytes(path: Path, where: str | Path | None = None) -> bytes:
    """Whole file as bytes, gunzipped if needed; any read failure is a :class:`SourceError`."""
    with open_data(path, where) as fh:
        return fh.read()


def check_zip(
    path: Path, infos: Sequence[zipfile.ZipInfo], where: str | Path | None = None
) -> None:
    """Refuse zip members whose declared sizes break the decompression limits.

    :mod:`zipfile` never yields more than a member's declared size (a member that lies fails its
    CRC check), so checking the declared sizes before extracting is enough.
    """
    where = path if where is None else where
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    error = _too_big(where, total, packed)
    if error is not None:
        raise error


@contextmanager
def open_zip(path: Path, where: str | Path | None = None) -> Iterator[zipfile.ZipFile]:
    """An open zip archive; a corrupt archive or member is a :class:`SourceError`.

    Read members with :func:`open_member` (or after :func:`check_zip`).
    """
    where = path if where is None else where
    try:
        with zipfile.ZipFile(path) as zf:
            yield zf
    except VrkitError:
        raise
    except zipfile.BadZipFile as exc:
        raise SourceError(where, f"not a valid zip archive: {exc}") from exc
    except READ_ERRORS as exc:
        raise _read_error(where, exc) from exc


@contextmanager
def open_member(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str | Path
) -> Iterator[LimitedReader]:
    """One zip member as a binary stream; errors name ``where`` (the archive and member)."""
    error = _too_big(where, info.file_size, info.compress_size)
    if error is not None:
        raise error
    try:
        with zf.open(info) as fh:
            yield LimitedReader(fh, where, info.compress_size or None)
    except VrkitError:
        raise
    except READ_ERRORS as exc:
        raise _read_error(where, exc) from exc


@contextmanager
def open_workbook(
    path: Path, where: str | Path | None = None, *, data_only: bool = True
) -> Iterator[Any]:
    """An openpyxl workbook (read-only); anything that goes wrong while it is read is a
    :class:`SourceError` (malformed XML, not a workbook, over the decompression limits)."""
    from openpyxl import load_workbook

    where = path if where is None else where
    check_workbook(path, where)
    try:
        wb = load_workbook(path, read_only=True, data_only=data_only)
    except VrkitError:
        raise
    except Exception as exc:  # openpyxl raises many types for non-workbooks
        raise SourceError(where, f"not a readable Excel workbook: {_reason(exc)}") from exc
    try:
        yield wb
    except VrkitError:
        raise
    except Exception as exc:  # malformed sheet XML surfaces only while rows are read
        raise SourceError(where, f"not a readable Excel workbook: {_reason(exc)}") from exc
    finally:
        wb.close()


def check_workbook(path: Path, where: str | Path | None = None) -> None:
    """Refuse a workbook that is not a zip or whose parts break the decompression limits."""
    where = path if where is None else where
    with open_zip(path, where) as zf:
        check_zip(path, zf.infolist(), where)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def nul_line(data: bytes | str) -> int | None:
    """1-based line of the first NUL byte in ``data``, or None."""
    nul = b"\x00" if isinstance(data, bytes) else "\x00"
    at = data.find(nul)  # type: ignore[arg-type]
    if at < 0:
        return None
    newline = b"\n" if isinstance(data, bytes) else "\n"
    return data.count(newline, 0, at) + 1  # type: ignore[arg-type]


class NulByteError(SourceError):
    """A NUL byte in what should be text; ``line`` is its 1-based line."""

    def __init__(self, where: str | Path, line: int, message: str, *, hint: str) -> None:
        self.line = line
        super().__init__(where, message, hint=hint)


def nul_error(where: str | Path, line: int) -> NulByteError:
    """The error for a NUL byte on ``line``."""
    return NulByteError(
        where,
        line,
        f"line {line} holds a NUL byte: not a CSV text file",
        hint="A file with NUL bytes is binary, or text saved as UTF-16; save it as UTF-8 CSV "
        "(Excel: 'CSV UTF-8'), or check the line for damage.",
    )


def decode_text(path: str | Path, data: bytes, encodings: tuple[str, ...] = ("utf-8-sig",)) -> str:
    """Decode bytes with the first encoding that works; fail clearly naming the line.

    A NUL byte anywhere is refused with its line (text CSVs never hold one; Python's csv module
    would otherwise read it as data).
    """
    last: UnicodeDecodeError | None = None
    for enc in encodings:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError as exc:
            last = exc
            continue
        line = nul_line(text)
        if line is not None:
            raise nul_error(path, line)
        return text
    assert last is not None
    line = data[: last.start].count(b"\n") + 1
    raise SourceError(
        path,
        f"line {line}: not valid {'/'.join(encodings)} text (byte {last.start})",
        hint="Save the file as UTF-8 CSV (Excel: 'CSV UTF-8').",
    )
