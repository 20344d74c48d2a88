"""``retrievo index NAME [--mapping FILE] FILE...``: create an index and load documents into it.

Documents go through ``engine.bulk`` in batches, so each one succeeds or fails on its own with the
error Elasticsearch would give; a refresh at the end publishes them, which persists the index in
the data directory. Failures are counted and the first few shown with the file and line they came
from; any failure makes the exit status 1 (the documents that loaded stay loaded, as with
``_bulk``).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from typing import Any

from retrievo.cli import documents
from retrievo.cli.data import open_for_writing
from retrievo.cli.inputs import read_json_option
from retrievo.cli.tables import field_value
from retrievo.cli.usage import EXIT_API_ERROR, EXIT_OK, UsageError
from retrievo.errors import BadRequestError, bad_request, error_reason
from retrievo.progress import Progress

#: How many failures are printed (all are counted).
SHOWN_FAILURES = 5

_CREATE_KEYS = ("mappings", "settings")


@dataclass
class LoadReport:
    """What a load did: documents indexed, and the ones that failed (where and why)."""

    indexed: int = 0
    #: (input position, where, error type, reason); sorted by position when reported.
    failures: list[tuple[int, str, str, str]] = field(default_factory=list)


def create_body(value: Any) -> dict[str, Any]:
    """The create-index body a ``--mapping`` file gives: either a mappings object
    (``{"properties": ...}``) or a whole body (``{"mappings": ..., "settings": ...}``)."""
    if not isinstance(value, dict):
        raise bad_request("parsing_exception", f"--mapping must be a JSON object, found [{type(value).__name__}]")
    if any(k in value for k in _CREATE_KEYS):
        return value
    return {"mappings": value}


def document_id(doc: dict[str, Any], id_field: str | None) -> tuple[str | None, dict[str, Any]]:
    """The ``_id`` for ``doc`` taken from ``id_field`` (``None``: Elasticsearch generates one),
    and the document to store. ``_id`` is a metadata field that a source may not hold, so an
    ``--id-field _id`` is taken out of the document; any other id field stays in it."""
    if id_field is None:
        return None, doc
    value = field_value(doc, id_field)
    if value is None:
        raise bad_request("illegal_argument_exception", f"the document has no [{id_field}] field to take its _id from")
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise bad_request(
            "illegal_argument_exception",
            f"[{id_field}] must be a string or a number to be an _id, found [{type(value).__name__}]",
        )
    text = str(value)
    if text == "":
        raise bad_request("illegal_argument_exception", f"[{id_field}] is empty; an _id must not be empty")
    if id_field == "_id":
        doc = {k: v for k, v in doc.items() if k != "_id"}
    return text, doc


class _Loader:
    """Batches records into ``_bulk`` calls and collects the per-document outcome."""

    def __init__(self, engine: Any, index: str, id_field: str | None, batch_size: int) -> None:
        self.engine = engine
        self.index = index
        self.id_field = id_field
        self.batch_size = batch_size
        self.report = LoadReport()
        self.seen = 0
        self._ops: list[dict[str, Any]] = []
        self._where: list[tuple[int, str]] = []

    def add(self, record: documents.Record) -> None:
        self.seen += 1
        doc = record.document
        if isinstance(doc, documents.Failure):
            self.report.failures.append((self.seen, record.location, doc.type, doc.reason))
            return
        try:
            doc_id, doc = document_id(doc, self.id_field)
        except BadRequestError as err:
            self.report.failures.append((self.seen, record.location, err.error, error_reason(err)))
            return
        action: dict[str, Any] = {} if doc_id is None else {"_id": doc_id}
        self._ops.extend(({"index": action}, doc))
        self._where.append((self.seen, record.location))
        if len(self._where) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self._where:
            return
        response = self.engine.bulk(operations=self._ops, index=self.index)
        for (position, where), item in zip(self._where, response["items"]):
            outcome = next(iter(item.values()))
            error = outcome.get("error")
            if error is None:
                self.report.indexed += 1
            else:
                self.report.failures.append((position, where, str(error.get("type")), str(error.get("reason"))))
        self._ops, self._where = [], []


def run(args: argparse.Namespace) -> int:
    paths: list[str] = args.files
    if paths.count("-") > 1:
        raise UsageError("stdin (-) can be read only once")
    formats = [documents.detect_format(p, args.format) for p in paths]
    sizes = [documents.file_size(p) for p in paths]
    if args.batch_size < 1:
        raise UsageError(f"--batch-size must be at least 1, got [{args.batch_size}]")
    body = create_body(read_json_option(args.mapping, "--mapping")) if args.mapping is not None else None

    engine = open_for_writing(args.data)
    if body is not None or not engine.indices.exists(index=args.name):
        engine.indices.create(index=args.name, body=body or {})
    loader = _Loader(engine, args.name, args.id_field, args.batch_size)
    total = None if any(s is None for s in sizes) else sum(s for s in sizes if s is not None)
    progress = Progress(total, label=f"index {args.name}", enabled=args.progress)
    done_before = 0
    try:
        for path, fmt, size in zip(paths, formats, sizes):
            last = 0
            for record in documents.read_records(path, fmt):
                loader.add(record)
                last = record.bytes_read
                progress.update(done_before + last, loader.seen)
            done_before += size if size is not None else last
        loader.flush()
        progress.update(done_before, loader.seen, force=True)
    finally:
        progress.close()
    engine.indices.refresh(index=args.name)
    return _report(engine, args.name, loader.report, loader.seen)


def _report(engine: Any, index: str, report: LoadReport, seen: int) -> int:
    count = engine.count(index=index)["count"]
    print(
        f"indexed {report.indexed} of {seen} document(s) into [{index}]; it now holds {count} "
        f"document(s) (data: {engine.path})"
    )
    if not report.failures:
        return EXIT_OK
    print(
        f"{len(report.failures)} document(s) failed; the first {min(len(report.failures), SHOWN_FAILURES)}:",
        file=sys.stderr,
    )
    for _, where, error_type, reason in sorted(report.failures)[:SHOWN_FAILURES]:
        print(f"  {where}: {error_type}: {reason}", file=sys.stderr)
    if any("Field [_id] is a metadata field" in reason for _, _, _, reason in report.failures):
        print("hint: documents carry their id under [_id]; --id-field _id takes it from there", file=sys.stderr)
    return EXIT_API_ERROR
