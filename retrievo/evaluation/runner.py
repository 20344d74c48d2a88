"""Evaluate one search template over a collection with ``_rank_eval``.

The template is an ordinary search body (``{"retriever": {...}}``, ``{"query": {...}}``) with the
string ``"{{query_string}}"`` wherever the query text goes. It becomes a mustache template of a
``_rank_eval`` request -- exactly what one would send to Elasticsearch -- with one rated request per
query, its ratings taken from the collection's qrels. Mustache JSON-escapes ``{{query_string}}``,
so queries with quotes, backslashes or newlines stay valid JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from retrievo.errors import illegal_argument
from retrievo.evaluation.collections import Collection

PLACEHOLDER = "{{query_string}}"
TEMPLATE_ID = "query"

#: BM25 over the default mapping's two text fields: a template to start from.
BM25_TEMPLATE: dict[str, Any] = {
    "retriever": {"standard": {"query": {"multi_match": {"query": PLACEHOLDER, "fields": ["title", "text"]}}}}
}


def template_source(template: Mapping[str, Any] | str) -> str:
    """The template as mustache source text; it must contain the ``"{{query_string}}"`` placeholder."""
    if isinstance(template, str):
        source = template
    elif isinstance(template, Mapping):
        source = json.dumps(template, ensure_ascii=False, separators=(",", ":"))
    else:
        raise illegal_argument(f"[template] must be a search body object, found [{type(template).__name__}]")
    if PLACEHOLDER not in source:
        raise illegal_argument(f'[template] must contain the placeholder ["{PLACEHOLDER}"] where the query text goes')
    return source


def rank_eval_body(
    *,
    index: str,
    template: Mapping[str, Any] | str,
    collection: Collection,
    metric: Mapping[str, Any],
    query_ids: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The ``_rank_eval`` body :func:`run_template` sends: one templated request per query.

    ``query_ids`` defaults to every query with judgements; an id the collection does not have is
    an error (a typo would otherwise silently shrink the evaluation)."""
    ids = list(query_ids) if query_ids is not None else collection.judged_query_ids()
    unknown = [qid for qid in ids if qid not in collection.queries]
    if unknown:
        raise illegal_argument(f"unknown query id(s) {unknown[:10]} in [query_ids]: the collection has no such queries")
    if not ids:
        raise illegal_argument("no queries to evaluate: the collection has no judged queries")
    requests = [
        {
            "id": qid,
            "template_id": TEMPLATE_ID,
            "params": {"query_string": collection.queries[qid]},
            "ratings": [
                {"_index": index, "_id": doc_id, "rating": rating}
                for doc_id, rating in collection.qrels.get(qid, {}).items()
            ],
        }
        for qid in ids
    ]
    return {
        "templates": [{"id": TEMPLATE_ID, "template": {"source": template_source(template)}}],
        "requests": requests,
        "metric": dict(metric),
    }


def run_template(
    engine: Any,
    *,
    index: str,
    template: Mapping[str, Any] | str,
    collection: Collection,
    metric: Mapping[str, Any],
    query_ids: list[str] | None = None,
) -> dict[str, Any]:
    """Run ``template`` for the collection's queries through ``engine.rank_eval`` and return its
    response: ``metric_score`` (the mean), ``details`` per query id and ``failures``."""
    body = rank_eval_body(index=index, template=template, collection=collection, metric=metric, query_ids=query_ids)
    response = engine.rank_eval(index=index, body=body)
    return dict(getattr(response, "body", response))  # the client's ObjectApiResponse, as plain JSON
