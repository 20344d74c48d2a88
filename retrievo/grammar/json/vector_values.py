"""The values every kNN syntax shares: a query vector, a ``text_embedding`` query vector builder and
``rescore_vector``, read with Elasticsearch's messages.

The ``knn`` retriever and top-level section (:mod:`.knn`), the ``knn`` query (:mod:`.knn_query`) and the
``diversify`` retriever read them alike. They live apart from the parsers so that the ``knn`` query,
which the query dispatch imports, does not import the retriever parsers (which import the dispatch).
"""

from __future__ import annotations

from typing import Any

from retrievo.errors import error_cause, illegal_argument, not_supported
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import x_content
from retrievo.grammar.json.objects import float_field, parse_object, string_field
from retrievo.retrievers.knn import TextEmbeddingBuilder

#: The tokens a ``query_vector`` may start with: an array of numbers, or a hex string (byte vectors).
VECTOR_TOKENS = frozenset({jv.START_ARRAY, jv.VALUE_STRING})

_NUMBER_TYPES = frozenset({int, float})


def query_vector(value: Any) -> tuple[float, ...]:
    """A float array, or a hex string (byte vectors) as Elasticsearch accepts it."""
    if isinstance(value, str):
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            raise jv.BadValue(
                error_cause("illegal_argument_exception", f"failed to parse hex string [{value}] as a byte vector")
            ) from None
        return tuple(float(b - 256 if b > 127 else b) for b in raw)
    if _NUMBER_TYPES.issuperset(map(type, value)):  # the common case, checked at C speed
        return tuple(map(float, value))
    out = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise jv.BadValue(
                error_cause("illegal_argument_exception", f"[query_vector] must contain numbers, found [{v}]")
            )
        out.append(float(v))
    return tuple(out)


def text_embedding_body(value: Any) -> tuple[str, dict[str, Any]]:
    """``query_vector_builder``'s one named builder: its name must be ``text_embedding`` (the only
    builder retrievo runs); returns the name and the builder's parsed ``model_id``/``model_text``."""
    if len(value) != 1:
        raise illegal_argument("[query_vector_builder] must contain exactly one builder")
    name, body = next(iter(value.items()))
    if name != "text_embedding":
        raise not_supported(f"[query_vector_builder] [{name}]", "use [text_embedding]")
    return name, parse_object(name, body, {"model_id": string_field(), "model_text": string_field()})


def required(parser: str, parsed: dict[str, Any], names: tuple[str, ...]) -> None:
    """``ConstructingObjectParser``'s ``Required [a, b]`` for the constructor arguments not given."""
    missing = [f for f in names if f not in parsed]
    if missing:
        raise x_content(
            f"[{parser}] failed to parse object",
            cause=error_cause("illegal_argument_exception", f"Required [{', '.join(missing)}]"),
        )


def query_vector_builder(value: Any) -> TextEmbeddingBuilder:
    """``query_vector_builder``: retrievo builds query vectors with ``text_embedding`` only."""
    name, parsed = text_embedding_body(value)
    required(name, parsed, ("model_id", "model_text"))
    return TextEmbeddingBuilder(model_id=parsed["model_id"], model_text=parsed["model_text"])


def rescore_vector(value: Any) -> float:
    """``rescore_vector``: its ``oversample`` (at least 1, or 0 to switch rescoring off)."""
    parsed = parse_object("rescore_vector", value, {"oversample": float_field()})
    required("rescore_vector", parsed, ("oversample",))
    oversample: float = parsed["oversample"]
    if oversample < 1.0 and oversample != 0.0:
        raise illegal_argument(f"[oversample] must be >= 1.0, found [{oversample}]")
    return oversample
