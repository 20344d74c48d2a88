"""The ``dense_vector`` index: options and defaults (:mod:`.options`), exact float32 scoring
(:mod:`.scoring`), Elasticsearch's validation messages (:mod:`.messages`) and the FAISS-backed
per-field index: :class:`VectorField` snapshots and their search (:mod:`.field`), their segments and
FAISS structures (:mod:`.segments`), and :class:`VectorFieldWriter` (:mod:`.writer`).

Only :mod:`.field`, :mod:`.segments` and :mod:`.writer` import FAISS, and only when first used
(``from retrievo.index.vectors import VectorField``), so parsing mappings never loads the vector
library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from retrievo.index.vectors.field import VectorField
    from retrievo.index.vectors.writer import VectorFieldWriter

__all__ = ["VectorField", "VectorFieldWriter"]


def __getattr__(name: str) -> Any:
    if name == "VectorField":
        from retrievo.index.vectors import field

        return field.VectorField
    if name == "VectorFieldWriter":
        from retrievo.index.vectors import writer

        return writer.VectorFieldWriter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
