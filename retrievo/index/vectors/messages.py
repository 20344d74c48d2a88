"""Elasticsearch's ``dense_vector`` validation messages, shared by document parsing (mapping layer)
and query-vector checks (vector index). Only text is built here; callers choose the error type.

Messages follow ``DenseVectorFieldMapper.Element`` (9.x): ``checkVectorErrors`` (NaN, infinity,
byte range and decimals), ``checkVectorMagnitude`` (``dot_product`` unit length, ``cosine`` zero
magnitude, float overflow), each followed by a preview of the first five elements.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from retrievo.index.vectors.scoring import is_unit_length, squared_magnitude
from retrievo.java_text import java_float_str

__all__ = ["dimension_mismatch", "java_float_str", "magnitude_error", "preview", "vector_error"]


def _element_text(value: float | int, as_int: bool) -> str:
    return str(int(value)) if as_int else java_float_str(value)


def preview(values: Sequence[float] | np.ndarray, as_int: bool = False) -> str:
    """``appendErrorElements``: `` Preview of invalid vector: [a, b, c, d, e, ...]`` (first five,
    ``, ...`` once the vector has five or more elements). ``as_int`` prints bytes."""
    shown = ", ".join(_element_text(v, as_int) for v in list(values)[:5])
    more = ", ..." if len(values) >= 5 else ""
    return f" Preview of invalid vector: [{shown}{more}]"


def vector_error(values: np.ndarray, element_type: str) -> str | None:
    """``checkVectorErrors`` on float values: the first NaN or infinity, then for ``byte`` the first
    decimal or out-of-range value. Returns the message without the preview, or ``None``."""
    values = np.asarray(values, dtype=np.float32)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        index = int(bad[0])
        if np.isnan(values[index]):
            return f"element_type [{element_type}] vectors do not support NaN values but found [NaN] at dim [{index}];"
        return (
            f"element_type [{element_type}] vectors do not support infinite values but found "
            f"[{java_float_str(values[index])}] at dim [{index}];"
        )
    if element_type != "byte":
        return None
    bad = np.flatnonzero((values % 1.0 != 0.0) | (values < -128) | (values > 127))
    if not bad.size:
        return None
    index = int(bad[0])
    value = values[index]
    if value % 1.0 != 0.0:
        return (
            f"element_type [byte] vectors only support non-decimal values but found decimal value "
            f"[{java_float_str(value)}] at dim [{index}];"
        )
    return (
        f"element_type [byte] vectors only support integers between [-128, 127] but found "
        f"[{java_float_str(value)}] at dim [{index}];"
    )


def magnitude_error(values: np.ndarray, similarity: str | None, element_type: str) -> str | None:
    """``checkVectorMagnitude``: float overflow, ``dot_product`` float vectors of non-unit length,
    ``cosine`` vectors of zero magnitude. Message without the preview, or ``None``."""
    squared = squared_magnitude(values)
    if element_type == "float":
        if not np.isfinite(squared):
            return (
                "NaN or Infinite magnitude detected, this usually means the vector values are too "
                "extreme to fit within a float."
            )
        if similarity == "dot_product" and not is_unit_length(squared):
            return "The [dot_product] similarity can only be used with unit-length vectors."
    if similarity == "cosine" and float(np.sqrt(squared)) == 0.0:
        return "The [cosine] similarity does not support vectors with zero magnitude."
    return None


def dimension_mismatch(query_dims: int, field_dims: int) -> str:
    """``Element.checkDimensions`` for a query vector."""
    return (
        f"The query vector has a different number of dimensions [{query_dims}] than the document "
        f"vectors [{field_dims}]."
    )
