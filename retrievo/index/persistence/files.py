"""Checksummed files: writing one generation directory, and reading it back verified.

Every file of a generation is written once, never modified (``open(..., "xb")``), fsynced, and
recorded as ``{"sha256": ..., "bytes": ...}``; that record goes into the manifest, and the reader
refuses a file whose length or digest differs from it. Formats are those that cannot execute code
when read: JSON, ``.npy`` (``allow_pickle=False`` both ways), *packs* — several numeric arrays as
raw bytes in one file, 64-byte aligned, their dtype/shape/offset layout kept in ``shard.json`` —
and raw bytes (FAISS's own serialisation).

Large arrays are memory-mapped copy-on-write (``mmap`` ``ACCESS_COPY`` / ``mmap_mode="c"``):
loading costs a read for the checksum (which leaves the pages in the OS cache) and no copy; an
in-place write, should one ever happen, changes private pages and never the file. Files are never
rewritten, so a mapping stays valid even after a later generation replaces (and unlinks) the file.

A file whose content did not change since the previous generation is hard-linked rather than
written again (``reuse``): its record, digest included, carries over unchanged.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import io
import json
import mmap
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from retrievo.index.persistence import errors

MMAP_MIN_BYTES = 1 << 20
"""Arrays from this size on are memory-mapped; smaller ones are read into memory (a mapping per
tiny file costs more than it saves)."""

_CHUNK = 1 << 22


@dataclass(frozen=True)
class FileRecord:
    """What the manifest keeps of one file."""

    sha256: str
    bytes: int

    def to_json(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "bytes": self.bytes}


# --------------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    """What the official client's serializer sends for non-JSON Python values (dates as ISO-8601,
    UUIDs as strings, decimals and numpy numbers as numbers): what Elasticsearch would store."""
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(value)


def dump_json(value: Any) -> bytes:
    """Compact UTF-8 JSON (lone surrogates, legal in Python strings, pass through)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_default)
    return text.encode("utf-8", errors="surrogatepass")


def load_json(data: bytes) -> Any:
    return json.loads(data.decode("utf-8", errors="surrogatepass"))


def canonical_digest(value: Any) -> str:
    """The sha256 of a JSON value in canonical form (sorted keys, ASCII), for the manifest's own
    checksum."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("ascii")).hexdigest()


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


class _HashingFile:
    """A write-only file wrapper that digests and counts what passes through it."""

    def __init__(self, raw: io.BufferedWriter) -> None:
        self._raw = raw
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self.sha.update(view)
        self.size += view.nbytes
        return self._raw.write(view)


def fsync_directory(path: Path) -> None:
    """Make a directory's entries (new files, renames) durable; a no-op where unsupported."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


ReuseKey = Any
"""Decides whether a file may be hard-linked from the previous generation: ``str``/``bytes``/
``tuple``/``int`` keys compare by value, any other object (an array, a FAISS index) by identity."""


class SameObjects:
    """A reuse key that matches while every one of its objects is the very same object."""

    __slots__ = ("objects",)

    def __init__(self, *objects: Any) -> None:
        self.objects = objects

    def matches(self, other: Any) -> bool:
        return (
            isinstance(other, SameObjects)
            and len(other.objects) == len(self.objects)
            and all(a is b for a, b in zip(self.objects, other.objects))
        )


def _same_key(old: ReuseKey, new: ReuseKey) -> bool:
    if old is new:
        return True
    if isinstance(new, SameObjects):
        return new.matches(old)
    if isinstance(new, (str, bytes, tuple, int)) and type(old) is type(new):
        return bool(old == new)
    return False


# --------------------------------------------------------------------------------------------
# Packs: several arrays in one file
# --------------------------------------------------------------------------------------------

PACK_ALIGN = 64


def pack_layout(arrays: Mapping[str, np.ndarray]) -> dict[str, dict[str, Any]]:
    """Where each array goes in a pack file: ``{name: {"offset", "dtype", "shape"}}`` (offsets
    aligned to 64 bytes, dtypes as little/big-endian numpy strings such as ``"<i4"``)."""
    layout: dict[str, dict[str, Any]] = {}
    offset = 0
    for name, array in arrays.items():
        if array.dtype.hasobject:
            raise TypeError(f"array [{name}] holds Python objects")
        layout[name] = {"offset": offset, "dtype": array.dtype.str, "shape": list(array.shape)}
        offset += -(-array.nbytes // PACK_ALIGN) * PACK_ALIGN
    return layout


def _write_pack_body(f: Any, arrays: Mapping[str, np.ndarray]) -> None:
    for array in arrays.values():
        data = np.ascontiguousarray(array)
        if data.nbytes:
            f.write(data.data.cast("B"))
        pad = -(-data.nbytes // PACK_ALIGN) * PACK_ALIGN - data.nbytes
        if pad:
            f.write(b"\0" * pad)


@dataclass
class WrittenFile:
    """A file a generation wrote, with the key it was written for: the next generation hard-links it
    instead of writing it again when its key is the same."""

    key: ReuseKey
    record: FileRecord
    path: Path


class GenerationWriter:
    """Writes the files of one new generation directory, each fsynced, and remembers their records.

    ``previous`` maps relative names to what the last generation wrote under that name (with the
    key it was written for): a call whose key matches hard-links the old file instead of writing.
    ``fail_after`` is a fault-injection seam for tests of crash safety: no effect when ``None``.
    """

    def __init__(self, root: Path, previous: Mapping[str, WrittenFile] | None = None) -> None:
        self.root = root
        self.records: dict[str, FileRecord] = {}
        self.keys: dict[str, WrittenFile] = {}
        self._previous = dict(previous or {})
        self._dirs: set[Path] = set()
        root.mkdir(parents=True, exist_ok=False)
        self._dirs.add(root)

    def previous_keys(self, prefix: str) -> dict[str, ReuseKey]:
        """The keys the previous generation wrote files under ``prefix`` with (for append-only
        layouts that extend what is already on disk)."""
        return {rel: prev.key for rel, prev in self._previous.items() if rel.startswith(prefix)}

    # ---- file kinds ------------------------------------------------------------------------------

    def write_json(self, rel: str, value: Any, key: ReuseKey = None) -> None:
        """``value`` may be a function producing it, called only when the file cannot be reused."""
        if self._reuse(rel, key):
            return
        self._write(rel, key, lambda f: f.write(dump_json(value() if callable(value) else value)))

    def write_json_lines(self, rel: str, values: Callable[[], list[Any]], key: ReuseKey = None) -> None:
        """One compact JSON value per line (compact JSON has no raw newlines), so that a reader can
        decode any one line alone; ``values`` is called only when the file cannot be reused."""
        if self._reuse(rel, key):
            return

        def body(f: Any) -> None:
            for value in values():
                f.write(dump_json(value) + b"\n")

        self._write(rel, key, body)

    def write_array(self, rel: str, array: np.ndarray, key: ReuseKey = None) -> None:
        """An ``.npy`` file; ``key`` defaults to the array itself (reused while it is the same object)."""
        key = array if key is None else key
        if self._reuse(rel, key):
            return
        arr = np.ascontiguousarray(array)
        self._write(rel, key, lambda f: np.lib.format.write_array(f, arr, allow_pickle=False))

    def write_pack(self, rel: str, arrays: Mapping[str, np.ndarray], key: ReuseKey = None) -> dict[str, Any]:
        """Several arrays in one raw file (one fsync, one link); returns the layout to keep in
        ``shard.json``. ``key`` defaults to the identity of every array."""
        layout = pack_layout(arrays)
        key = SameObjects(*arrays.values()) if key is None else key
        if not self._reuse(rel, key):
            self._write(rel, key, lambda f: _write_pack_body(f, arrays))
        return layout

    def write_lazy_bytes(self, rel: str, produce: Callable[[], bytes | np.ndarray], key: ReuseKey) -> None:
        """Raw bytes computed only when the file cannot be reused (serialising a FAISS index)."""
        if self._reuse(rel, key):
            return
        self._write(rel, key, lambda f: f.write(produce()))

    # ---- mechanics -------------------------------------------------------------------------------

    def _target(self, rel: str) -> Path:
        path = self.root / rel
        if path.parent not in self._dirs:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(path.parent)
        return path

    def _reuse(self, rel: str, key: ReuseKey) -> bool:
        prev = self._previous.get(rel)
        if key is None or prev is None or not _same_key(prev.key, key):
            return False
        target = self._target(rel)
        try:
            os.link(prev.path, target)
        except OSError:
            return False  # another filesystem, no hard links, old file gone: write it again
        self.records[rel] = prev.record
        self.keys[rel] = WrittenFile(key, prev.record, target)
        return True

    def _write(self, rel: str, key: ReuseKey, body: Callable[[Any], Any]) -> None:
        target = self._target(rel)
        with open(target, "xb") as raw:
            hashing = _HashingFile(raw)
            body(hashing)
            raw.flush()
            os.fsync(raw.fileno())
        record = FileRecord(hashing.sha.hexdigest(), hashing.size)
        self.records[rel] = record
        if key is not None:
            self.keys[rel] = WrittenFile(key, record, target)

    def finish(self) -> None:
        """Make every directory entry of the generation durable (files are fsynced as written)."""
        for directory in sorted(self._dirs, key=lambda p: len(p.parts), reverse=True):
            fsync_directory(directory)


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def _digest_file(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            sha.update(chunk)
    return sha.hexdigest()


class GenerationReader:
    """Reads the files of one generation, checking each against its manifest record first.

    Every failure — a missing, truncated or altered file, or content of the wrong shape — is a
    ``corrupt_index_exception`` naming the file; nothing half-read is ever returned.
    """

    def __init__(self, root: Path, records: Mapping[str, FileRecord]) -> None:
        self.root = root
        self.records = records
        # What was read, with the key a writer would use for it: the next generation can then
        # hard-link a file whose content the engine still holds unchanged (see GenerationWriter).
        self.keys: dict[str, WrittenFile] = {}

    def note(self, rel: str, key: ReuseKey) -> None:
        """Record the reuse key of a file just read (its value, or the object built from it)."""
        record = self.records.get(rel)
        if record is not None and key is not None:
            self.keys[rel] = WrittenFile(key, record, self.root / rel)

    def path(self, rel: str) -> Path:
        return self.root / rel

    def _check_length(self, rel: str) -> tuple[Path, FileRecord]:
        record = self.records.get(rel)
        path = self.root / rel
        if record is None:
            raise errors.corrupt(path, "file is not listed in the manifest")
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise errors.missing_file(path) from None
        except OSError as failure:
            raise errors.corrupt(path, f"cannot read file: {failure.strerror}") from None
        if size != record.bytes:
            raise errors.truncated(path, record.bytes, size)
        return path, record

    def read_bytes(self, rel: str) -> bytes:
        path, record = self._check_length(rel)
        try:
            data = path.read_bytes()
        except OSError as failure:
            raise errors.corrupt(path, f"cannot read file: {failure.strerror}") from None
        if len(data) != record.bytes:
            raise errors.truncated(path, record.bytes, len(data))
        actual = hashlib.sha256(data).hexdigest()
        if actual != record.sha256:
            raise errors.checksum_failed(path, record.sha256, actual)
        return data

    def read_mapped(self, rel: str) -> mmap.mmap:
        """A verified file, memory-mapped read-only: its pages stay in the OS cache, not in this
        process's heap, and the mapping outlives a later generation unlinking the file."""
        path, record = self._check_length(rel)
        try:
            with open(path, "rb") as f:
                mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if record.bytes else None
        except OSError as failure:
            raise errors.corrupt(path, f"cannot read file: {failure.strerror}") from None
        if mapped is None:
            raise errors.corrupt(path, "file is empty")
        actual = hashlib.sha256(mapped).hexdigest()
        if actual != record.sha256:
            mapped.close()
            raise errors.checksum_failed(path, record.sha256, actual)
        return mapped

    def read_pack(self, rel: str, layout: Any) -> dict[str, np.ndarray]:
        """The arrays of a pack file (copy-on-write memory-mapped when large), checked against
        ``layout``: each one inside the file, of a plain numeric dtype."""
        path, record = self._check_length(rel)
        if record.bytes >= MMAP_MIN_BYTES:
            try:
                with open(path, "rb") as f:
                    buffer: Any = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
            except OSError as failure:
                raise errors.corrupt(path, f"cannot read file: {failure.strerror}") from None
            actual = hashlib.sha256(buffer).hexdigest()
            if actual != record.sha256:
                raise errors.checksum_failed(path, record.sha256, actual)
        else:
            buffer = bytearray(self.read_bytes(rel))
        arrays: dict[str, np.ndarray] = {}
        try:
            for name, spec in dict(layout).items():
                dtype = np.dtype(str(spec["dtype"]))
                shape = tuple(int(n) for n in spec["shape"])
                offset = int(spec["offset"])
                count = int(np.prod(shape, dtype=np.int64))
                if (
                    dtype.hasobject
                    or dtype.kind not in "biuf"
                    or offset < 0
                    or offset % PACK_ALIGN
                    or offset + count * dtype.itemsize > record.bytes
                ):
                    raise ValueError(f"array [{name}] does not fit the file")
                arrays[name] = np.frombuffer(buffer, dtype=dtype, count=count, offset=offset).reshape(shape)
        except (KeyError, TypeError, ValueError) as failure:
            raise errors.corrupt(path, f"unexpected pack layout: {failure}") from None
        self.note(rel, SameObjects(*arrays.values()))
        return arrays

    def read_json(self, rel: str) -> Any:
        data = self.read_bytes(rel)
        try:
            return load_json(data)
        except (UnicodeDecodeError, ValueError) as failure:
            raise errors.corrupt(self.root / rel, f"not valid JSON: {failure}") from None

    def read_array(self, rel: str, dtype: Any, ndim: int) -> np.ndarray:
        """An ``.npy`` array of the given dtype and rank (memory-mapped when large)."""
        path, record = self._check_length(rel)
        try:
            if record.bytes >= MMAP_MIN_BYTES:
                actual = _digest_file(path)
                if actual != record.sha256:
                    raise errors.checksum_failed(path, record.sha256, actual)
                array = np.asarray(np.load(path, mmap_mode="c", allow_pickle=False))
            else:
                array = np.load(io.BytesIO(self.read_bytes(rel)), allow_pickle=False)
        except (ValueError, OSError, EOFError) as failure:
            raise errors.corrupt(path, f"not a readable .npy array: {failure}") from None
        want = np.dtype(dtype)
        if array.dtype != want or array.ndim != ndim:
            raise errors.corrupt(
                path, f"expected a {ndim}-d array of [{want}], found a {array.ndim}-d array of [{array.dtype}]"
            )
        self.note(rel, array)
        return array
