"""The ``dense_vector`` index: options and defaults (:mod:`.options`), exact float32 scoring
(:mod:`.scoring`), Elasticsearch's validation messages (:mod:`.messages`) and the FAISS-backed
per-field index (:mod:`.field`: :class:`VectorFieldWriter`, :class:`VectorField`).

Only :mod:`.field` imports FAISS, and only when it is first used (``from retrievo.index.vectors
import VectorField``), so parsing mappings never loads the vector library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from retrievo.index.vectors.field import VectorField, VectorFieldWriter

__all__ = ["VectorField", "VectorFieldWriter"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from retrievo.index.vectors import field

        return getattr(field, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
