"""The AST → Elasticsearch JSON: the printer half of the JSON front end.

Each AST node knows its own canonical JSON (``Node.to_json``: Elasticsearch's field names, defaults
left out, the short or long form the request was written in kept where the AST records it); this
module is the door the rest of the code uses, so that printers live beside the parsers in
``grammar/`` as parsers and printers for ES|QL do. The contract, checked by the round-trip property
tests, is ``parse(print(ast)) == ast`` and ``print(parse(x)) == x`` for every canonical ``x``.

The printed value is plain JSON-shaped Python (dicts, lists, str, int, float, bool, None): it can be
sent to a real Elasticsearch cluster unchanged, or passed back to :class:`retrievo.Engine`.
"""

from __future__ import annotations

import json
from typing import Any

from retrievo.retrievers.base import Node
from retrievo.retrievers.queries import Query
from retrievo.retrievers.retriever import Retriever
from retrievo.retrievers.search import SearchRequest


def print_query(query: Query) -> dict[str, Any]:
    """``{"<query type>": {...}}`` for one query node."""
    return query.to_json()


def print_retriever(retriever: Retriever) -> dict[str, Any]:
    """``{"<retriever type>": {...}}`` for one retriever node (and its subtree)."""
    return retriever.to_json()


def print_search(request: SearchRequest) -> dict[str, Any]:
    """The search body of a request (the index is the request's path, not part of the body)."""
    return request.to_json()


def print_json(node: Node) -> Any:
    """Any AST node as JSON (queries, retrievers, search requests, sort keys …)."""
    return node.to_json()


def dumps(node: Node, *, indent: int | None = None) -> str:
    """The node as JSON text; key order is the printer's own, which is stable."""
    return json.dumps(node.to_json(), indent=indent, ensure_ascii=False)


__all__ = ["dumps", "print_json", "print_query", "print_retriever", "print_search"]
