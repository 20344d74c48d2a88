"""The translog: every acknowledged write since an index's last commit, in a checksummed append-only log.

Why: an index is written whole when a refresh (or flush, or save) commits it; a crash between two
commits would lose every write acknowledged in between. Elasticsearch closes that gap with a
per-shard translog, and so does retrievo — one per index (an index is one shard here)::

    DIR/translog/<index uuid>/translog-<generation>.tlog

A file starts with a header (magic ``RTLG``, format version, the index uuid) and holds records, each
``[u32 length][u32 CRC32 of the payload][payload]`` (big-endian), the payload one operation as compact
JSON:

* ``{"op": "index", "seq_no", "id", "version", "source"[, "routing"][, "inference"]}`` — an index,
  create or update (an update is logged as the index operation it became, as Elasticsearch does), with
  the final ``_id`` and the custom ``routing`` it was written with (the shard it lives on);
  ``inference`` holds the ``semantic_text`` chunks and embeddings computed at ingest (field →
  ``[[start, end, [floats]], ...]``), so a replay never needs the model — the role Elasticsearch's
  ``_inference_fields`` play in ``_source``;
* ``{"op": "delete", "seq_no", "id", "version"}``;
* ``{"op": "mappings", "mappings"}`` / ``{"op": "settings", "settings"}`` — a put-mapping or
  put-settings change, so that later documents replay under the mapping they were indexed with.

Index creation and deletion, aliases, endpoints, pipelines and ML state are not logged: each is a
manifest swap (fsynced file, ``os.replace``, fsynced directory) before the request is answered.

Durability (``index.translog.durability``): ``request`` (the default) fsyncs the log before a write is
acknowledged — one fsync per request, a ``_bulk`` included (:func:`batched_sync`), as Elasticsearch
syncs once per bulk shard request; ``async`` leaves it to a background thread every
``index.translog.sync_interval`` (default 5s). Records are written with ``os.write`` straight to the
file, never buffered in the process, so even ``async`` loses nothing when only the process dies.

A record is written before the operation changes the index (a write that cannot be logged changes
nothing), under the shard's lock, so log order is ``_seq_no`` order.

Commits: when a commit writes an index it rolls the log (under the shard's lock, while the index's
state is captured) and records in the manifest the first generation the commit does not include
(``translog_generation``, ES's ``translog_generation`` commit user data); after the manifest swap the
older generations are deleted. Startup reads every generation from that one on and replays each
record through the same :class:`~retrievo.index.shard.Shard` methods as the original write; records
at or below the committed ``_seq_no`` are skipped, so a replay is idempotent.

Damage: a last record that is cut short, or whose checksum fails with nothing valid after it (a write
torn by a crash), is dropped — and truncated away when the directory is opened for writing. A bad
record anywhere else is ``translog_corrupted_exception`` naming the file (Elasticsearch's
``TranslogCorruptedException``).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from retrievo.errors import ApiError, api_error, error_reason, error_type
from retrievo.index.persistence import errors
from retrievo.index.persistence.files import dump_json, fsync_directory, load_json
from retrievo.index.semantic import Chunk
from retrievo.index.settings import settings_from_values
from retrievo.index.shard import Shard
from retrievo.index.sparse_semantic import SparseChunk
from retrievo.index.versioning import WriteVersion

MAGIC = b"RTLG"
FORMAT_VERSION = 1
DIRECTORY = "translog"
_RECORD_HEAD = struct.Struct(">II")
_FILE_NAME = re.compile(r"translog-([0-9]+)\.tlog")
#: How often the background thread looks for ``async`` logs due a sync (ES's minimum interval).
_POLL_SECONDS = 0.1


def file_name(generation: int) -> str:
    return f"translog-{generation}.tlog"


def _header(index_uuid: str) -> bytes:
    ident = index_uuid.encode("utf-8")
    return MAGIC + struct.pack(">IH", FORMAT_VERSION, len(ident)) + ident


def translog_corrupted(path: Path | str, details: str) -> ApiError:
    """Elasticsearch's ``TranslogCorruptedException``: ``translog from source [..] is corrupted, ..``."""
    reason = f"translog from source [{path}] is corrupted, {details}"
    return api_error("translog_corrupted_exception", reason, status=500)


def encode_record(op: dict[str, Any]) -> bytes:
    """One framed record (raises ``TypeError`` for a value with no JSON form)."""
    payload = dump_json(op)
    return _RECORD_HEAD.pack(len(payload), zlib.crc32(payload)) + payload


def generations(directory: Path) -> list[int]:
    """The generations present in a translog directory, oldest first."""
    if not directory.is_dir():
        return []
    found = (_FILE_NAME.fullmatch(p.name) for p in directory.iterdir())
    return sorted(int(m.group(1)) for m in found if m)


# -------------------------------------------------------------------------------------- reading


@dataclass
class Recovered:
    """What a translog directory holds past a commit: the operations, and a torn tail if any."""

    #: (the file it was read from, the operation), oldest first.
    operations: list[tuple[Path, dict[str, Any]]] = field(default_factory=list)
    #: (file, the length to cut it to) when the last record of the last file was torn.
    torn: tuple[Path, int] | None = None


def _read_file(path: Path, index_uuid: str, last: bool, out: Recovered) -> None:
    data = path.read_bytes()
    head = _header(index_uuid)
    if len(data) < len(head):
        if last and head.startswith(data):  # the header itself was being written
            out.torn = (path, 0)
            return
        raise translog_corrupted(path, f"the header is truncated ({len(data)} bytes)")
    if data[:4] != MAGIC:
        raise translog_corrupted(path, "it does not start with a translog header")
    if data[: len(head)] != head:
        version = struct.unpack(">I", data[4:8])[0]
        if version > FORMAT_VERSION:
            raise errors.format_too_new(path, version, FORMAT_VERSION)
        raise translog_corrupted(path, f"the header does not name index [{index_uuid}]")
    offset = len(head)
    while offset < len(data):
        problem = None
        end = offset + _RECORD_HEAD.size
        if end > len(data):
            problem = f"a record header at offset [{offset}] is truncated"
        else:
            length, expected = _RECORD_HEAD.unpack_from(data, offset)
            end += length
            if length == 0:  # never written: zeros where a record was to be
                problem = f"the record at offset [{offset}] is empty"
            elif end > len(data):
                problem = f"the record at offset [{offset}] is truncated: [{length}] bytes expected"
            else:
                payload = data[offset + _RECORD_HEAD.size : end]
                actual = zlib.crc32(payload)
                if actual != expected:
                    problem = f"checksum verification failed - expected: 0x{expected:x}, got: 0x{actual:x}"
                else:
                    try:
                        op = load_json(payload)
                    except (UnicodeDecodeError, ValueError):
                        op = None
                    if not isinstance(op, dict) or op.get("op") not in ("index", "delete", "mappings", "settings"):
                        raise translog_corrupted(path, f"the record at offset [{offset}] is not an operation")
                    out.operations.append((path, op))
                    offset = end
                    continue
        # A torn write: the last record of the last file, with nothing but zeros (or nothing) after it.
        if last and (end >= len(data) or not data[end:].strip(b"\0")):
            out.torn = (path, offset)
            return
        raise translog_corrupted(path, f"{problem} (at offset [{offset}], with [{len(data) - offset}] bytes after)")


def recover(directory: Path, index_uuid: str, from_generation: int) -> Recovered:
    """Every operation logged in generations ``from_generation`` and later, oldest first."""
    out = Recovered()
    wanted = [g for g in generations(directory) if g >= from_generation]
    for i, generation in enumerate(wanted):
        _read_file(directory / file_name(generation), index_uuid, i == len(wanted) - 1, out)
    return out


def _chunk(start: Any, end: Any, embedding: Any) -> Chunk | SparseChunk:
    if isinstance(embedding, dict):  # a sparse_embedding endpoint's token -> weight object
        return SparseChunk(int(start), int(end), {str(k): float(v) for k, v in embedding.items()})
    return Chunk(int(start), int(end), np.asarray(embedding, dtype=np.float32))


def _chunks(body: Any) -> dict[str, list[Chunk | SparseChunk]]:
    return {str(path): [_chunk(s, e, v) for s, e, v in chunks] for path, chunks in body.items()}


def replay(shard: Shard, operations: list[tuple[Path, dict[str, Any]]]) -> int:
    """Apply ``operations`` to ``shard`` through its write methods (the shard logs nothing while its
    ``oplog`` is unset); operations the commit already holds are skipped. The number applied."""
    applied = 0
    for source, op in operations:
        try:
            kind = op["op"]
            if kind == "mappings":
                shard.put_mappings(shard.mappings.from_json(op["mappings"], shard.analysis))
                continue
            if kind == "settings":
                shard.put_settings(settings_from_values(op["settings"]))
                continue
            seq_no = int(op["seq_no"])
            if seq_no <= shard.store.seq_no:
                continue  # already in the committed state
            if seq_no != shard.store.seq_no + 1:
                raise translog_corrupted(source, f"operation [{seq_no}] follows [{shard.store.seq_no}]: a gap")
            doc_id = str(op["id"])
            version: int | None
            logged = WriteVersion(int(op["version"]), "replay")  # an external version replays as logged
            if kind == "index":
                inference = _chunks(op.get("inference") or {})
                routing = op.get("routing")
                if routing is not None and not isinstance(routing, str):
                    raise TypeError(f"routing [{routing!r}] is not a string")
                _, version, _, _ = shard.index_document(
                    doc_id, op["source"], chunks=inference, version=logged, routing=routing
                )
            else:
                version, _ = shard.delete_document(doc_id, logged)
            if version != int(op["version"]):
                raise translog_corrupted(
                    source,
                    f"replaying operation [{seq_no}] on [{doc_id}] gave version [{version}], not [{op['version']}]",
                )
            applied += 1
        except ApiError as failure:
            if error_type(failure) == "translog_corrupted_exception":
                raise
            raise translog_corrupted(
                source, f"operation [{op.get('seq_no')}] cannot be replayed: {error_reason(failure)}"
            ) from None
        except (KeyError, TypeError, ValueError, AttributeError) as failure:
            raise translog_corrupted(source, f"unexpected operation ({type(failure).__name__}: {failure})") from None
    return applied


def truncate(path: Path, length: int) -> None:
    """Cut a torn tail away (durably), so the file is whole before newer generations follow it."""
    try:
        if length == 0:
            path.unlink()
        else:
            with open(path, "r+b") as f:
                f.truncate(length)
                os.fsync(f.fileno())
        fsync_directory(path.parent)
    except OSError as failure:
        raise errors.cannot_write(path, failure.strerror or str(failure)) from None


# -------------------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class Location:
    """Where an appended record ends: what a later sync must cover."""

    generation: int
    end: int


class Translog:
    """The open log of one index: appends (under the shard's lock), syncs, rolls at commits."""

    def __init__(self, directory: Path, shard: Shard, generation: int, on_async: Any) -> None:
        self.directory = directory
        self.shard = shard
        self._lock = threading.Lock()  # the file: offsets, the descriptor, rolling
        self._sync_lock = threading.Lock()  # one fsync at a time; a roll waits for it
        self._on_async = on_async
        self._closed = False
        self.last_sync = time.monotonic()
        self._open(generation)

    def _open(self, generation: int) -> None:
        while True:
            path = self.directory / file_name(generation)
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                break
            except FileExistsError:  # another engine opened the directory too (its commits will be refused)
                generation += 1
            except OSError as failure:
                raise errors.cannot_write(path, failure.strerror or str(failure)) from None
        try:
            head = _header(self.shard.uuid)
            os.write(fd, head)
            os.fsync(fd)
            fsync_directory(self.directory)
            fsync_directory(self.directory.parent)
        except OSError as failure:
            os.close(fd)
            raise errors.cannot_write(path, failure.strerror or str(failure)) from None
        self.generation, self._fd, self._path = generation, fd, path
        self._written = self._synced = self._header_end = len(head)

    @property
    def unsynced(self) -> bool:
        return self._written > self._synced

    def append(self, op: dict[str, Any]) -> Location | None:
        """Write one record; nothing is left behind if it fails (the caller then changes nothing)."""
        try:
            record = encode_record(op)
        except TypeError as failure:
            bad = failure.args[0] if failure.args else None
            raise errors.not_serializable(self.shard.name, str(op.get("id")), bad) from None
        with self._lock:
            if self._closed:
                return None  # the index was deleted: there is nothing left to make durable
            try:
                written = os.write(self._fd, record)
                if written != len(record):
                    raise OSError(0, f"short write ({written} of {len(record)} bytes)")
            except OSError as failure:
                with contextlib.suppress(OSError):
                    os.ftruncate(self._fd, self._written)
                    os.lseek(self._fd, self._written, os.SEEK_SET)
                raise errors.cannot_write(self._path, failure.strerror or str(failure)) from None
            self._written += len(record)
            return Location(self.generation, self._written)

    def written(self, location: Location | None) -> None:
        """After an operation is applied, before it is acknowledged: make it as durable as the
        index's ``index.translog.durability`` asks."""
        if location is None:
            return
        if self.shard.settings.translog_async:
            self._on_async()
            return
        batch = getattr(_BATCH, "pending", None)
        if batch is not None:
            previous = batch.get(self)
            batch[self] = location if previous is None or previous.end < location.end else previous
            return
        self.sync(location)

    def sync(self, location: Location | None = None) -> None:
        """fsync the log up to ``location`` (default: everything written); a sync that another
        thread's fsync already covered returns at once (group commit)."""
        with self._sync_lock:
            with self._lock:
                if self._closed:
                    return
                if location is not None and (location.generation < self.generation or location.end <= self._synced):
                    return  # a roll or another sync covered it
                fd, target = self._fd, self._written
            try:
                os.fsync(fd)
            except OSError as failure:
                raise errors.cannot_write(self._path, failure.strerror or str(failure)) from None
            with self._lock:
                self._synced = max(self._synced, target)
                self.last_sync = time.monotonic()

    def roll(self) -> int:
        """Called under the shard's lock by a commit: the first generation the commit does not
        include. The current file is synced and closed and a new one started, unless it holds no
        record yet (then the commit and the log already agree)."""
        with self._sync_lock, self._lock:
            if self._closed or self._written == self._header_end:
                return self.generation
            try:
                os.fsync(self._fd)
            except OSError as failure:
                raise errors.cannot_write(self._path, failure.strerror or str(failure)) from None
            os.close(self._fd)
            self._open(self.generation + 1)
            return self.generation

    def trim(self, below: int) -> None:
        """Delete the generations older than ``below`` (a commit now holds them)."""
        for generation in generations(self.directory):
            if generation < below and generation != self.generation:
                with contextlib.suppress(OSError):
                    (self.directory / file_name(generation)).unlink()

    def close(self) -> None:
        with self._sync_lock, self._lock:
            if not self._closed:
                self._closed = True
                with contextlib.suppress(OSError):
                    os.fsync(self._fd)
                os.close(self._fd)


_BATCH = threading.local()


@contextlib.contextmanager
def batched_sync() -> Iterator[None]:
    """Within the block, ``request``-durability writes on this thread are synced once per log at
    its end (one fsync per ``_bulk`` request), before the response goes out."""
    if getattr(_BATCH, "pending", None) is not None:  # nested: the outer block syncs
        yield
        return
    pending: dict[Translog, Location] = {}
    _BATCH.pending = pending
    try:
        yield
    finally:
        _BATCH.pending = None
        for log, location in pending.items():
            log.sync(location)


class Translogs:
    """The open translogs of one data directory, and the background thread of ``async`` ones."""

    def __init__(self, root: Path) -> None:
        self.root = root / DIRECTORY
        self._logs: dict[str, Translog] = {}
        self._lock = threading.Lock()
        self._syncer: threading.Thread | None = None
        self._stop = threading.Event()

    def directory(self, index_uuid: str) -> Path:
        return self.root / index_uuid

    def open(self, shard: Shard, torn: tuple[Path, int] | None = None) -> Translog:
        """Start logging ``shard``'s writes in a fresh generation (after any left by a previous run,
        a torn tail of which is cut away first)."""
        if torn is not None:
            truncate(*torn)
        directory = self.directory(shard.uuid)
        log = Translog(directory, shard, max(generations(directory), default=0) + 1, self._wake)
        with self._lock:
            old = self._logs.pop(shard.uuid, None)
            self._logs[shard.uuid] = log
        if old is not None:
            old.close()
        return log

    def roll(self, shard: Shard) -> int:
        """Under the shard's lock: the generation a commit of ``shard`` starts replay from."""
        with self._lock:
            log = self._logs.get(shard.uuid)
        if log is not None and log.shard is shard:
            return log.roll()
        return max(generations(self.directory(shard.uuid)), default=0) + 1

    def trim(self, index_uuid: str, below: int) -> None:
        with self._lock:
            log = self._logs.get(index_uuid)
        if log is not None:
            log.trim(below)

    def close_logs(self, index_uuids: set[str]) -> None:
        """Stop logging the indices a commit dropped (their files go with :meth:`collect`)."""
        with self._lock:
            gone = [self._logs.pop(u) for u in index_uuids if u in self._logs]
        for log in gone:
            log.close()

    def collect(self, keep: set[str]) -> None:
        """Delete the translog directories of indices neither kept nor open (a dropped index, or a
        crash after a new index's log was opened and before the index was first saved)."""
        with self._lock:
            live = set(self._logs) | keep
        if self.root.is_dir():
            for directory in self.root.iterdir():
                if directory.name not in live:
                    shutil.rmtree(directory, ignore_errors=True)

    def sync_all(self) -> None:
        with self._lock:
            logs = list(self._logs.values())
        for log in logs:
            if log.unsynced:
                log.sync()

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            logs = list(self._logs.values())
            self._logs.clear()
        for log in logs:
            log.close()

    def _wake(self) -> None:
        with self._lock:
            if self._syncer is None:
                self._syncer = threading.Thread(target=self._run, name="retrievo-translog-sync", daemon=True)
                self._syncer.start()

    def _run(self) -> None:
        """``async`` durability: sync each log whose ``index.translog.sync_interval`` has passed; the
        thread ends once no log is ``async`` with writes to sync (the next ``async`` write starts it)."""
        while not self._stop.wait(_POLL_SECONDS):
            with self._lock:
                logs = list(self._logs.values())
                if not any(log.unsynced and log.shard.settings.translog_async for log in logs):
                    self._syncer = None
                    return
            now = time.monotonic()
            for log in logs:
                if log.unsynced and now - log.last_sync >= log.shard.settings.translog_sync_seconds:
                    with contextlib.suppress(ApiError):  # the next write or commit reports a broken disk
                        log.sync()
