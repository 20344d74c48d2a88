"""The ``top_hits`` aggregation: each bucket's best documents, printed as a search's ``hits`` object.

Elasticsearch runs a small top-N collection per bucket (``TopHitsAggregator``) with the search's query
scores: by score descending unless ``sort`` is given (the document id breaks ties, as Lucene's collectors
do), ``from``/``size`` paging (default 0/3), ``hits.total`` the bucket's document count (always exact), and
``_score``/``max_score`` printed only when the order is by score or ``track_scores`` asks for them. The
fetch options ``_source``, ``fields``, ``stored_fields``, ``seq_no_primary_term`` and ``version`` behave as
on the search; the rest of the fetch phase's options (``highlight``, ``explain``,
``docvalue_fields``, ``script_fields``) are refused unless given their default, never silently ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from retrievo.aggregations import params as p
from retrievo.aggregations.base import AggContext, Aggregation, AggResult
from retrievo.errors import illegal_argument, not_supported, parsing_error
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.sort import parse_sort
from retrievo.grammar.json.stored_fields import parse_stored_fields
from retrievo.index.ip_values import encode_ip
from retrievo.lucene.sorting import sort_candidates
from retrievo.response import es_float, filter_source
from retrievo.retrievers.fetch_source import shown_source
from retrievo.retrievers.search import SourceFilter, StoredFields
from retrievo.retrievers.sort import SortField

#: ``index.max_inner_result_window``'s default: ``from + size`` above it is refused.
MAX_INNER_RESULT_WINDOW = 100
_KEYS = ("from", "size", "sort", "_source", "track_scores", "stored_fields", "seq_no_primary_term", "version")
#: Fetch options retrievo does not run, with the default value that may pass.
_REFUSED: dict[str, Any] = {
    "explain": False,
    "docvalue_fields": None,
    "script_fields": None,
    "highlight": None,
    "fields": None,
}


@dataclass(frozen=True, kw_only=True)
class TopHits(Aggregation):
    """``top_hits``: ``size`` documents of the bucket from ``from`` on, in ``sort`` order (score by default)."""

    from_: int = 0
    size: int = 3
    sort: tuple[SortField, ...] = ()
    source: SourceFilter | None = None
    track_scores: bool = False
    #: ``stored_fields``: fields mapped with ``store: true`` (``_none_``: hits without ``_id``/``_source``).
    stored_fields: StoredFields | None = None
    #: ``seq_no_primary_term``: each hit shows ``_seq_no`` and ``_primary_term``.
    seq_no_primary_term: bool = False
    #: ``version``: each hit shows its document's ``_version``.
    version: bool = False

    type_name: ClassVar[str] = "top_hits"
    type_key: ClassVar[str] = "top_hits"

    def collect(self, ctx: AggContext, docs: np.ndarray) -> AggResult:
        if self.from_ + self.size > MAX_INNER_RESULT_WINDOW:
            raise illegal_argument(
                f"Top hits result window is too large, the top hits aggregator [{self.name}]'s from + size must be "
                f"less than or equal to: [{MAX_INNER_RESULT_WINDOW}] but was [{self.from_ + self.size}]. This limit "
                "can be set by changing the [index.max_inner_result_window] index level setting."
            )
        s = ctx.searcher
        all_scores = ctx.scores if ctx.scores is not None else np.zeros(s.max_doc, dtype=np.float32)
        scores = all_scores[docs] if docs.size else np.zeros(0, dtype=np.float32)
        by_score = not self.sort or all(f.field == "_score" for f in self.sort)
        sort_values: list[list[Any]] | None = None
        if self.sort:
            order, sort_values = sort_candidates(s, self.sort, docs, scores, None)
        else:
            order = np.lexsort((docs, -scores.astype(np.float64)))
        show_score = by_score or self.track_scores
        source_spec = shown_source(self.source, self.stored_fields)
        stored = _stored_reader(ctx, self.stored_fields)
        if self.seq_no_primary_term and ctx.nested_scope is not None:
            raise not_supported("[seq_no_primary_term] in a [top_hits] aggregation under a [nested] aggregation")
        if self.version and ctx.nested_scope is not None:
            raise not_supported("[version] in a [top_hits] aggregation under a [nested] aggregation")
        hits: list[dict[str, Any]] = []
        ranked_scores: list[float] = []
        # One index of several answers its first ``from + size`` hits; the reduce pages the merge.
        first = 0 if ctx.reducible else self.from_
        # ``sort_values`` follow the sorted order: rank ``r`` holds the values of ``docs[order[r]]``.
        for rank in range(first, min(self.from_ + self.size, int(order.size))):
            pos = int(order[rank])
            doc = int(docs[pos])
            score = es_float(float(scores[pos])) if show_score else None
            hit: dict[str, Any] = {"_index": ctx.index_name, "_id": s.ids[doc], "_score": score}
            # The search's fetch (``fields``, metadata) applies to these hits too; ``_source`` is this
            # aggregation's own: the whole document unless ``top_hits`` filters it.
            fetched = ctx.fetch_hit(doc, score) if ctx.fetch_hit is not None else {}
            hit.update((k, v) for k, v in fetched.items() if k not in ("_index", "_id", "_score", "_source", "fields"))
            if self.stored_fields is not None and not self.stored_fields.fetch:
                del hit["_id"]  # ``_none_``: no stored field at all, ``_id`` included
            if self.version:
                hit["_version"] = int(s.doc_version_array[doc])
            if self.seq_no_primary_term:
                hit["_seq_no"], hit["_primary_term"] = int(s.seq_nos[doc]), 1
            source = s.source(doc)
            if source is not None:
                filtered = filter_source(source, source_spec)
                if filtered is not None:
                    hit["_source"] = filtered
            fields = {**stored(source), **fetched.get("fields", {})} if stored is not None else fetched.get("fields")
            if fields:
                hit["fields"] = fields
            if sort_values is not None:
                hit["sort"] = sort_values[rank]
            hits.append(hit)
            ranked_scores.append(float(scores[pos]))
        max_score = es_float(float(scores.max())) if show_score and scores.size else None
        body = {"hits": {"total": {"value": int(docs.size), "relation": "eq"}, "max_score": max_score, "hits": hits}}
        if not ctx.reducible:
            return AggResult(body, {})
        partial: dict[str, Any] = {"scores": ranked_scores, "max": float(scores.max()) if scores.size else None}
        if self.sort:  # what the reduce merges the shards' hits on
            partial["sort_keys"] = self._merge_keys(ctx, docs, scores, sort_values or [])[: len(hits)]
        return AggResult(body, {}, partial=partial)

    def _merge_keys(
        self, ctx: AggContext, docs: np.ndarray, scores: np.ndarray, shown: list[list[Any]]
    ) -> list[list[Any]]:
        """Each ranked hit's sort values as the coordinator compares them (``TopDocs.merge`` reads the
        shard's raw sort values, not the printed ones): a date sort's ``format`` left out (millis or
        nanos), an ip as its encoded bytes."""
        s = ctx.searcher
        values = shown
        if any(getattr(spec, "format", None) is not None for spec in self.sort):
            raw = tuple(spec.model_copy(update={"format": None}) for spec in self.sort)
            _, values = sort_candidates(s, raw, docs, scores, None)
        ips = [i for i, spec in enumerate(self.sort) if (info := s.field_info(spec.field)) and info.type == "ip"]
        out: list[list[Any]] = []
        for row in values[: self.from_ + self.size]:
            keys = list(row)
            for i in ips:
                keys[i] = None if keys[i] is None else encode_ip(str(keys[i]))
            out.append(keys)
        return out


def _stored_reader(ctx: AggContext, stored: StoredFields | None) -> Callable[[Any], dict[str, Any]] | None:
    """``source → {field: values}`` of the named stored fields, or ``None`` when none are named."""
    if stored is None or not stored.fetch or not stored.names:
        return None
    if ctx.stored_fields is None or ctx.nested_scope is not None:
        raise not_supported("[stored_fields] in a [top_hits] aggregation under a [nested] aggregation")
    return ctx.stored_fields(stored.names)


def _patterns(key: str, value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not isinstance(item, str):
            raise parsing_error(f"Unknown key for a {jv.token_of(item)} in [{key}].")
    return tuple(dict.fromkeys(items))


def parse_source(value: Any) -> SourceFilter:
    """``FetchSourceContext.fromXContent`` (the search's own parser lives above this package, in the
    grammar that imports the aggregation registry, so it cannot be imported from here)."""
    if isinstance(value, bool):
        return SourceFilter(enabled=value)
    if isinstance(value, (str, list)):
        return SourceFilter(includes=_patterns("_source", value))
    if not isinstance(value, dict):
        raise parsing_error(
            f"Expected one of [VALUE_BOOLEAN, VALUE_STRING, START_ARRAY, START_OBJECT] but found [{jv.token_of(value)}]"
        )
    found: dict[str, tuple[str, ...]] = {}
    for key, patterns in value.items():
        target = {"includes": "includes", "include": "includes", "excludes": "excludes", "exclude": "excludes"}.get(key)
        if target is None or not isinstance(patterns, (str, list)):
            raise parsing_error(f"Unknown key for a {jv.token_of(patterns)} in [{key}].")
        found[target] = _patterns(key, patterns)
    return SourceFilter(includes=found.get("includes", ()), excludes=found.get("excludes", ()))


def _non_negative(name: str, key: str, value: int) -> int:
    if value < 0:
        raise illegal_argument(f"[{key}] must be greater than or equal to 0. Found [{value}] in [{name}]")
    return value


def parse_top_hits(name: str, body: Any) -> TopHits:
    """``TopHitsAggregationBuilder.parse``: paging, sort, ``_source`` and ``track_scores``."""
    body = p.check_object("top_hits", body)
    for key, value in body.items():
        if key in _REFUSED and value != _REFUSED[key] and not (_REFUSED[key] is False and value == "false"):
            raise not_supported(f"[{key}] in a [top_hits] aggregation")
    p.check_keys("top_hits", {k: v for k, v in body.items() if k not in _REFUSED}, _KEYS + tuple(_REFUSED))
    fields: dict[str, Any] = {}
    if "from" in body:
        fields["from_"] = _non_negative(name, "from", p.integer("top_hits", "from", body["from"]))
    if "size" in body:
        fields["size"] = _non_negative(name, "size", p.integer("top_hits", "size", body["size"]))
    if "sort" in body:
        fields["sort"] = parse_sort(body["sort"])
    if "_source" in body:
        fields["source"] = parse_source(body["_source"])
    if "track_scores" in body:
        fields["track_scores"] = p.boolean("top_hits", "track_scores", body["track_scores"])
    if "stored_fields" in body:
        fields["stored_fields"] = parse_stored_fields("stored_fields", body["stored_fields"])
    if "seq_no_primary_term" in body:
        fields["seq_no_primary_term"] = p.boolean("top_hits", "seq_no_primary_term", body["seq_no_primary_term"])
    if "version" in body:
        fields["version"] = p.boolean("top_hits", "version", body["version"])
    return TopHits(name=name, **fields)


def totals_as_int(aggregations: Any) -> Any:
    """``rest_total_hits_as_int`` inside an ``aggregations`` object: Elasticsearch prints every
    ``top_hits``' ``hits.total`` as a number too (the same ``SearchHits`` printing), at any depth."""
    if isinstance(aggregations, list):
        return [totals_as_int(item) for item in aggregations]
    if not isinstance(aggregations, dict):
        return aggregations
    out = {key: totals_as_int(value) for key, value in aggregations.items()}
    hits = aggregations.get("hits")
    if (
        isinstance(hits, dict)
        and isinstance(hits.get("total"), dict)
        and "relation" in hits["total"]
        and isinstance(hits.get("hits"), list)
    ):
        out["hits"] = {**hits, "total": hits["total"]["value"]}
    return out
