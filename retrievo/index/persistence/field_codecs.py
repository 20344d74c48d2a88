"""Inverted fields and numeric columns on disk.

What is saved is the writer: its published snapshot (CSR postings, norm bytes, forward index; doc
values) exactly as built — so BM25 statistics and scores come back bit for bit, and loading builds
nothing — plus whatever was queued since that snapshot (empty after a refresh). A snapshot's arrays
share one pack file (raw arrays, layout in ``shard.json``: one file to write, fsync and link per
field), the queue another; the term dictionary is a JSON list in term-id order. Per-snapshot caches
(``unit_scores``, ``idfs`` …) are not saved: they are recomputed from the same arrays by the same
code, so they are equal too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from retrievo.index.doc_values import NumericColumn, NumericColumnWriter
from retrievo.index.inverted import InvertedField, InvertedFieldWriter
from retrievo.index.persistence import errors
from retrievo.index.persistence.files import GenerationReader, GenerationWriter
from retrievo.index.sparse_semantic import SparseSemanticFieldWriter

_I32, _I64 = np.dtype(np.int32), np.dtype(np.int64)

# Pending lists of an inverted writer and the dtype each is saved with.
_INVERTED_PENDING = (
    ("pending_docs", _I32),
    ("pending_unique", _I64),
    ("pending_lengths", _I64),
    ("pending_tids", _I32),
    ("pending_tfs", _I32),
    ("pending_fwd_tids", _I32),
    ("pending_fwd_pos", _I32),
)
# A snapshot's freqs are saved as built: the narrowest dtype that holds them (older packs: int32).
_FREQ_DTYPES = (np.dtype(np.uint8), np.dtype(np.uint16), _I32)
_INVERTED_ARRAYS: tuple[tuple[str, np.dtype | tuple[np.dtype, ...]], ...] = (
    ("offsets", _I64),
    ("docs", _I32),
    ("freqs", _FREQ_DTYPES),
    ("has_value", np.dtype(np.bool_)),
    ("fwd_offsets", _I64),
    ("fwd_tids", _I32),
    ("fwd_pos", _I32),
)


def _pending_arrays(writer: object, spec: tuple[tuple[str, np.dtype], ...]) -> dict[str, np.ndarray]:
    # copies: a view of a writer's ``array`` buffer would stop it growing while the pack is held
    return {name: np.array(getattr(writer, name), dtype=dtype) for name, dtype in spec}


def _read_checked(
    src: GenerationReader, rel: str, layout: Any, spec: tuple[tuple[str, np.dtype | tuple[np.dtype, ...]], ...]
) -> dict[str, np.ndarray]:
    """A pack whose arrays must be exactly ``spec`` (names, dtypes — or one of several —, one dimension)."""
    arrays = src.read_pack(rel, layout)
    for name, dtype in spec:
        array = arrays.get(name)
        allowed = dtype if isinstance(dtype, tuple) else (dtype,)
        if array is None or array.dtype not in allowed or array.ndim != 1:
            shown = " or ".join(str(d) for d in allowed)
            raise errors.corrupt(src.path(rel), f"expected a 1-d array [{name}] of [{shown}]")
    return arrays


def write_inverted(out: GenerationWriter, prefix: str, writer: InvertedFieldWriter) -> dict[str, Any]:
    vocab = list(writer.terms)
    # The vocabulary only grows, so its length identifies it for reuse.
    out.write_json(f"{prefix}.terms.json", vocab, key=("terms", writer.name, len(vocab)))
    facts: dict[str, Any] = {
        "name": writer.name,
        "with_norms": writer.with_norms,
        "with_positions": writer.with_positions,
        "with_freqs": writer.with_freqs,
        "terms": len(vocab),
    }
    snap = writer.snapshot
    if snap is not None:
        arrays = {name: getattr(snap, name) for name, _ in _INVERTED_ARRAYS}
        if snap.norms is not None:
            arrays["norms"] = snap.norms
        facts["snapshot"] = {
            "max_doc": snap.max_doc,
            "terms": len(snap.terms),
            "has_norms": snap.norms is not None,
            "doc_count": snap.doc_count,
            "sum_total_term_freq": snap.sum_total_term_freq,
            "sum_doc_freq": snap.sum_doc_freq,
            "layout": out.write_pack(f"{prefix}.postings.pack", arrays),
        }
    if writer.pending_docs:
        facts["pending"] = out.write_pack(f"{prefix}.pending.pack", _pending_arrays(writer, _INVERTED_PENDING))
    return facts


def read_inverted(src: GenerationReader, prefix: str, facts: dict[str, Any]) -> InvertedFieldWriter:
    terms_file = f"{prefix}.terms.json"
    vocab_list = src.read_json(terms_file)
    if not isinstance(vocab_list, list) or len(vocab_list) != int(facts["terms"]):
        raise errors.corrupt(src.path(terms_file), f"expected a list of [{facts['terms']}] terms")
    vocab = {term: tid for tid, term in enumerate(vocab_list)}
    if len(vocab) != len(vocab_list):
        raise errors.corrupt(src.path(terms_file), "the term list repeats a term")
    src.note(terms_file, ("terms", str(facts["name"]), len(vocab)))
    writer = InvertedFieldWriter(
        str(facts["name"]),
        with_norms=bool(facts["with_norms"]),
        with_positions=bool(facts["with_positions"]),
        with_freqs=facts.get("with_freqs"),
        terms=vocab,
    )
    snap = facts.get("snapshot")
    if snap is not None:
        rel = f"{prefix}.postings.pack"
        spec = _INVERTED_ARRAYS + ((("norms", np.dtype(np.uint8)),) if snap["has_norms"] else ())
        arrays = _read_checked(src, rel, snap["layout"], spec)
        norms = arrays.pop("norms", None)
        n_terms, max_doc = int(snap["terms"]), int(snap["max_doc"])
        if n_terms > len(vocab):
            raise errors.corrupt(src.path(rel), f"the snapshot has [{n_terms}] terms, the dictionary [{len(vocab)}]")
        _check_inverted(src.path(rel), arrays, norms, n_terms, max_doc)
        snap_terms = dict(vocab) if n_terms == len(vocab) else {t: i for i, t in enumerate(vocab_list[:n_terms])}
        writer.snapshot = InvertedField(
            name=writer.name,
            max_doc=max_doc,
            terms=snap_terms,
            norms=norms,
            doc_count=int(snap["doc_count"]),
            sum_total_term_freq=int(snap["sum_total_term_freq"]),
            sum_doc_freq=int(snap["sum_doc_freq"]),
            **arrays,
        )
    if facts.get("pending") is not None:
        pending = _read_checked(src, f"{prefix}.pending.pack", facts["pending"], _INVERTED_PENDING)
        for name, _ in _INVERTED_PENDING:
            setattr(writer, name, pending[name].tolist())
    return writer


def _check_inverted(
    path: Any, arrays: dict[str, np.ndarray], norms: np.ndarray | None, n_terms: int, max_doc: int
) -> None:
    """Shape invariants a search relies on (the checksums already vouch for the bytes)."""

    def fail(problem: str) -> None:
        raise errors.corrupt(path, problem)

    offsets = arrays["offsets"]
    if offsets.size != n_terms + 1 or int(offsets[-1]) != arrays["docs"].size:
        fail(f"expected [{n_terms + 1}] offsets ending at the postings' length")
    if arrays["freqs"].size != arrays["docs"].size:
        fail("expected one freq per posting")
    if arrays["has_value"].size != max_doc:
        fail(f"expected [{max_doc}] has_value entries")
    if norms is not None and norms.size != max_doc:
        fail(f"expected [{max_doc}] norm bytes")
    fwd = arrays["fwd_offsets"]
    # positions may be implicit (empty: every document's are 0 .. n-1, see InvertedField.fwd_pos)
    if fwd.size not in (0, max_doc + 1) or arrays["fwd_pos"].size not in (0, arrays["fwd_tids"].size):
        fail("forward index offsets disagree with the documents")


def _column_spec(integer: bool) -> tuple[tuple[str, np.dtype], ...]:
    return (("docs", _I32), ("values", np.dtype(np.int64 if integer else np.float64)))


def write_column(out: GenerationWriter, prefix: str, writer: NumericColumnWriter) -> dict[str, Any]:
    facts: dict[str, Any] = {"name": writer.name, "integer": writer.integer}
    snap = writer.snapshot
    if snap is not None:
        layout = out.write_pack(f"{prefix}.values.pack", {"docs": snap.docs, "values": snap.values})
        facts["snapshot"] = {"max_doc": snap.max_doc, "layout": layout}
    if writer.pending_docs:
        facts["pending"] = out.write_pack(
            f"{prefix}.pending.pack",
            {
                "docs": np.asarray(writer.pending_docs, dtype=np.int32),
                "values": np.asarray(writer.pending_values, dtype=_column_spec(writer.integer)[1][1]),
            },
        )
    return facts


def read_column(src: GenerationReader, prefix: str, facts: dict[str, Any]) -> NumericColumnWriter:
    integer = bool(facts["integer"])
    spec = _column_spec(integer)
    writer = NumericColumnWriter(str(facts["name"]), integer)
    snap = facts.get("snapshot")
    if snap is not None:
        arrays = _read_checked(src, f"{prefix}.values.pack", snap["layout"], spec)
        if arrays["docs"].size != arrays["values"].size:
            raise errors.corrupt(src.path(f"{prefix}.values.pack"), "expected one value per doc id")
        writer.snapshot = NumericColumn(writer.name, int(snap["max_doc"]), arrays["docs"], arrays["values"])
    if facts.get("pending") is not None:
        pending = _read_checked(src, f"{prefix}.pending.pack", facts["pending"], spec)
        writer.pending_docs = pending["docs"].tolist()
        writer.pending_values = pending["values"].tolist()
    return writer


def write_sparse_semantic(out: GenerationWriter, prefix: str, writer: SparseSemanticFieldWriter) -> dict[str, Any]:
    """A sparse ``semantic_text`` field: its chunks (owning doc, offsets) and their features, an inverted
    field over chunk rows saved like any other."""
    docs = np.asarray(writer.chunk_docs, dtype=np.int32)
    offsets = np.asarray(writer.chunk_offsets, dtype=np.int32).reshape(-1, 2)
    layout = out.write_pack(
        f"{prefix}.chunks.pack", {"docs": docs, "offsets": offsets}, key=("sparse-chunks", writer.name, int(docs.size))
    )
    return {
        "name": writer.name,
        "chunks_layout": layout,
        "features": write_inverted(out, f"{prefix}.features", writer.features),
    }


def read_sparse_semantic(src: GenerationReader, prefix: str, facts: dict[str, Any]) -> SparseSemanticFieldWriter:
    rel = f"{prefix}.chunks.pack"
    chunks = src.read_pack(rel, facts["chunks_layout"])
    docs, offsets = chunks.get("docs"), chunks.get("offsets")
    if (
        docs is None
        or docs.dtype != _I32
        or docs.ndim != 1
        or offsets is None
        or offsets.dtype != _I32
        or offsets.shape != (docs.size, 2)
    ):
        raise errors.corrupt(src.path(rel), "expected chunk doc ids and [start, end] pairs")
    src.note(rel, ("sparse-chunks", str(facts["name"]), int(docs.size)))
    features = read_inverted(src, f"{prefix}.features", facts["features"])
    if features.snapshot is not None and features.snapshot.max_doc > docs.size:
        raise errors.corrupt(src.path(rel), f"[{docs.size}] chunks but features for [{features.snapshot.max_doc}]")
    writer = SparseSemanticFieldWriter(str(facts["name"]))
    writer.features = features
    writer.chunk_docs = docs.tolist()
    writer.chunk_offsets = [(int(a), int(b)) for a, b in offsets.tolist()]
    return writer
