"""The document store: ``_id`` ↔ internal doc id, ``_source``, versions and live documents.

Internal doc ids are assigned in indexing order and never reused. Re-indexing an existing ``_id``
deletes the old internal doc and appends a new one, so — as in a single-shard Elasticsearch index —
an updated document moves to the end of the tie-break order.

Memory (issue 18, item 4): at a million documents the store's Python objects were the largest part of
an index (~840 MiB). So the per-document columns are compact: each ``_source`` is kept as bytes (its
pickle, :class:`SourceColumn`) and decoded on every read, the live flags in a ``bytearray``, each
document's ``_seq_no`` and ``_version`` in ``array('q')`` buffers; the ``_id`` → version map is a view
(:class:`VersionTable`) over the per-document versions that stores only the deleted ids' own, and a
searcher's ``_id`` → doc map a view of the store's (:class:`SnapshotIds`) rather than a copy. The ids
themselves are one byte string with offsets (:class:`IdColumn`) and the store's ``_id`` → doc map a
hash table of C ints over it (:class:`IdTable`): ~30 MiB at a million documents where the list of
``str`` and the ``dict`` took ~170.
"""

from __future__ import annotations

import base64
import io
import os
import pickle
import sys
import threading
import zlib
from array import array
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np

from retrievo.json_copy import copy_json

# --------------------------------------------------------------------------------------------
# Sources as bytes
# --------------------------------------------------------------------------------------------

#: Sources at least this long (pickled) are stored zlib-compressed when that saves a quarter; a short
#: one compresses poorly on its own (and numbers, kept binary, hardly at all).
COMPRESS_FROM = 4096
_COMPRESSED_ENOUGH = 0.75
_PICKLE_START = 0x80  # a pickle's PROTO opcode; a zlib stream starts with 0x78


def encode_source(source: Any) -> bytes | _Kept:
    """What the store keeps for ``source``: its pickle (zlib-compressed when large and that pays), or a
    private copy of the objects when it has no pickle.

    Pickle rather than JSON text: it gives back every value exactly as stored — key order, ``1.0``
    apart from ``1``, ``-0.0``, ``NaN``, integers of any size, every string (lone surrogates too), and
    the types a copy kept before (a tuple stays a tuple) — it is about the size of compact JSON for
    text, and it keeps floats binary: a 384-float vector pickles and unpickles ~20x and ~8x faster than
    JSON writes and reads it. Only the store's own bytes are ever unpickled. The pickler runs in fast
    mode (no memo), so objects a source shares come back as separate copies, as :func:`copy_json`
    made them."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.fast = True
    try:
        pickler.dump(source)
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError, ValueError):
        return _Kept(copy_json(source))  # no pickle (a local class, an open handle): keep the objects
    raw = buffer.getvalue()
    if len(raw) >= COMPRESS_FROM:
        packed = zlib.compress(raw, 1)
        if len(packed) <= _COMPRESSED_ENOUGH * len(raw):
            return packed
    return raw


def decode_source(raw: bytes) -> dict[str, Any]:
    """A fresh ``dict`` from :func:`encode_source`'s bytes (a caller may change it freely)."""
    if raw[0] != _PICKLE_START:
        raw = zlib.decompress(raw)
    value: dict[str, Any] = pickle.loads(raw)  # only bytes the store pickled itself
    return value


class _Kept:
    """A source with no pickle, kept as objects; each read gets its own copy."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class _Unloaded:
    """A loaded store's document not read from its file yet (see :meth:`SourceColumn.loaded`)."""

    __slots__ = ()


_UNLOADED = _Unloaded()


class _Pending:
    """A dropped document of a loaded store that was never read: its source is still in the file."""

    __slots__ = ("load", "doc")

    def __init__(self, load: Callable[[int], dict[str, Any]], doc: int) -> None:
        self.load, self.doc = load, doc


Entry = bytes | _Kept | _Pending | None


def _decode_entry(entry: Entry) -> dict[str, Any] | None:
    if entry is None:
        return None
    if type(entry) is bytes:
        return decode_source(entry)
    if type(entry) is _Kept:
        return copy_json(entry.value)
    assert isinstance(entry, _Pending)
    return entry.load(entry.doc)


class SourceColumn(Sequence[dict[str, Any] | None]):
    """Internal doc → ``_source``, a stand-in for a list of dicts (``None``: a dropped document).

    Each read decodes a new dict, so no caller shares state with the store or with another caller (the
    list of dicts handed out the store's own objects). As objects, the synthetic 60-word document of
    ``benchmarks/memory.py`` took ~570 bytes (the dict ~190, its text's ``str`` the rest); as bytes
    ~390, read back in ~1 µs; a 384-float vector ~12 KiB as objects (a ``float`` object each), ~3.5
    KiB as bytes. A store loaded from disk starts with every source still in its files
    (:meth:`loaded`); a document's is read from there the first time it is asked for and kept as bytes
    from then on."""

    __slots__ = ("_items", "_load", "_lock")

    def __init__(self, sources: Any = ()) -> None:
        self._items: list[Entry | _Unloaded] = [encode_source(s) if s is not None else None for s in sources]
        self._load: Callable[[int], dict[str, Any]] | None = None
        self._lock = threading.Lock()  # a first read of a loaded document against a drop of it

    @classmethod
    def loaded(cls, live: np.ndarray, load: Callable[[int], dict[str, Any]]) -> SourceColumn:
        """A loaded store's sources: a live document's is read by ``load(doc)`` (from its segment file,
        which reports corruption) when first asked for; a dead one has none."""
        column = cls()
        column._items = [_UNLOADED if alive else None for alive in live.tolist()]
        column._load = load
        return column

    def __len__(self) -> int:
        return len(self._items)

    def _read(self, doc: int) -> dict[str, Any] | None:
        entry = self._items[doc]
        if entry is _UNLOADED:
            assert self._load is not None
            source = self._load(doc)
            kept = encode_source(source)
            with self._lock:  # kept only while no write dropped it meanwhile
                if self._items[doc] is _UNLOADED:
                    self._items[doc] = kept
            return source
        return _decode_entry(entry)  # type: ignore[arg-type]

    @overload
    def __getitem__(self, index: int) -> dict[str, Any] | None: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any] | None]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self._read(i) for i in range(*index.indices(len(self._items)))]
        if index < 0:
            index += len(self._items)
        return self._read(index)

    def __iter__(self) -> Iterator[dict[str, Any] | None]:
        return (self._read(i) for i in range(len(self._items)))

    def __setitem__(self, index: int, source: dict[str, Any] | None) -> None:
        self._items[index] = None if source is None else encode_source(source)

    def append(self, source: dict[str, Any]) -> None:
        self._items.append(encode_source(source))

    def entry(self, doc: int) -> Entry:
        """What is stored for ``doc`` (for :class:`RetiredSources`; decoded by whoever finds it there)."""
        entry = self._items[doc]
        if entry is _UNLOADED:
            assert self._load is not None
            return _Pending(self._load, doc)
        return entry  # type: ignore[return-value]

    def append_entry(self, entry: Entry) -> None:
        """Append what :func:`encode_source` made of a source."""
        self._items.append(entry)

    def clear(self, doc: int) -> None:
        with self._lock:
            self._items[doc] = None

    def stored_bytes(self) -> int:
        """Bytes held for the sources (the ``bytes`` objects and the list's slots; kept objects not
        counted), what ``benchmarks/memory.py`` reports."""
        return sys.getsizeof(self._items) + sum(sys.getsizeof(e) for e in self._items if type(e) is bytes)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, SourceColumn)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"SourceColumn({len(self._items)} documents)"


class RetiredSources:
    """The sources of documents deleted or re-indexed after one refresh, kept for its searchers.

    A searcher published at a refresh counts its documents live until the next one; a write after it
    drops the old document's source from the store, yet a search on that searcher may still fetch it
    (Elasticsearch's searcher reads it from its point-in-time segment). Each refresh starts a new node
    and links it from the previous one, so a searcher walks forward from its own node to find any source
    dropped since it was published; the store holds only the newest node, so a node, and the sources in
    it, go when the last searcher that can see them does. The same chain keeps, for each ``_id`` whose
    document was dropped, the first such document (what :class:`SnapshotIds` finds the id by).
    """

    __slots__ = ("__weakref__", "by_doc", "ids", "next")

    def __init__(self) -> None:
        #: Internal doc → its source as the store kept it (bytes; decoded by :meth:`find`).
        self.by_doc: dict[int, Entry] = {}
        #: ``_id`` → the first of its documents deleted or replaced since this node's refresh.
        self.ids: dict[str, int] = {}
        self.next: RetiredSources | None = None

    def find(self, doc: int) -> dict[str, Any] | None:
        node: RetiredSources | None = self
        while node is not None:
            entry = node.by_doc.get(doc)
            if entry is not None:
                return _decode_entry(entry)
            node = node.next
        return None

    def find_id(self, doc_id: str, max_doc: int) -> int | None:
        """The document ``doc_id`` named at this node's refresh (one of the ``max_doc`` then), if it was
        dropped since: the first of its documents dropped after that refresh that is that old (one
        appended later and dropped again is not)."""
        node: RetiredSources | None = self
        while node is not None:
            internal = node.ids.get(doc_id)
            if internal is not None and internal < max_doc:
                return internal
            node = node.next
        return None


class SnapshotIds(Mapping[str, int]):
    """A searcher's ``_id`` → internal doc, as of its refresh, without a copy of the store's ``by_id``.

    A document the store's ``by_id`` names among the searcher's ``max_doc`` is one the searcher counts
    live (documents never come back to life); any other ``_id`` the searcher knew has had its document
    dropped since, which the retired chain from the searcher's node records. The refresh used to copy
    ``by_id`` (at a million documents a ~40 MiB dict per searcher, and ~50 ms per refresh)."""

    __slots__ = ("_by_id", "_max_doc", "_retired", "_ids", "_live")

    def __init__(
        self, by_id: Mapping[str, int], max_doc: int, retired: RetiredSources, ids: Sequence[str], live: np.ndarray
    ) -> None:
        self._by_id, self._max_doc, self._retired, self._ids, self._live = by_id, max_doc, retired, ids, live

    def get(self, doc_id: str, default: Any = None) -> Any:
        internal = self._by_id.get(doc_id)
        if internal is not None and internal < self._max_doc:
            return internal
        found = self._retired.find_id(doc_id, self._max_doc)
        return default if found is None else found

    def __getitem__(self, doc_id: str) -> int:
        internal: int | None = self.get(doc_id)
        if internal is None:
            raise KeyError(doc_id)
        return internal

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and self.get(doc_id) is not None

    def __iter__(self) -> Iterator[str]:
        ids = self._ids
        return (ids[doc] for doc in np.flatnonzero(self._live).tolist())

    def __len__(self) -> int:
        return int(np.count_nonzero(self._live))

    def __repr__(self) -> str:
        return f"SnapshotIds({len(self)} documents of {self._max_doc})"


# --------------------------------------------------------------------------------------------
# _ids: internal doc → _id, and _id → internal doc
# --------------------------------------------------------------------------------------------

_ID_CODEC = ("utf-8", "surrogatepass")  # every Python str has a form (a lone surrogate too)


class IdColumn(Sequence[str]):
    """Internal doc → ``_id``, a stand-in for a list of strings that is only appended to.

    The ids are kept as one UTF-8 byte string with each document's end offset, ~8 bytes a document plus
    the id's own bytes, where a list of ``str`` took ~64 (a 49-byte object header, its characters and
    the list's slot): at a million documents ~14 MiB rather than ~60. A read decodes a new ``str``
    (~0.2 µs; the fetch phase reads one per hit). Appends write the bytes before the offset, so a
    concurrent reader of a document below ``len`` finds them whole."""

    __slots__ = ("_blob", "_ends")

    def __init__(self, ids: Any = ()) -> None:
        self._blob = bytearray()
        self._ends: array[int] = array("q", [0])  # document d's bytes are _blob[_ends[d]:_ends[d + 1]]
        for doc_id in ids:
            self.append(doc_id)

    def append(self, doc_id: str) -> None:
        blob = self._blob
        blob += doc_id.encode("utf-8", "surrogatepass")  # _ID_CODEC, spelled out: this runs per document
        self._ends.append(len(blob))

    def __len__(self) -> int:
        return len(self._ends) - 1

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> Any:
        ends, blob = self._ends, self._blob
        if isinstance(index, slice):
            return [blob[ends[i] : ends[i + 1]].decode(*_ID_CODEC) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(ends) - 1
            if index < 0:
                raise IndexError("id index out of range")
        return blob[ends[index] : ends[index + 1]].decode("utf-8", "surrogatepass")  # past the end: IndexError

    def take(self, docs: list[int]) -> list[str]:
        """The ``_id``s of ``docs`` (valid doc ids), read in one pass (a page of hits)."""
        ends, blob = self._ends, self._blob
        return [blob[ends[d] : ends[d + 1]].decode("utf-8", "surrogatepass") for d in docs]

    def equals(self, doc: int, key: bytes) -> bool:
        """Whether document ``doc``'s ``_id`` is the encoded ``key`` (no ``str`` decoded, nothing copied)."""
        ends = self._ends
        lo = ends[doc]
        return ends[doc + 1] - lo == len(key) and self._blob.startswith(key, lo)

    def stored_bytes(self) -> int:
        """Bytes held (what ``benchmarks/memory.py`` reports)."""
        return sys.getsizeof(self._blob) + sys.getsizeof(self._ends)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, IdColumn):
            return self._blob == other._blob and self._ends == other._ends
        if isinstance(other, list):
            return list(self) == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"IdColumn({len(self)} documents)"


def _encoded(key: Any) -> bytes:
    """``key`` as an :class:`IdColumn` stores it; a key that is no ``str`` gets ``b"\\xff"``, which is
    no UTF-8 text, so it matches no id (as a ``dict`` of ``str`` keys finds no ``1`` or ``None``)."""
    if isinstance(key, str):
        return key.encode(*_ID_CODEC)
    return b"\xff"


#: Slot values of :class:`IdTable`'s compact part: internal doc + 1, or these two.
_EMPTY_SLOT, _DELETED_SLOT = 0, -1
#: The compact part is rebuilt (twice the size) before its used and deleted slots pass this share of it.
_MAX_LOAD = 0.5
_MIN_SLOTS = 1 << 10
#: New ids wait in a ``dict`` (as fast to fill as before) until this many, then move to the compact part.
YOUNG_IDS = 1 << 15


def _place(slots: np.ndarray, docs: np.ndarray, hashes: np.ndarray) -> None:
    """Put documents ``docs`` (ids hashing to ``hashes``) in the free slots of ``slots`` by linear probing,
    vectorised: each writes itself into its home slot if free; of several writing one slot the last
    write stays, and the others (and those that found it taken) try the next slot, round after round.
    Each ends in the first slot free in its round, so every slot between its home and it is taken, as a
    probe needs; slots already used are never written. No sort: each round is linear in what is left."""
    mask = slots.size - 1
    pos = hashes & mask
    values = (docs + 1).astype(np.int32)
    todo = np.arange(docs.size)
    while todo.size:
        p = pos[todo]
        free = slots[p] == _EMPTY_SLOT
        slots[p[free]] = values[todo[free]]
        placed = slots[p] == values[todo]
        todo = todo[~placed]
        pos[todo] = (pos[todo] + 1) & mask


class IdTable(MutableMapping[str, int]):
    """``_id`` → internal doc of every live document, over the store's :class:`IdColumn`.

    At a million documents the ``dict`` this replaces, its ``str`` keys and ``int`` values took ~130
    MiB. Here most ids live in a compact part: an open-addressing hash table (linear probing) of C ints
    holding internal doc + 1, with each document's ``hash(_id)`` in a column beside it; the keys are the
    column's bytes, never ``str`` objects (~16 MiB at a million: 4 bytes a slot at most half full, 8 a
    document). A lookup compares hashes first and the id's bytes only when they agree, so it is exact.
    New ids go to a small ``dict`` first (writing is as fast as before) and move to the compact part in
    vectorised batches of :data:`YOUNG_IDS`; a lookup tries the ``dict``, then the compact part.

    Concurrency (one writer under the shard's lock, searchers reading without it): an id being moved is
    in the compact part before the ``dict`` is replaced; an id re-pointed at a new document is in the
    ``dict`` before its old slot is marked deleted; a delete marks a slot rather than moving entries;
    and a rebuild fills a new slot array that is swapped in whole. So a reader finds every id that
    stays present throughout its lookup, at one of its documents.

    Iteration is in internal doc order (a ``dict`` iterated in insertion order; nothing depends on it)."""

    __slots__ = ("_ids", "_hashes", "_slots", "_young", "_size", "_filled")

    def __init__(self, ids: IdColumn) -> None:
        self._ids = ids
        self._young: dict[str, int] = {}
        self._hashes: array[int] = array("q")  # internal doc → hash(_id) (0 for one never in the compact part)
        self._slots: array[int] = array("i", bytes(4 * _MIN_SLOTS))
        self._size = 0  # live entries of the compact part
        self._filled = 0  # its live entries and deleted markers

    @classmethod
    def of(cls, ids: IdColumn, by_id: Mapping[str, int]) -> IdTable:
        """A table of ``by_id``'s entries (each ``_id`` that of its document in ``ids``)."""
        table = cls(ids)
        table._young = dict(by_id)
        table._compact()
        return table

    def _find(self, key: Any) -> int:
        """The compact part's slot holding ``key``, or -1."""
        slots = self._slots
        mask = len(slots) - 1
        h = hash(key)
        i = h & mask
        hashes = self._hashes
        while True:
            d = slots[i]
            if d == _EMPTY_SLOT:
                return -1
            if d > 0 and hashes[d - 1] == h and self._ids.equals(d - 1, _encoded(key)):
                return i
            i = (i + 1) & mask

    def get(self, key: Any, default: Any = None) -> Any:
        doc = self._young.get(key)
        if doc is not None:
            return doc
        slots = self._slots
        mask = len(slots) - 1
        h = hash(key)
        i = h & mask
        d = slots[i]
        if not d:  # (_EMPTY_SLOT) a new id's usual answer, on the bulk path: tested first, inline
            return default
        hashes = self._hashes
        while d:
            if d > 0 and hashes[d - 1] == h and self._ids.equals(d - 1, _encoded(key)):
                return d - 1
            i = (i + 1) & mask
            d = slots[i]
        return default

    def __getitem__(self, key: str) -> int:
        doc: int | None = self.get(key)
        if doc is None:
            raise KeyError(key)
        return doc

    def __contains__(self, key: object) -> bool:
        return self.get(key) is not None

    def __setitem__(self, key: str, doc: int) -> None:
        young = self._young
        moved = key not in young and self._size > 0
        young[key] = doc
        if moved:  # an id of the compact part re-pointed: its old slot goes (after the dict names the new doc)
            found = self._find(key)
            if found >= 0:
                self._slots[found] = _DELETED_SLOT
                self._size -= 1
        if len(young) >= YOUNG_IDS:
            self._compact()

    def add(self, key: str, doc: int) -> None:
        """``self[key] = doc`` for a ``key`` the caller knows is absent (it just looked it up): no probe."""
        young = self._young
        young[key] = doc
        if len(young) >= YOUNG_IDS:
            self._compact()

    def __delitem__(self, key: str) -> None:
        if self._young.pop(key, None) is not None:
            return
        found = self._find(key)
        if found < 0:
            raise KeyError(key)
        self._slots[found] = _DELETED_SLOT
        self._size -= 1

    def _compact(self) -> None:
        """Move the ``dict``'s ids to the compact part: their hashes into the column, then their slots
        (in place while the part stays at most half full, else in a rebuilt part twice as large), and
        only then an empty ``dict`` in place of the full one."""
        young = self._young
        if not young:
            return
        docs = np.fromiter(young.values(), dtype=np.int64, count=len(young))
        hashes = np.fromiter(map(hash, young), dtype=np.int64, count=len(young))
        column = self._hashes
        top = int(docs.max()) + 1
        if top > len(column):
            column.frombytes(bytes(8 * (top - len(column))))
        np.frombuffer(column, dtype=np.int64)[docs] = hashes
        size = self._size + docs.size
        if self._filled + docs.size <= _MAX_LOAD * len(self._slots):
            _place(np.frombuffer(self._slots, dtype=np.int32), docs, hashes)  # empty slots only
            self._filled += int(docs.size)
        else:
            capacity = _MIN_SLOTS
            while _MAX_LOAD * capacity < size:
                capacity *= 2
            old = np.frombuffer(self._slots, dtype=np.int32)
            every = np.concatenate([old[old > 0].astype(np.int64) - 1, docs])
            slots = np.zeros(capacity, dtype=np.int32)
            _place(slots, every, np.frombuffer(column, dtype=np.int64)[every])
            self._slots = array("i", slots.tobytes())  # swapped in whole (see the class's note)
            self._filled = size
        self._size = size
        self._young = {}

    def __iter__(self) -> Iterator[str]:
        slots = np.frombuffer(self._slots, dtype=np.int32)
        young = np.fromiter(self._young.values(), dtype=np.int64, count=len(self._young))
        docs = np.sort(np.concatenate([slots[slots > 0].astype(np.int64) - 1, young]))
        ids = self._ids
        return (ids[d] for d in docs.tolist())

    def __len__(self) -> int:
        return self._size + len(self._young)

    def stored_bytes(self) -> int:
        """Bytes held by the compact part (what ``benchmarks/memory.py`` reports; the ``dict`` of at most
        :data:`YOUNG_IDS` ids not counted)."""
        return sys.getsizeof(self._slots) + sys.getsizeof(self._hashes)

    def __repr__(self) -> str:
        return f"IdTable({len(self)} ids)"


# --------------------------------------------------------------------------------------------
# Versions by _id
# --------------------------------------------------------------------------------------------


class VersionTable(Mapping[str, int]):
    """``_id`` → its latest ``_version``, for every ``_id`` the store has seen (deleted ones included:
    ``index/versioning.py`` continues from a deleted id's version).

    A live id's version is its document's (``doc_versions[by_id[id]]``, already kept per document for
    searchers), so only the deleted ids' versions are stored: a dict of a million ``_id``\\ s was ~40 MiB
    beside the ``by_id`` dict holding the same keys."""

    __slots__ = ("_by_id", "_doc_versions", "tombstones")

    def __init__(self, by_id: Mapping[str, int], doc_versions: array[int], tombstones: dict[str, int]) -> None:
        self._by_id, self._doc_versions = by_id, doc_versions
        #: Deleted ``_id`` → the version of its delete.
        self.tombstones = tombstones

    def __getitem__(self, doc_id: str) -> int:
        internal = self._by_id.get(doc_id)
        if internal is not None:
            return self._doc_versions[internal]
        return self.tombstones[doc_id]

    def get(self, doc_id: str, default: Any = None) -> Any:
        """``Mapping.get`` without its ``KeyError``: every new ``_id`` of a bulk load asks (an
        exception raised and caught a document)."""
        internal = self._by_id.get(doc_id)
        if internal is not None:
            return self._doc_versions[internal]
        return self.tombstones.get(doc_id, default)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._by_id or doc_id in self.tombstones

    def __iter__(self) -> Iterator[str]:
        yield from self._by_id
        yield from self.tombstones

    def __len__(self) -> int:
        return len(self._by_id) + len(self.tombstones)

    def __repr__(self) -> str:
        return f"VersionTable({dict(self)!r})"


# --------------------------------------------------------------------------------------------
# The store
# --------------------------------------------------------------------------------------------


@dataclass
class DocumentStore:
    #: Internal doc → ``_id`` (a list of ids is taken over as an :class:`IdColumn`).
    ids: IdColumn = field(default_factory=IdColumn)
    sources: SourceColumn = field(default_factory=SourceColumn)
    #: Live ``_id`` → internal doc, over ``ids`` (a ``dict`` given is taken over as an :class:`IdTable`).
    by_id: IdTable = field(default=None)  # type: ignore[assignment]
    #: Internal doc → live (1) or deleted (0).
    live_list: bytearray = field(default_factory=bytearray)
    seq_no: int = -1
    #: Internal doc → the ``_seq_no`` of the write that stored it (``-1``: unknown, a store saved before
    #: retrievo kept it); what ``random_score`` with a seed but no ``field`` hashes, as ES does.
    doc_seq_nos: array[int] = field(default_factory=lambda: array("q"))
    #: Internal doc → the ``_version`` it was stored with (``0`` for a dead document loaded from disk):
    #: a searcher published before a later write must still show the version it saw (``version: true``).
    doc_versions: array[int] = field(default_factory=lambda: array("q"))
    #: Deleted ``_id`` → its last version (the live ids' are in ``doc_versions``; see :class:`VersionTable`).
    tombstones: dict[str, int] = field(default_factory=dict)
    #: Internal doc → the custom ``routing`` it was written with (absent: routed by its ``_id``); kept for
    #: dead documents too, whose postings still count in their shard's statistics until a merge.
    doc_routings: dict[int, str] = field(default_factory=dict)
    deletes_since_refresh: bool = False
    #: Sources dropped since the last refresh (see :class:`RetiredSources`).
    retired: RetiredSources = field(default_factory=RetiredSources)

    def __post_init__(self) -> None:
        if not isinstance(self.ids, IdColumn):
            self.ids = IdColumn(self.ids)
        if not isinstance(self.by_id, IdTable):
            self.by_id = IdTable.of(self.ids, self.by_id or {})
        self.versions = VersionTable(self.by_id, self.doc_versions, self.tombstones)

    @property
    def max_doc(self) -> int:
        return len(self.ids)

    def _drop_source(self, internal: int) -> None:
        """Free a dead document's source, keeping it for the searchers published before (retired first,
        then cleared, so a concurrent reader finds it in one place or the other)."""
        entry = self.sources.entry(internal)
        if entry is not None:
            self.retired.by_doc[internal] = entry
        self.sources.clear(internal)

    def publish_retired(self) -> RetiredSources:
        """At a refresh: the node collecting the sources dropped from now on, for the new searcher."""
        node = RetiredSources()
        self.retired.next = node
        self.retired = node
        return node

    def snapshot_ids(self, max_doc: int, live: np.ndarray, retired: RetiredSources) -> SnapshotIds:
        """The ``_id``\\ s of a refresh's searcher (``retired``: the node :meth:`publish_retired` gave it)."""
        return SnapshotIds(self.by_id, max_doc, retired, self.ids, live)

    def live_mask(self) -> np.ndarray:
        """bool[max_doc], a writable copy (a view would pin ``live_list``: a buffer in use cannot grow)."""
        return np.frombuffer(bytearray(self.live_list), dtype=bool)

    def next_auto_id(self) -> str:
        """A 20-character URL-safe base64 id, the shape of Elasticsearch's generated ids."""
        while True:
            candidate = base64.urlsafe_b64encode(os.urandom(15)).decode("ascii")
            if candidate not in self.by_id:
                return candidate

    def append(
        self, doc_id: str, source: dict[str, Any], version: int | None = None, routing: str | None = None
    ) -> tuple[int, int, bool]:
        """Store a document; returns (internal doc, new version, created?). ``version``: the one
        ``index.versioning`` settled on (else the id's next); ``routing``: the write's custom routing."""
        entry = encode_source(source)  # first: a source that cannot be stored leaves the store unchanged
        previous = self.by_id.get(doc_id)
        created = previous is None
        if version is None:  # the id's next (self.versions' lookup, without looking the id up again)
            version = (self.doc_versions[previous] if previous is not None else self.tombstones.get(doc_id, 0)) + 1
        if previous is not None:
            self.retired.ids.setdefault(doc_id, previous)  # before by_id moves on (see SnapshotIds)
        # The new document is complete before by_id names it, and the old one is dropped after: a
        # concurrent reader of the store finds one or the other, each with its source.
        internal = len(self.ids)
        self.sources.append_entry(entry)
        self.ids.append(doc_id)
        self.live_list.append(1)
        self.seq_no += 1
        self.doc_seq_nos.append(self.seq_no)
        self.doc_versions.append(version)
        if routing is not None:
            self.doc_routings[internal] = routing
        if previous is None:
            self.by_id.add(doc_id, internal)
        else:
            self.by_id[doc_id] = internal
        self.tombstones.pop(doc_id, None)
        if previous is not None:
            self.live_list[previous] = 0
            self._drop_source(previous)
            self.deletes_since_refresh = True
        return internal, version, created

    def delete(self, doc_id: str, version: int | None = None) -> int | None:
        """Remove a document; returns its new version (``version`` when given), or None when it did not exist."""
        internal = self.by_id.get(doc_id)
        if internal is None:
            return None
        new_version = self.doc_versions[internal] + 1 if version is None else version
        self.retired.ids.setdefault(doc_id, internal)  # before by_id forgets it (see SnapshotIds)
        self.tombstones[doc_id] = new_version  # (by_id still wins until the next line)
        del self.by_id[doc_id]
        self.live_list[internal] = 0
        self._drop_source(internal)
        self.deletes_since_refresh = True
        self.seq_no += 1
        return new_version

    def seq_no_of(self, internal: int) -> int:
        """The ``_seq_no`` a get reports for a document (the shard's latest where it was not saved)."""
        known = self.doc_seq_nos[internal] if internal < len(self.doc_seq_nos) else -1
        return known if known >= 0 else self.seq_no

    def routing_of(self, doc_id: str) -> str | None:
        """The custom routing the live document ``doc_id`` was written with (``None``: by its ``_id``)."""
        internal = self.by_id.get(doc_id)
        return None if internal is None else self.doc_routings.get(internal)

    def get(self, doc_id: str) -> tuple[int, dict[str, Any]] | None:
        """The live document ``doc_id``: its internal doc and a fresh copy of its source."""
        internal = self.by_id.get(doc_id)
        if internal is None:
            return None
        src = self.sources[internal]
        assert src is not None
        return internal, src
