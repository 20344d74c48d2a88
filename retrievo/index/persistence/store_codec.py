"""The document store on disk: ``_id``\\ s, ``_source``\\ s, versions and the live mask.

Documents are kept like Lucene keeps them: in immutable *segments*, runs of internal doc ids each
stored as ``docs.ids.<start>-<end>.json`` (``{"ids": [...], "versions": [...]}``) and
``docs.sources.<start>-<end>.jsonl`` (one source per line), with a live mask (``docs.live.npy``)
saying which are deleted and each document's ``_seq_no`` (``docs.seq_no.npy``). A stored source
never changes — an update appends a new internal doc, a delete only clears the old one — so a
segment written once is valid for ever and later generations hard-link it. A commit writes only the
documents added since the last one as a new small segment.

A loaded store keeps the sources files mapped and reads a document's line the first time its source
is asked for (:class:`_MappedSources`; the store then keeps it as bytes, ``index/store.py``).

Merge policy: segments never cross a :data:`BLOCK_DOCS` boundary; within a block the trailing
segments merge while the older one is at most twice the size of the newer (so a block holds O(log n)
segments and a document is rewritten O(log n) times), and a complete block becomes one segment. A segment more
than half of whose documents have been deleted since it was written is rewritten without them.
The versions of deleted ``_id``\\ s (tombstones) go to one small file, and the custom ``routing`` each
document was written with (``docs.routing.json``, internal doc → routing; only documents that have
one, dead ones included since they still count in their shard until merged) to another.
"""

from __future__ import annotations

import bisect
import mmap
from array import array
from pathlib import Path
from typing import Any

import numpy as np

from retrievo.index.persistence import errors
from retrievo.index.persistence.files import GenerationReader, GenerationWriter, dump_json, load_json
from retrievo.index.store import DocumentStore, IdColumn, IdTable, SourceColumn

BLOCK_DOCS = 1024
SEQ_NOS_FILE = "docs.seq_no.npy"
"""Each internal doc's ``_seq_no`` (int64); absent from stores saved before it was kept."""
ROUTINGS_FILE = "docs.routing.json"
"""Internal doc (as text) → the custom routing it was written with; absent when no document has one."""

Segment = tuple[int, int, int]
"""(first doc, end doc, deleted docs written as ``null``)."""


def _ids_name(start: int, end: int) -> str:
    return f"docs.ids.{start:010d}-{end:010d}.json"


def _sources_name(start: int, end: int) -> str:
    return f"docs.sources.{start:010d}-{end:010d}.jsonl"


def _previous_segments(out: GenerationWriter, max_doc: int) -> list[Segment]:
    """The segments the previous generation wrote, if they still describe a prefix of the store."""
    found = sorted(
        key[1:]
        for key in out.previous_keys("docs.sources.").values()
        if isinstance(key, tuple) and len(key) == 4 and key[0] == "sources"
    )
    expected = 0
    for start, end, _ in found:
        if start != expected or end > max_doc:
            return []
        expected = end
    return found


def plan_segments(previous: list[Segment], max_doc: int, dead: np.ndarray) -> list[tuple[int, int, bool]]:
    """The segments to store (start, end, rewrite?) given those on disk and the dead-doc mask."""
    plan: list[tuple[int, int, bool]] = [(s, e, False) for s, e, _ in previous]
    written_dead = {(s, e): d for s, e, d in previous}
    start = previous[-1][1] if previous else 0
    while start < max_doc:  # new documents, cut at block boundaries
        end = min((start // BLOCK_DOCS + 1) * BLOCK_DOCS, max_doc)
        plan.append((start, end, True))
        start = end
    blocks: dict[int, list[tuple[int, int, bool]]] = {}
    for seg in plan:
        blocks.setdefault(seg[0] // BLOCK_DOCS, []).append(seg)
    merged: list[tuple[int, int, bool]] = []
    for in_block in blocks.values():
        if len(in_block) > 1 and in_block[-1][1] % BLOCK_DOCS == 0:  # a complete block: one segment
            in_block = [(in_block[0][0], in_block[-1][1], True)]
        while len(in_block) >= 2:
            (s1, e1, _), (s2, e2, _) = in_block[-2], in_block[-1]
            if e1 - s1 > 2 * (e2 - s2):
                break
            in_block[-2:] = [(s1, e2, True)]
        merged.extend(in_block)
    out = []
    for s, e, rewrite in merged:
        now_dead = int(dead[s:e].sum())
        if not rewrite and now_dead > written_dead[(s, e)] and 2 * now_dead > e - s:
            rewrite = True
        out.append((s, e, rewrite))
    return out


def write_store(out: GenerationWriter, store: DocumentStore, index: str) -> dict[str, Any]:
    """Write the store's files; returns the small facts kept in ``shard.json``."""
    live = store.live_mask()
    dead = ~live
    out.write_array("docs.live.npy", live, key=live.tobytes())
    previous = _previous_segments(out, store.max_doc)
    written_dead = {(s, e): d for s, e, d in previous}
    segments: list[Segment] = []
    for start, end, rewrite in plan_segments(previous, store.max_doc, dead):
        nulls = int(dead[start:end].sum()) if rewrite else written_dead[(start, end)]
        segments.append((start, end, nulls))
        mask = live[start:end].tolist()

        def ids_body(start: int = start, end: int = end, mask: list[bool] = mask) -> dict[str, Any]:
            ids = store.ids[start:end]
            return {"ids": ids, "versions": [store.versions[i] if alive else None for i, alive in zip(ids, mask)]}

        def sources_body(start: int = start, end: int = end, mask: list[bool] = mask) -> list[Any]:
            return [src if alive else None for src, alive in zip(store.sources[start:end], mask)]

        out.write_json(_ids_name(start, end), ids_body, key=("ids", start, end, nulls))
        try:
            out.write_json_lines(_sources_name(start, end), sources_body, key=("sources", start, end, nulls))
        except TypeError as failure:
            bad = failure.args[0] if failure.args else None
            raise errors.not_serializable(index, _culprit(store, start, end), bad) from None
    out.write_json("docs.tombstones.json", dict(store.tombstones))
    seq_nos = np.asarray(store.doc_seq_nos[: store.max_doc], dtype=np.int64)
    out.write_array(SEQ_NOS_FILE, seq_nos, key=("seq_nos", store.max_doc))  # only ever appended to
    if store.doc_routings:  # only ever added to (a new internal doc), so its size names its contents
        routings = store.doc_routings
        out.write_json(
            ROUTINGS_FILE,
            lambda: {str(doc): routing for doc, routing in sorted(routings.items())},
            key=("routings", len(routings), max(routings)),
        )
    return {
        "max_doc": store.max_doc,
        "seq_no": store.seq_no,
        "block_docs": BLOCK_DOCS,
        "segments": [list(s) for s in segments],
        "deletes_since_refresh": store.deletes_since_refresh,
    }


def _culprit(store: DocumentStore, start: int, end: int) -> str:
    """The first ``_id`` in a segment whose source has no JSON form."""
    for i in range(start, end):
        try:
            dump_json(store.sources[i])
        except TypeError:
            return store.ids[i]
    return store.ids[start]


def read_store(src: GenerationReader, facts: dict[str, Any]) -> DocumentStore:
    max_doc = int(facts["max_doc"])
    live = src.read_array("docs.live.npy", np.bool_, 1)
    if live.size != max_doc:
        raise errors.corrupt(src.path("docs.live.npy"), f"holds [{live.size}] documents, expected [{max_doc}]")
    src.note("docs.live.npy", live.tobytes())
    segments = [(int(s), int(e), int(d)) for s, e, d in facts["segments"]]
    starts = [s for s, _, _ in segments]
    if (
        starts != [0, *(e for _, e, _ in segments)][: len(starts)]
        or (segments[-1][1] if segments else 0) != max_doc
        or any(e <= s for s, e, _ in segments)
    ):
        raise errors.corrupt(src.path("shard.json"), f"document segments do not cover [0, {max_doc})")
    live_list = live.tolist()
    ids: list[str] = []
    doc_versions: array[int] = array("q")
    by_id: dict[str, int] = {}
    mapped = {}
    for start, end, nulls in segments:
        name = _ids_name(start, end)
        body = src.read_json(name)
        if not (
            isinstance(body, dict)
            and isinstance(body.get("ids"), list)
            and isinstance(body.get("versions"), list)
            and len(body["ids"]) == len(body["versions"]) == end - start
        ):
            raise errors.corrupt(src.path(name), f"expected the ids and versions of documents [{start}, {end})")
        for offset, (doc_id, version, alive) in enumerate(zip(body["ids"], body["versions"], live_list[start:end])):
            if not isinstance(doc_id, str) or (alive and not isinstance(version, int)):
                raise errors.corrupt(src.path(name), f"document [{doc_id}] disagrees with the live mask")
            if alive:
                by_id[doc_id] = start + offset
            doc_versions.append(version if alive else 0)  # a live document's version is its id's latest
        ids.extend(body["ids"])
        src.note(name, ("ids", start, end, nulls))
        sources_name = _sources_name(start, end)
        mapped[start] = (end, src.read_mapped(sources_name), src.path(sources_name))
        src.note(sources_name, ("sources", start, end, nulls))
    if len(by_id) != int(live.sum()):
        raise errors.corrupt(src.path("docs.live.npy"), "two live documents share an _id")
    tombstones = src.read_json("docs.tombstones.json")
    if not isinstance(tombstones, dict) or not all(isinstance(v, int) for v in tombstones.values()):
        raise errors.corrupt(src.path("docs.tombstones.json"), "expected an object of versions")
    sources = SourceColumn.loaded(live, _MappedSources(mapped).source)
    doc_seq_nos = array("q", [-1]) * max_doc  # a store saved before the file existed: unknown
    if SEQ_NOS_FILE in src.records:
        stored_seq_nos = src.read_array(SEQ_NOS_FILE, np.int64, 1)
        if stored_seq_nos.size != max_doc:
            reason = f"holds [{stored_seq_nos.size}] documents, expected [{max_doc}]"
            raise errors.corrupt(src.path(SEQ_NOS_FILE), reason)
        doc_seq_nos = array("q", stored_seq_nos.astype(np.int64).tobytes())
        src.note(SEQ_NOS_FILE, ("seq_nos", max_doc))
    doc_routings: dict[int, str] = {}
    if ROUTINGS_FILE in src.records:
        body = src.read_json(ROUTINGS_FILE)
        if not isinstance(body, dict) or not all(
            isinstance(k, str) and k.isdigit() and int(k) < max_doc and isinstance(v, str) for k, v in body.items()
        ):
            raise errors.corrupt(src.path(ROUTINGS_FILE), "expected an object of internal docs' routings")
        doc_routings = {int(k): v for k, v in body.items()}
        src.note(ROUTINGS_FILE, ("routings", len(doc_routings), max(doc_routings, default=-1)))
    column = IdColumn(ids)
    return DocumentStore(
        ids=column,
        sources=sources,
        by_id=IdTable.of(column, by_id),
        tombstones=tombstones,
        live_list=bytearray(live.tobytes()),
        seq_no=int(facts["seq_no"]),
        doc_seq_nos=doc_seq_nos,
        doc_versions=doc_versions,
        doc_routings=doc_routings,
        deletes_since_refresh=bool(facts["deletes_since_refresh"]),
    )


class _MappedSegment:
    """One segment's sources file, mapped read-only; its line offsets are found on first use."""

    __slots__ = ("start", "end", "mapped", "path", "lines")

    def __init__(self, start: int, end: int, mapped: mmap.mmap, path: Path) -> None:
        self.start, self.end, self.mapped, self.path = start, end, mapped, path
        self.lines: np.ndarray | None = None  # int64[n + 1]: byte offset of each line, then the end

    def line(self, doc: int) -> bytes:
        if self.lines is None:
            ends = np.flatnonzero(np.frombuffer(self.mapped, dtype=np.uint8) == 0x0A)
            if ends.size != self.end - self.start or (ends.size and int(ends[-1]) != len(self.mapped) - 1):
                raise errors.corrupt(self.path, f"expected one line per document of [{self.start}, {self.end})")
            self.lines = np.concatenate([[0], ends + 1])
        lo, hi = int(self.lines[doc - self.start]), int(self.lines[doc - self.start + 1])
        return self.mapped[lo:hi]


class _MappedSources:
    """A loaded store's ``_source``\\ s, read from their segment files (JSON lines) when asked for.

    Decoding JSON is nearly all the cost of loading an index (10,000 documents with a 384-float vector
    each: ~2 s), while a search reads the sources of the hits it returns; so the files stay mapped and a
    document's line is decoded each time its source is read (:class:`~retrievo.index.store.SourceColumn`
    keeps nothing of it in memory), reporting a damaged line when it is read."""

    def __init__(self, segments: dict[int, tuple[int, mmap.mmap, Path]]) -> None:
        """``segments``: first doc → (end doc, mapped JSON-lines file, its path for errors)."""
        self._segments = [_MappedSegment(s, e, m, p) for s, (e, m, p) in sorted(segments.items())]
        self._starts = [seg.start for seg in self._segments]

    def source(self, doc: int) -> dict[str, Any]:
        seg = self._segments[bisect.bisect_right(self._starts, doc) - 1]
        try:
            value = load_json(seg.line(doc))
        except (UnicodeDecodeError, ValueError) as failure:
            raise errors.corrupt(seg.path, f"line {doc - seg.start + 1} is not valid JSON: {failure}") from None
        if not isinstance(value, dict):
            raise errors.corrupt(seg.path, f"line {doc - seg.start + 1}: a live document has no source")
        return value
