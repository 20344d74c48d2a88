"""The ``combined_fields`` query: text searched over several fields as if they were one (BM25F).

Kept apart from :mod:`retrievo.retrievers.queries` because it compiles to its own Lucene query
(``lucene/combined_fields.py``) rather than to per-field queries combined afterwards.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from retrievo.retrievers.base import drop_defaults
from retrievo.retrievers.queries import Msm, Query


class CombinedFieldsQuery(Query):
    """``fields`` keep their ``^weight`` as written; weights are at least 1 (checked when parsed)."""

    kind: ClassVar[str] = "combined_fields"
    query: str
    fields: tuple[str, ...] = ()
    operator: Literal["or", "and"] = "or"
    minimum_should_match: Msm = None
    zero_terms_query: Literal["none", "all"] = "none"
    auto_generate_synonyms_phrase_query: bool = True

    def to_json(self) -> dict[str, Any]:
        body = drop_defaults(
            {
                "query": self.query,
                "fields": list(self.fields),
                "operator": self.operator,
                "minimum_should_match": self.minimum_should_match,
                "zero_terms_query": self.zero_terms_query,
                "auto_generate_synonyms_phrase_query": self.auto_generate_synonyms_phrase_query,
            },
            {"operator": "or", "zero_terms_query": "none", "auto_generate_synonyms_phrase_query": True},
        )
        return {"combined_fields": {**body, **self._common()}}
