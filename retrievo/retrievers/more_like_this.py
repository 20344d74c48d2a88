"""The ``more_like_this`` query: documents like some texts or documents (Lucene's ``MoreLikeThis``).

Kept apart from :mod:`retrievo.retrievers.queries` because it is compiled from the index's own term
statistics (the "interesting" terms of the inputs), not from the analysed query text alone.
"""

from __future__ import annotations

from typing import Any, ClassVar

from retrievo.retrievers.base import Node, drop_defaults
from retrievo.retrievers.queries import Query

#: ``MoreLikeThisQueryBuilder``'s defaults.
DEFAULT_MAX_QUERY_TERMS = 25
DEFAULT_MIN_TERM_FREQ = 2
DEFAULT_MIN_DOC_FREQ = 5
DEFAULT_MAX_DOC_FREQ = 2**31 - 1
DEFAULT_MINIMUM_SHOULD_MATCH = "30%"


class LikeItem(Node):
    """A document to be like (or unlike): one of the index's by ``_id``, or an artificial ``doc``."""

    index: str | None = None
    id: str | None = None
    doc: dict[str, Any] | None = None
    fields: tuple[str, ...] | None = None
    routing: str | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"_index": self.index, "_id": self.id, "doc": self.doc, "routing": self.routing}
        if self.fields is not None:
            body["fields"] = list(self.fields)
        return {k: v for k, v in body.items() if v is not None}


class MoreLikeThisQuery(Query):
    kind: ClassVar[str] = "more_like_this"
    fields: tuple[str, ...] | None = None
    like_texts: tuple[str, ...] = ()
    like_items: tuple[LikeItem, ...] = ()
    unlike_texts: tuple[str, ...] = ()
    unlike_items: tuple[LikeItem, ...] = ()
    max_query_terms: int = DEFAULT_MAX_QUERY_TERMS
    min_term_freq: int = DEFAULT_MIN_TERM_FREQ
    min_doc_freq: int = DEFAULT_MIN_DOC_FREQ
    max_doc_freq: int = DEFAULT_MAX_DOC_FREQ
    min_word_length: int = 0
    max_word_length: int = 0
    stop_words: tuple[str, ...] | None = None
    analyzer: str | None = None
    minimum_should_match: str = DEFAULT_MINIMUM_SHOULD_MATCH
    boost_terms: float = 0.0
    include: bool = False
    fail_on_unsupported_field: bool = True

    def to_json(self) -> dict[str, Any]:
        like: list[Any] = [*self.like_texts, *(i.to_json() for i in self.like_items)]
        unlike: list[Any] = [*self.unlike_texts, *(i.to_json() for i in self.unlike_items)]
        body = drop_defaults(
            {
                "fields": list(self.fields) if self.fields is not None else None,
                "like": like,
                "unlike": unlike or None,
                "max_query_terms": self.max_query_terms,
                "min_term_freq": self.min_term_freq,
                "min_doc_freq": self.min_doc_freq,
                "max_doc_freq": self.max_doc_freq,
                "min_word_length": self.min_word_length,
                "max_word_length": self.max_word_length,
                "stop_words": list(self.stop_words) if self.stop_words is not None else None,
                "analyzer": self.analyzer,
                "minimum_should_match": self.minimum_should_match,
                "boost_terms": self.boost_terms,
                "include": self.include,
                "fail_on_unsupported_field": self.fail_on_unsupported_field,
            },
            {
                "max_query_terms": DEFAULT_MAX_QUERY_TERMS,
                "min_term_freq": DEFAULT_MIN_TERM_FREQ,
                "min_doc_freq": DEFAULT_MIN_DOC_FREQ,
                "max_doc_freq": DEFAULT_MAX_DOC_FREQ,
                "min_word_length": 0,
                "max_word_length": 0,
                "minimum_should_match": DEFAULT_MINIMUM_SHOULD_MATCH,
                "boost_terms": 0.0,
                "include": False,
                "fail_on_unsupported_field": True,
            },
        )
        return {"more_like_this": {**body, **self._common()}}
