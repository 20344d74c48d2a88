"""The ``sparse_vector`` query (Elasticsearch's ``SparseVectorQueryBuilder``) as an AST node.

Either ``query_vector`` (token → weight, kept in the order given) or ``query`` text that the
``inference_id`` endpoint (or a ``semantic_text`` field's own endpoint) expands into tokens. ``prune``
and ``pruning_config`` stay ``None`` when not given: the field's ``index_options`` decide then.
"""

from __future__ import annotations

from typing import Any, ClassVar

from retrievo.retrievers.base import Node
from retrievo.retrievers.queries import Query

__all__ = ["SparsePruning", "SparseVectorQuery", "TextExpansionQuery", "WeightedTokensQuery"]


class SparsePruning(Node):
    """A query's ``pruning_config`` (``TokenPruningConfig``): float32 thresholds, checked by the parser."""

    kind: ClassVar[str] = "pruning_config"
    tokens_freq_ratio_threshold: float = 5.0
    tokens_weight_threshold: float = 0.4000000059604645  # 0.4f
    only_score_pruned_tokens: bool = False

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "tokens_freq_ratio_threshold": self.tokens_freq_ratio_threshold,
            "tokens_weight_threshold": self.tokens_weight_threshold,
        }
        if self.only_score_pruned_tokens:
            body["only_score_pruned_tokens"] = True
        return body


class SparseVectorQuery(Query):
    """``sparse_vector``: Σ weight × the document's (truncated) feature value over the query tokens."""

    kind: ClassVar[str] = "sparse_vector"
    field: str
    query_vector: tuple[tuple[str, float], ...] | None = None
    inference_id: str | None = None
    query: str | None = None
    prune: bool | None = None
    pruning_config: SparsePruning | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"field": self.field}
        if self.query_vector is not None:
            body["query_vector"] = dict(self.query_vector)
        else:
            if self.inference_id is not None:
                body["inference_id"] = self.inference_id
            body["query"] = self.query
        if self.prune is not None:
            body["prune"] = self.prune
        if self.pruning_config is not None:
            body["pruning_config"] = self.pruning_config.to_json()
        return {"sparse_vector": {**body, **self._common()}}


class WeightedTokensQuery(Query):
    """``weighted_tokens`` (deprecated in Elasticsearch 8.15, still parsed by 9): a ``sparse_vector`` field
    scored by the given tokens, pruned only when the query has a ``pruning_config`` (the field's
    ``index_options`` play no part)."""

    kind: ClassVar[str] = "weighted_tokens"
    field: str
    tokens: tuple[tuple[str, float], ...]
    pruning_config: SparsePruning | None = None

    def to_json(self) -> dict[str, Any]:
        pruning = None if self.pruning_config is None else self.pruning_config.to_json()
        return self._field_json(self.field, {"tokens": dict(self.tokens), "pruning_config": pruning})


class TextExpansionQuery(Query):
    """``text_expansion`` (deprecated, replaced by ``sparse_vector``): ``model_text`` expanded by the
    ``model_id`` endpoint, then ``weighted_tokens`` with a ``pruning_config``, else a ``bool`` of ``term``
    queries boosted by the token weights."""

    kind: ClassVar[str] = "text_expansion"
    field: str
    model_id: str
    model_text: str
    pruning_config: SparsePruning | None = None

    def to_json(self) -> dict[str, Any]:
        pruning = None if self.pruning_config is None else self.pruning_config.to_json()
        return self._field_json(
            self.field, {"model_text": self.model_text, "model_id": self.model_id, "pruning_config": pruning}
        )
