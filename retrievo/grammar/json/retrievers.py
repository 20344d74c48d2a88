"""Retrievers: ``{"<name>": {...}}`` → a :class:`Retriever`, through one table of parsers.

``parse_retriever`` reproduces ``RetrieverBuilder.parseInnerRetrieverBuilder`` (shape errors are
``parsing_exception``); each retriever body is an ``ObjectParser`` (unknown or ill-typed fields are
``x_content_parse_exception``). :data:`RETRIEVER_PARSERS` is the one place that lists every retriever
retrievo parses; compound retrievers get :func:`parse_retriever` for their children when the table is
built, so no parser module imports this one. :func:`register_retriever` adds to the table at run time
(an extension point for retrievers defined outside retrievo). Names Elasticsearch knows that nobody
has a parser for are ``not_supported``; the did-you-mean of an unknown name draws on both lists.
"""

from __future__ import annotations

from typing import Any

from retrievo.errors import bad_request, error_cause, not_supported, parsing_error
from retrievo.grammar.json.diversify import diversify_parser
from retrievo.grammar.json.errors import suggest
from retrievo.grammar.json.fusion import linear_parser, rrf_parser
from retrievo.grammar.json.knn import parse_knn_retriever
from retrievo.grammar.json.pinned import pinned_parser
from retrievo.grammar.json.random_rerank import random_reranker_parser
from retrievo.grammar.json.rerank import reranker_parser
from retrievo.grammar.json.rescore import rescorer_parser
from retrievo.grammar.json.retriever_common import RetrieverParser
from retrievo.grammar.json.rule import rule_parser
from retrievo.grammar.json.standard import parse_standard
from retrievo.retrievers.retriever import Retriever

#: Retriever names Elasticsearch 9 registers; those without a parser are not_supported.
ES_RETRIEVERS: frozenset[str] = frozenset(
    {
        "standard",
        "knn",
        "rrf",
        "linear",
        "text_similarity_reranker",
        "rescorer",
        "pinned",
        "rule",
        "diversify",
        "random_reranker",
    }
)


def parse_retriever(obj: Any) -> Retriever:
    """Parse one retriever object, dispatching on its single key through :data:`RETRIEVER_PARSERS`."""
    if not isinstance(obj, dict):
        raise parsing_error("retriever malformed, must start with [START_OBJECT]")
    if not obj:
        raise parsing_error("retriever malformed, empty clause found")
    name, body = next(iter(obj.items()))
    if not isinstance(body, dict):
        raise parsing_error(f"[{name}] retriever malformed, no [START_OBJECT] after retriever name")
    parser = RETRIEVER_PARSERS.get(name)
    if parser is None:
        if name in ES_RETRIEVERS:
            raise not_supported(f"[{name}] retriever")
        candidates = ES_RETRIEVERS | RETRIEVER_PARSERS.keys()
        raise bad_request(
            "parsing_exception",
            f"unknown retriever [{name}]{suggest(name, candidates)}",
            caused_by=error_cause("named_object_not_found_exception", f"unknown field [{name}]"),
        )
    retriever = parser(body)
    if len(obj) > 1:
        raise parsing_error(f"[{name}] malformed retriever, expected [END_OBJECT] but found [FIELD_NAME]")
    return retriever


#: Every retriever retrievo parses, by the name it is written under.
RETRIEVER_PARSERS: dict[str, RetrieverParser] = {
    "standard": parse_standard,
    "knn": parse_knn_retriever,
    "rrf": rrf_parser(parse_retriever),
    "linear": linear_parser(parse_retriever),
    "text_similarity_reranker": reranker_parser(parse_retriever),
    "pinned": pinned_parser(parse_retriever),
    "rule": rule_parser(parse_retriever),
    "rescorer": rescorer_parser(parse_retriever),
    "diversify": diversify_parser(parse_retriever),
    "random_reranker": random_reranker_parser(parse_retriever),
}


def register_retriever(name: str, parser: RetrieverParser) -> None:
    """Make ``{"<name>": {...}}`` parse with ``parser(body)``; re-registering replaces it.

    ``parser`` receives the retriever's body (the inner object) and returns the AST node; it
    should raise Elasticsearch-shaped errors (see :mod:`retrievo.grammar.json.objects`).
    """
    if not isinstance(name, str) or not name:
        raise ValueError("a retriever name must be a non-empty string")
    if not callable(parser):
        raise TypeError(f"the parser for retriever [{name}] must be callable")
    RETRIEVER_PARSERS[name] = parser


__all__ = ["ES_RETRIEVERS", "RETRIEVER_PARSERS", "RetrieverParser", "parse_retriever", "register_retriever"]
