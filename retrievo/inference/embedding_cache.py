"""Batched, deduplicated, cached text embedding: the one path every embedding goes through.

Search-time code embeds the same strings over and over (a query text per search, the same
documents across re-indexing, repeated chunks), so every ``text_embedding`` call is routed through
:class:`EmbeddingPipeline`:

1. inputs are deduplicated within the call;
2. each distinct text is looked up in a bounded LRU keyed by ``(endpoint key, variant, text)``
   (``variant`` separates e.g. query and document prompts of one model);
3. the misses are sorted by length (similar lengths pad less) and sent to the model in batches of
   the endpoint's ``batch_size`` -- one ``encode`` call per batch;
4. results are stored as read-only float32 rows and assembled back in input order.

The endpoint key includes a per-endpoint serial number, so an endpoint deleted and re-created under
the same id never sees the old model's vectors; deletion also evicts its entries.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .lru import LruStore

DEFAULT_CACHE_ENTRIES = 32_768

EncodeFn = Callable[[list[str]], np.ndarray]


@dataclass
class EmbeddingStats:
    """Counters since the pipeline was created (``hits``/``misses`` count distinct texts per call)."""

    hits: int = 0
    misses: int = 0
    deduplicated: int = 0  # repeated texts within one call, served from the first occurrence
    model_calls: int = 0  # encode() invocations, one per batch
    texts_encoded: int = 0
    evictions: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class EmbeddingPipeline(LruStore):
    """Dedupe -> LRU lookup -> length-sorted batches -> store; thread-safe."""

    max_entries: int = DEFAULT_CACHE_ENTRIES
    stats: EmbeddingStats = field(default_factory=EmbeddingStats)

    def __post_init__(self) -> None:
        if self.max_entries < 0:
            raise ValueError("max_entries must be >= 0")
        self._entries: OrderedDict[tuple[Hashable, str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def embed(
        self, namespace: Hashable, variant: str, texts: Sequence[str], encode: EncodeFn, batch_size: int
    ) -> np.ndarray:
        """Embeddings of ``texts`` as a float32 ``(len(texts), dims)`` array, in input order."""
        unique: dict[str, int] = {}
        for text in texts:
            unique.setdefault(text, len(unique))
        found: dict[str, np.ndarray] = {}
        with self._lock:
            self.stats.deduplicated += len(texts) - len(unique)
            for text in unique:
                row = self._entries.get((namespace, variant, text))
                if row is not None:
                    self._entries.move_to_end((namespace, variant, text))
                    found[text] = row
            self.stats.hits += len(found)
            self.stats.misses += len(unique) - len(found)
        missing = sorted((t for t in unique if t not in found), key=len, reverse=True)
        for start in range(0, len(missing), max(batch_size, 1)):
            batch = missing[start : start + batch_size]
            vectors = np.asarray(encode(batch), dtype=np.float32)
            if vectors.ndim != 2 or vectors.shape[0] != len(batch):
                raise RuntimeError(f"encoder returned shape {vectors.shape} for {len(batch)} inputs")
            with self._lock:
                self.stats.model_calls += 1
                self.stats.texts_encoded += len(batch)
                for text, row in zip(batch, vectors):
                    row = row.copy()
                    row.setflags(write=False)
                    found[text] = row
                    self._store((namespace, variant, text), row)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([found[t] for t in texts]).astype(np.float32, copy=False)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {**self.stats.as_dict(), "entries": len(self._entries), "max_entries": self.max_entries}
