"""OpenSearch's ``rerank`` search response processor (neural-search's ``RerankProcessorFactory``,
``MLOpenSearchRerankProcessor``, ``ByFieldRerankProcessor``).

It is a *response* processor: it sees the page the search returned (``from``/``size`` already
applied) and nothing else. It computes one new score per hit, puts it in ``_score``, sorts the page
by it (descending, Java's stable ``Collections.sort`` with ``Float.compare``: ties keep the order the
search gave) and sets ``max_score`` to the first hit's. A search that matched nothing (total 0) is
left alone.

- ``ml_opensearch`` scores ``(query, document text)`` pairs with an ML Commons model. The query comes
  from the request's ``ext.rerank.query_context`` (``query_text``, or ``query_text_path``: a dotted path
  into the request as OpenSearch prints it); the document text is each of ``context.document_fields``
  read from the hit's ``fields`` or ``_source`` and concatenated without a separator (a list's items
  joined by spaces, a missing field the empty string).
- ``by_field`` takes each hit's score from a numeric ``_source`` field (``target_field``), optionally
  removing it (``remove_target_field``) and keeping the old score under ``previous_score_field``
  (``keep_previous_score``). Every hit is checked before any is changed.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from retrievo.java_order import hashmap_order
from retrievo.java_text import java_str
from retrievo.json_copy import copy_json
from retrievo.opensearch.config_readers import Config, read_bool, read_map, read_string
from retrievo.opensearch.java_errors import JavaFailure, class_cast, illegal_argument, illegal_state
from retrievo.opensearch.search_pipelines import PipelineRequest
from retrievo.opensearch.source_paths import (
    MISSING,
    WrappedList,
    is_numeric,
    object_path,
    remove_from_source,
    split_path,
    to_java_float,
    value_from_source,
)
from retrievo.response import es_float

TYPE = "rerank"
#: Rerank types in ``RerankType`` declaration order (the order "Possible rerank types" lists them).
RERANK_TYPES = ("ml_opensearch", "by_field")
#: ``plugins.neural_search.reranker_max_document_fields`` (a node setting; its default).
MAX_DOCUMENT_FIELDS = 50
#: ``QueryContextSourceFetcher.MAX_QUERY_PATH_STRLEN``.
MAX_QUERY_PATH_LENGTH = 1000
#: ``index.mapping.depth.limit`` as the cluster's settings give it (its default).
MAX_QUERY_PATH_DEPTH = 20


# ---------------------------------------------------------------------------- the factory


def _rerank_type(config: Config) -> str:
    found = [key for key in config.unread() if key in RERANK_TYPES]
    if not found:
        raise illegal_argument(f"No rerank type found. Possible rerank types are: [{', '.join(RERANK_TYPES)}]")
    if len(found) > 1:
        raise illegal_argument(f"Multiple rerank types found: [{', '.join(found)}]. Only one is permitted.")
    return found[0]


def _document_fields(value: Any) -> tuple[str | None, ...]:
    """``DocumentContextSourceFetcher.create``."""
    if not isinstance(value, list):
        raise illegal_argument("document_fields must be a list of field names")
    if not value:
        raise illegal_argument("document_fields must be nonempty")
    if len(value) > MAX_DOCUMENT_FIELDS:
        raise illegal_argument(
            f"document_fields must not contain more than {MAX_DOCUMENT_FIELDS} fields. Configure by setting "
            "plugins.neural_search.reranker_max_document_fields"
        )
    for item in value:
        if item is not None and not isinstance(item, str):
            raise class_cast(item, "java.lang.String")
    return tuple(value)


def create_rerank_processor(tag: str | None, description: str | None, ignore_failure: bool, config: Config) -> Any:
    """``RerankProcessorFactory.create``: the ``context`` is read only for ``ml_opensearch`` (so a
    ``by_field`` processor with a ``context`` is refused as an unsupported parameter), and the keys
    inside the rerank type's object other than the ones read are not checked, as in OpenSearch."""
    kind = _rerank_type(config)
    fields: tuple[str | None, ...] | None = None
    if kind == "ml_opensearch":
        context = read_map(TYPE, tag, config, "context")
        for key in Config(context).unread():
            if key != "document_fields":
                raise illegal_argument(f"unrecognized context field: {key}")
            fields = _document_fields(context[key])
    settings = Config(read_map(TYPE, tag, config, kind))
    if kind == "ml_opensearch":
        model_id = read_string(TYPE, tag, settings, "model_id")
        return MlOpenSearchRerank(TYPE, tag, description, ignore_failure, model_id, fields)
    target = read_string(TYPE, tag, settings, "target_field")
    remove = read_bool(TYPE, tag, settings, "remove_target_field", False)
    keep = read_bool(TYPE, tag, settings, "keep_previous_score", False)
    previous = read_string(TYPE, tag, settings, "previous_score_field", "previous_score")
    return ByFieldRerank(TYPE, tag, description, ignore_failure, target, remove, keep, previous)


# ---------------------------------------------------------------------------- rescoring


def _java_float_compare(a: np.float32, b: np.float32) -> int:
    """``Float.compare``: NaN above everything, ``-0.0`` below ``0.0``."""
    a_nan, b_nan = bool(np.isnan(a)), bool(np.isnan(b))
    if a_nan or b_nan:
        return int(a_nan) - int(b_nan)
    if a != b:
        return -1 if a < b else 1
    return int(not np.signbit(a)) - int(not np.signbit(b))


def _total_value(response: dict[str, Any]) -> int:
    total: Any = response.get("hits", {}).get("total")
    if total is None:  # untracked totals: OpenSearch reads getTotalHits().value() regardless
        raise JavaFailure(
            "null_pointer_exception",
            'Cannot invoke "org.apache.lucene.search.TotalHits.value()" because the return value of '
            '"org.opensearch.search.SearchHits.getTotalHits()" is null',
        )
    return int(total["value"] if isinstance(total, dict) else total)


def _apply_scores(response: dict[str, Any], hits: list[dict[str, Any]], scores: Sequence[np.float32]) -> dict[str, Any]:
    """``RescoringRerankProcessor.rerank``: new scores, the page re-sorted, ``max_score`` the first."""
    if len(hits) != len(scores):
        raise illegal_state("scores and hits are not the same length")

    def descending(x: tuple[np.float32, dict[str, Any]], y: tuple[np.float32, dict[str, Any]]) -> int:
        return _java_float_compare(y[0], x[0])

    ranked = sorted(zip(scores, hits), key=functools.cmp_to_key(descending))
    if not ranked:
        raise JavaFailure("array_index_out_of_bounds_exception", "Index 0 out of bounds for length 0")
    new_hits = [{**hit, "_score": es_float(score)} for score, hit in ranked]
    hits_obj = dict(response["hits"])
    hits_obj["max_score"] = es_float(ranked[0][0])
    hits_obj["hits"] = new_hits
    return {**response, "hits": hits_obj}


@dataclass(frozen=True)
class MlOpenSearchRerank:
    type: str
    tag: str | None
    description: str | None
    ignore_failure: bool
    model_id: str
    #: ``context.document_fields``; ``None`` when the context names none.
    document_fields: tuple[str | None, ...] | None

    def process_response(self, request: PipelineRequest, response: dict[str, Any]) -> dict[str, Any]:
        hits = list(response["hits"]["hits"])
        contexts = None if self.document_fields is None else [self._document_text(hit) for hit in hits]
        query = _query_text(request)
        if _total_value(response) == 0:
            return response
        if contexts is None:
            raise illegal_state(
                'No document context found! Perhaps "context.document_fields" is missing from the pipeline definition?'
            )
        if request.models is None:
            raise illegal_state("no ML models are available to this search")
        if query is None:
            # Decision (OpenSearch's outcome for a JSON null query_text is not pinned down): refused.
            raise illegal_argument("query_text must not be null")
        raw = request.models.rerank_scores(self.model_id, query, contexts) if contexts else np.zeros(0)
        scores = [np.float32(s) for s in np.asarray(raw, dtype=np.float64)]
        return _apply_scores(response, hits, scores)

    def _document_text(self, hit: dict[str, Any]) -> str:
        return "".join(_context_from_hit(hit, name) for name in self.document_fields or ())


def _context_from_hit(hit: dict[str, Any], name: str | None) -> str:
    """``DocumentContextSourceFetcher.contextFromSearchHit``."""
    fields = hit.get("fields")
    if isinstance(fields, dict) and name in fields:
        values = fields[name]
        first = values[0] if isinstance(values, list) and values else None
        return java_str(first)
    source = hit.get("_source")
    if source is not None:
        if name is None:
            raise JavaFailure(
                "null_pointer_exception", 'Cannot invoke "String.split(String)" because "targetField" is null'
            )
        value = value_from_source(source, name)
        if value is not MISSING:
            if isinstance(value, list):
                return " ".join(java_str(item) for item in value)
            return java_str(value)
    return ""


def _query_text(request: PipelineRequest) -> str | None:
    """``QueryContextSourceFetcher.fetchContext`` (it removes ``query_context`` from the request's
    ``ext.rerank``, so a second rerank processor in the same pipeline finds none)."""
    if "rerank" not in request.ext:
        raise JavaFailure(
            "null_pointer_exception",
            'Cannot invoke "org.opensearch.neuralsearch.query.ext.RerankSearchExtBuilder.getParams()" because the '
            'return value of "org.opensearch.neuralsearch.query.ext.RerankSearchExtBuilder.fromExtBuilderList('
            'java.util.List)" is null',
        )
    params = request.ext["rerank"]
    if "query_context" not in params:
        raise illegal_argument("must specify query_context")
    context = params.pop("query_context")
    if not isinstance(context, dict):
        raise illegal_argument("query_context must be a map")
    if "query_text" in context:
        if "query_text_path" in context:
            raise illegal_argument('Cannot specify both "query_text" and "query_text_path"')
        text = context["query_text"]
        if text is not None and not isinstance(text, str):
            raise class_cast(text, "java.lang.String")
        return text
    if "query_text_path" in context:
        path = context["query_text_path"]
        if path is not None and not isinstance(path, str):
            raise class_cast(path, "java.lang.String")
        if path:
            if len(path) > MAX_QUERY_PATH_LENGTH:
                raise illegal_argument(
                    f"query_text_path exceeded the maximum path length of {MAX_QUERY_PATH_LENGTH} characters"
                )
            if len(split_path(path)) > MAX_QUERY_PATH_DEPTH:
                raise illegal_argument(
                    f"query_text_path exceeded the maximum path length of {MAX_QUERY_PATH_DEPTH} nested fields"
                )
        found = object_path(path, request.source_map())
        if not isinstance(found, str):
            raise illegal_argument("query_text_path must point to a string field")
        return found
    raise illegal_argument('Must specify either "query_text" or "query_text_path"')


# ---------------------------------------------------------------------------- by_field


def _as_java_hashmap(value: Any, before: Any) -> Any:
    """``value`` written out from the ``HashMap`` OpenSearch parsed ``before`` into and then changed:
    ``by_field`` re-serialises the hit's source map, so every object's keys come out in Java's
    ``HashMap`` iteration order (the map's history, keys added since included, decides it)."""
    if isinstance(value, dict):
        old = before if isinstance(before, dict) else {}
        history = [*old, *(k for k in value if k not in old)]
        return {k: _as_java_hashmap(value[k], old.get(k)) for k in hashmap_order(history, 16) if k in value}
    if isinstance(value, list):
        old_items = before if isinstance(before, list) else []
        return [_as_java_hashmap(v, old_items[i] if i < len(old_items) else None) for i, v in enumerate(value)]
    return value


def _java_simple_class(value: Any) -> str:
    """``getClass().getSimpleName()`` of a ``_source`` value (``List.of(x)`` is ``List12``)."""
    if isinstance(value, WrappedList):
        return "List12"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, dict):
        return "HashMap"
    if isinstance(value, list):
        return "ArrayList"
    return "String" if isinstance(value, str) else "Object"


@dataclass(frozen=True)
class ByFieldRerank:
    type: str
    tag: str | None
    description: str | None
    ignore_failure: bool
    target_field: str
    remove_target_field: bool
    keep_previous_score: bool
    previous_score_field: str

    def process_response(self, request: PipelineRequest, response: dict[str, Any]) -> dict[str, Any]:
        if _total_value(response) == 0:
            return response
        hits = list(response["hits"]["hits"])
        for hit in hits:
            self._validate(hit)
        scores: list[np.float32] = []
        changed: list[dict[str, Any]] = []
        for hit in hits:
            source = copy_json(hit["_source"])
            scores.append(to_java_float(value_from_source(source, self.target_field)))
            if self.keep_previous_score:
                previous = hit.get("_score")
                source[self.previous_score_field] = es_float(previous) if previous is not None else "NaN"
            if self.remove_target_field:
                remove_from_source(source, self.target_field)
            changed.append({**hit, "_source": _as_java_hashmap(source, hit["_source"])})
        return _apply_scores(response, changed, scores)

    def _validate(self, hit: dict[str, Any]) -> None:
        """``ByFieldRerankProcessor.byFieldSearchHitValidator``."""
        hit_id = hit.get("_id")
        source = hit.get("_source")
        if source is None:
            raise illegal_argument(f"There is no source field to be able to perform rerank on hit [{hit_id}]")
        value = value_from_source(source, self.target_field)
        if value is MISSING:
            raise illegal_argument(f"The field to rerank by is not found at hit [{hit_id}]")
        if not is_numeric(value):
            raise illegal_argument(
                f"The field mapping to rerank by [{java_str(value)}] is not Numerical, instead of type "
                f"[{_java_simple_class(value)}]"
            )
