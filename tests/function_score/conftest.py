"""Helpers the function_score-family tests share, imported by name (``from tests.function_score.conftest
import ...``): the index fixture they all build the same way, and the float a client reads back."""

from __future__ import annotations

from typing import Any

import numpy as np

from retrievo import Engine


def indexed(index: str, properties: dict[str, Any], docs: dict[str, dict[str, Any]]) -> Engine:
    """A fresh engine with one index of these field mappings holding the documents (by id), refreshed."""
    engine = Engine()
    engine.indices.create(index=index, mappings={"properties": properties})
    for doc_id, doc in docs.items():
        engine.index(index=index, id=doc_id, document=doc)
    engine.indices.refresh(index=index)
    return engine


def f32(x: float) -> float:
    """A double rounded to float, as the client reads Elasticsearch's printed float back (shortest digits)."""
    return float(str(np.float32(x)))
