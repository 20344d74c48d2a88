"""Documents from files for ``retrievo index``: JSON Lines, CSV/TSV, or one JSON array.

Each document comes with where it was read (``file:line``) so that a failure can be reported
against the input the user can open, and with how many bytes of the file have been consumed so
far (the progress bar's measure: known before reading, unlike the number of documents).

A line that is not valid JSON, or a CSV row whose cell count differs from the header's, does not
stop the load: it becomes a failed document, as a bad item does in ``_bulk``.

CSV has no types and no null: every cell is a string (Elasticsearch coerces ``"3"`` into an
``integer`` field, as it does for JSON strings) and an empty cell leaves the field out.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from retrievo.cli.usage import UsageError

FORMATS = ("jsonl", "csv", "tsv", "json")

_EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "tsv", ".json": "json"}


@dataclass(frozen=True)
class Failure:
    """Why an input record could not become a document (Elasticsearch's error type and reason)."""

    type: str
    reason: str


@dataclass(frozen=True)
class Record:
    """One input record: a document (or why it is not one), where it was read, and the bytes of
    its file consumed once it was read."""

    document: dict[str, Any] | Failure
    location: str
    bytes_read: int


def detect_format(path: str, given: str | None) -> str:
    """``given``, else the format the file's extension names (a usage error when it names none)."""
    if given is not None:
        return given
    if path == "-":
        return "jsonl"
    suffix = Path(path).suffix.lower()
    if suffix == ".gz":
        raise UsageError(f"[{path}]: compressed files are not supported; decompress it first")
    fmt = _EXTENSIONS.get(suffix)
    if fmt is None:
        raise UsageError(
            f"[{path}]: cannot tell the format from the extension [{suffix or '(none)'}]; "
            f"use --format {{{','.join(FORMATS)}}}"
        )
    return fmt


def file_size(path: str) -> int | None:
    """The size of ``path`` in bytes (``None`` for stdin); a usage error when it cannot be read."""
    if path == "-":
        return None
    p = Path(path)
    if not p.exists():
        raise UsageError(f"cannot read [{path}]: no such file")
    if p.is_dir():
        raise UsageError(f"cannot read [{path}]: it is a directory")
    return p.stat().st_size


def read_records(path: str, fmt: str) -> Iterator[Record]:
    """Every record of ``path`` (``-``: stdin) in format ``fmt``."""
    if path == "-":
        yield from _records(sys.stdin.buffer, "stdin", fmt)
        return
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by the `with` below; only opening is a usage error
    except OSError as e:
        raise UsageError(f"cannot read [{path}]: {e.strerror or e}") from None
    with handle:
        yield from _records(handle, path, fmt)


def _records(handle: BinaryIO, name: str, fmt: str) -> Iterator[Record]:
    lines = _Lines(handle, name)
    if fmt == "jsonl":
        return _jsonl(lines, name)
    if fmt in ("csv", "tsv"):
        return _delimited(lines, name, "\t" if fmt == "tsv" else ",")
    return _json_array(lines, name)


class _Lines:
    """Decoded lines of a binary stream (line endings kept, as ``csv`` needs), counting bytes."""

    def __init__(self, handle: BinaryIO, name: str) -> None:
        self._handle = handle
        self._name = name
        self.bytes_read = 0
        self.line_no = 0

    def __iter__(self) -> Iterator[str]:
        for raw in self._handle:
            self.line_no += 1
            if self.line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
                self.bytes_read += 3
                raw = raw[3:]
            self.bytes_read += len(raw)
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise UsageError(
                    f"[{self._name}:{self.line_no}]: not UTF-8 text (byte {e.start} of the line)"
                ) from None


def _as_document(value: Any) -> dict[str, Any] | Failure:
    if isinstance(value, dict):
        return value
    return Failure("parsing_exception", f"a document must be a JSON object, found [{type(value).__name__}]")


def _jsonl(lines: _Lines, name: str) -> Iterator[Record]:
    for text in lines:
        if not text.strip():
            continue
        where = f"{name}:{lines.line_no}"
        try:
            doc: dict[str, Any] | Failure = _as_document(json.loads(text))
        except json.JSONDecodeError as e:
            doc = Failure("x_content_parse_exception", f"[1:{e.colno}] Malformed JSON: {e.msg}")
        yield Record(doc, where, lines.bytes_read)


def _delimited(lines: _Lines, name: str, delimiter: str) -> Iterator[Record]:
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as e:
        raise UsageError(f"[{name}:{lines.line_no}]: the header row is not valid CSV: {e}") from None
    header = [h.strip() for h in header]
    _check_header(header, name)
    while True:
        start = lines.line_no + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            yield Record(Failure("parsing_exception", f"malformed CSV: {e}"), f"{name}:{start}", lines.bytes_read)
            continue
        if not row:  # a blank line
            continue
        where = f"{name}:{start}"
        if len(row) != len(header):
            failure = Failure("parsing_exception", f"the row has {len(row)} cells, the header has {len(header)}")
            yield Record(failure, where, lines.bytes_read)
            continue
        doc = {column: cell for column, cell in zip(header, row) if cell != ""}
        yield Record(doc, where, lines.bytes_read)


def _check_header(header: list[str], name: str) -> None:
    seen: set[str] = set()
    for i, column in enumerate(header, 1):
        if not column:
            raise UsageError(f"[{name}:1]: column {i} of the header has no name")
        if column in seen:
            raise UsageError(f"[{name}:1]: the header names column [{column}] twice")
        seen.add(column)


def _json_array(lines: _Lines, name: str) -> Iterator[Record]:
    """A file holding one JSON array of documents (read whole: JSON has no streaming boundary)."""
    text = "".join(lines)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        where = f"{name}:{e.lineno}"
        yield Record(
            Failure("x_content_parse_exception", f"[{e.lineno}:{e.colno}] Malformed JSON: {e.msg}"),
            where,
            lines.bytes_read,
        )
        return
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        yield Record(
            Failure(
                "parsing_exception", f"expected an array of documents (or one document), found [{type(value).__name__}]"
            ),
            name,
            lines.bytes_read,
        )
        return
    for i, item in enumerate(value):
        where = f"{name}[{i}]"
        yield Record(_as_document(item), where, lines.bytes_read)
