"""Query vectors computed once per search, per (inference endpoint, text).

A hybrid search often embeds the same text several times: a ``knn`` retriever with a
``query_vector_builder``, a ``semantic`` query on a ``semantic_text`` field using the same endpoint,
the same search inside two branches. :class:`SharedQueryVectors` wraps the search's embedder so that
each (endpoint, text) pair is embedded by the first operator that needs it; later ones — on any
thread — get the same vector (or the same error). The registry's own cache would usually catch the
repeat too, but only while the entry survives eviction and at the price of a lookup and a copy; this
makes "once per search" a property of the plan.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from retrievo.inference.protocols import Embedder
from retrievo.planner.children import OnceResults


class SharedQueryVectors:
    """An embedder that embeds each (endpoint, text) once, for one search."""

    def __init__(self, embed: Embedder) -> None:
        self._embed = embed
        self._once = OnceResults()

    def __call__(self, inference_id: str, text: str) -> np.ndarray:
        vector: np.ndarray = self._once.get((inference_id, text), partial(self._embed, inference_id, text))
        return vector
