"""``dense_vector`` vocabulary shared by the mapping layer and the vector index: similarities,
element types, ``index_options`` and their Elasticsearch defaults.

Pure Python (no FAISS), so that parsing a mapping never loads the vector library.

Default ``index_options`` (decided here, documented for users)
----------------------------------------------------------------
Elasticsearch 9.x picks ``int8_hnsw`` (``m`` 16, ``ef_construction`` 100) for indexed ``float``
fields with fewer than 384 dimensions and ``bbq_hnsw`` (same graph, ``rescore_vector.oversample:
3.0``) from 384 dimensions on. retrievo does not implement BBQ, so from 384 dimensions it uses
``int8_hnsw`` *with* ``rescore_vector.oversample: 3.0``: the same graph parameters and the same
"quantised candidates, exact float rescoring of ``3k`` of them" search, with a quantiser that is
finer than BBQ's. ``GET _mapping`` shows what retrievo really built (``int8_hnsw`` with its
``rescore_vector``), so the mapping round-trips; it differs from Elasticsearch's output only in
that type name. ``byte`` fields have no default ``index_options`` (Elasticsearch leaves them
``null`` and uses plain HNSW, m 16, ef_construction 100); retrievo does the same.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "BBQ_DIMS_DEFAULT_THRESHOLD",
    "DEFAULT_EF_CONSTRUCTION",
    "DEFAULT_M",
    "DEFAULT_OVERSAMPLE",
    "ELEMENT_TYPES",
    "INDEX_TYPES",
    "MAX_BEAM_WIDTH",
    "MAX_DIMS",
    "MAX_M",
    "OVERSAMPLE_LIMIT",
    "SIMILARITIES",
    "UNSUPPORTED_ELEMENT_TYPES",
    "UNSUPPORTED_INDEX_TYPES",
    "IndexOptions",
    "default_index_options",
    "effective_index_options",
    "float32_json",
    "rescore_count",
]

MAX_DIMS = 4096
"""``DenseVectorFieldMapper.MAX_DIMS_COUNT``."""

SIMILARITIES: tuple[str, ...] = ("l2_norm", "cosine", "dot_product", "max_inner_product")
"""``VectorSimilarity`` in declaration order (ES lists them in this order in its error message)."""

ELEMENT_TYPES: tuple[str, ...] = ("float", "byte")
"""Element types retrievo implements."""

UNSUPPORTED_ELEMENT_TYPES: frozenset[str] = frozenset({"bit", "bfloat16"})
"""Real Elasticsearch element types that retrievo rejects as "not supported"."""

INDEX_TYPES: tuple[str, ...] = ("hnsw", "int8_hnsw", "int4_hnsw", "flat", "int8_flat", "int4_flat")
"""``index_options.type`` values retrievo implements."""

UNSUPPORTED_INDEX_TYPES: frozenset[str] = frozenset({"bbq_hnsw", "bbq_flat", "bbq_disk"})
"""Real Elasticsearch index types that retrievo rejects as "not supported" (no BBQ)."""

DEFAULT_M = 16  # Lucene99HnswVectorsFormat.DEFAULT_MAX_CONN
DEFAULT_EF_CONSTRUCTION = 100  # Lucene99HnswVectorsFormat.DEFAULT_BEAM_WIDTH
MAX_M = 512  # Lucene99HnswVectorsFormat.MAXIMUM_MAX_CONN
MAX_BEAM_WIDTH = 3200  # Lucene99HnswVectorsFormat.MAXIMUM_BEAM_WIDTH
DEFAULT_OVERSAMPLE = 3.0  # DenseVectorFieldMapper.DEFAULT_OVERSAMPLE
OVERSAMPLE_LIMIT = 10_000  # DenseVectorFieldMapper.OVERSAMPLE_LIMIT: cap on ceil(k * oversample)
BBQ_DIMS_DEFAULT_THRESHOLD = 384

_QUANTIZED_BITS = {"int8_hnsw": 8, "int8_flat": 8, "int4_hnsw": 4, "int4_flat": 4}


def float32_json(value: float) -> float:
    """A Java ``float`` as Jackson writes it: the shortest decimal that reads back as the same
    float32 (``0.9`` rather than ``0.8999999761581421``)."""
    return float(str(np.float32(value)))


def _java_float_text(value: float | None) -> str:
    """``String.valueOf(Float)``, for the ``toString`` of index options in merge conflicts."""
    if value is None:
        return "null"
    text = str(np.float32(value))
    return text if "." in text or "e" in text or "n" in text else text + ".0"


@dataclass(frozen=True)
class IndexOptions:
    """One resolved ``index_options`` object.

    ``m``/``ef_construction`` are set for the HNSW types, ``confidence_interval`` only when given
    (``int4_*`` resolve it to ``0.0``, "dynamic", as Elasticsearch does), ``oversample`` is the
    mapping-level ``rescore_vector.oversample`` of the quantised types (``None`` when absent).
    """

    type: str
    m: int | None = None
    ef_construction: int | None = None
    confidence_interval: float | None = None
    oversample: float | None = None

    @property
    def is_hnsw(self) -> bool:
        return self.type.endswith("hnsw")

    @property
    def is_quantized(self) -> bool:
        return self.type in _QUANTIZED_BITS

    @property
    def bits(self) -> int | None:
        """Scalar quantisation bits (8 or 4), ``None`` for unquantised types."""
        return _QUANTIZED_BITS.get(self.type)

    def to_json(self) -> dict[str, Any]:
        """As ``GET _mapping`` shows it (each ES ``IndexOptions.toXContent``)."""
        body: dict[str, Any] = {"type": self.type}
        if self.is_hnsw:
            body["m"] = self.m
            body["ef_construction"] = self.ef_construction
        if self.confidence_interval is not None:
            body["confidence_interval"] = float32_json(self.confidence_interval)
        if self.oversample is not None:
            body["rescore_vector"] = {"oversample": float32_json(self.oversample)}
        return body

    def java_string(self) -> str:
        """``IndexOptions.toString()``: how Elasticsearch quotes the value in merge conflicts."""
        parts = [f"type={self.type}"]
        if self.is_hnsw:
            parts += [f"m={self.m}", f"ef_construction={self.ef_construction}"]
        if self.is_quantized:
            parts.append(f"confidence_interval={_java_float_text(self.confidence_interval)}")
            parts.append(
                "rescore_vector="
                + ("none" if self.oversample is None else f"{{oversample={_java_float_text(self.oversample)}}}")
            )
        return "{" + ", ".join(parts) + "}"

    def updatable_to(self, update: IndexOptions) -> bool:
        """``IndexOptions.updatableTo``: which index type changes a ``PUT _mapping`` may make.

        Graphs may only gain connections (``m`` never shrinks); quantised types keep their
        confidence interval; flat types may become anything denser.
        """
        if self.type == "flat":
            return True
        if self.type == "int8_flat":
            return update.type in ("int8_flat", "hnsw", "int8_hnsw", "int4_hnsw", "int4_flat")
        if self.type == "int4_flat":
            return update.type in ("int4_flat", "hnsw", "int8_hnsw", "int4_hnsw")
        more_links = update.m is not None and self.m is not None and update.m >= self.m
        if self.type == "hnsw":
            return update.type in ("hnsw", "int8_hnsw", "int4_hnsw") and more_links
        if self.type == "int8_hnsw":
            if update.type == "int8_hnsw":
                return more_links and (
                    self.confidence_interval is None or self.confidence_interval == update.confidence_interval
                )
            return update.type == "int4_hnsw" and more_links
        if self.type == "int4_hnsw":
            return update.type == "int4_hnsw" and more_links and self.confidence_interval == update.confidence_interval
        return False

    @staticmethod
    def from_json(body: Mapping[str, Any]) -> IndexOptions:
        """Builds options from already-valid ``index_options`` JSON (no Elasticsearch messages:
        the mapping parser validates user input). Missing graph parameters get the defaults."""
        kind = str(body["type"])
        if kind not in INDEX_TYPES:
            raise ValueError(f"unknown vector index type [{kind}]")
        hnsw = kind.endswith("hnsw")
        ci = body.get("confidence_interval")
        if ci is None and kind.startswith("int4"):
            ci = 0.0
        rescore = body.get("rescore_vector")
        return IndexOptions(
            type=kind,
            m=int(body.get("m", DEFAULT_M)) if hnsw else None,
            ef_construction=int(body.get("ef_construction", DEFAULT_EF_CONSTRUCTION)) if hnsw else None,
            confidence_interval=None if ci is None else float(ci),
            oversample=None if not rescore else float(rescore["oversample"]),
        )


def default_index_options(element_type: str, dims: int | None, indexed: bool) -> IndexOptions | None:
    """What Elasticsearch 9.x uses when ``index_options`` is omitted (see the module docstring).

    ``None`` for ``byte`` fields, unindexed fields, and fields whose ``dims`` are not known yet
    (ES delays the choice until the first vector sets them).
    """
    if element_type != "float" or not indexed or dims is None:
        return None
    if dims >= BBQ_DIMS_DEFAULT_THRESHOLD:
        return IndexOptions("int8_hnsw", DEFAULT_M, DEFAULT_EF_CONSTRUCTION, oversample=DEFAULT_OVERSAMPLE)
    return IndexOptions("int8_hnsw", DEFAULT_M, DEFAULT_EF_CONSTRUCTION)


def effective_index_options(options: IndexOptions | None) -> IndexOptions:
    """The structure actually built when the mapping has no options (``byte`` fields): Lucene's
    default format, plain HNSW with m 16 and ef_construction 100."""
    return options if options is not None else IndexOptions("hnsw", DEFAULT_M, DEFAULT_EF_CONSTRUCTION)


def rescore_count(k: int, oversample: float | None) -> int:
    """``min(ceil(k * oversample), 10000)``: how many quantised candidates are rescored."""
    if oversample is None or oversample <= 0:
        return k
    return max(k, min(math.ceil(k * oversample), OVERSAMPLE_LIMIT))
