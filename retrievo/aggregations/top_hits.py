"""The ``top_hits`` aggregation: each bucket's best documents, printed as a search's ``hits`` object.

Elasticsearch runs a small top-N collection per bucket (``TopHitsAggregator``) with the search's query
scores: by score descending unless ``sort`` is given (the document id breaks ties, as Lucene's collectors
do), ``from``/``size`` paging (default 0/3), ``hits.total`` the bucket's document count (always exact), and
``_score``/``max_score`` printed only when the order is by score or ``track_scores`` asks for them. The
fetch options ``_source``, ``stored_fields``, ``seq_no_primary_term``, ``version``, ``fields``,
``docvalue_fields``, ``highlight`` and ``explain`` behave as on the search (``SubSearchContext``: the
aggregation's own fetch context). The search's ``fields`` and ``docvalue_fields`` reach these hits too
unless ``top_hits`` names its own list, which then replaces the search's (YAML ``fetch fields``); a
``top_hits`` field entry's ``include_unmapped`` is read and dropped, as ``TopHitsAggregationBuilder``
drops it. ``highlight`` and ``explain`` work on the search's query, and every hit carries the search's
named queries it matches (``matched_queries``). ``script_fields`` is refused (no scripting), never
silently ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from retrievo.aggregations import params as p
from retrievo.aggregations.base import AggContext, Aggregation, AggResult, HitPart
from retrievo.errors import illegal_argument, not_supported, parsing_error
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import failed_field, unknown_field, unsupported_token, x_content
from retrievo.grammar.json.highlight import parse_highlight
from retrievo.grammar.json.sort import parse_sort
from retrievo.grammar.json.stored_fields import parse_stored_fields
from retrievo.index.ip_values import encode_ip
from retrievo.lucene.sorting import sort_candidates
from retrievo.response import es_float, filter_source
from retrievo.retrievers.fetch_source import shown_source
from retrievo.retrievers.highlight import Highlight
from retrievo.retrievers.search import FieldAndFormat, SourceFilter, StoredFields
from retrievo.retrievers.sort import SortField

#: (doc, query score) → ``_shard``, ``_node`` and ``_explanation``.
Explainer = Callable[[int, float], dict[str, Any]]
#: ``index.max_inner_result_window``'s default: ``from + size`` above it is refused.
MAX_INNER_RESULT_WINDOW = 100
_KEYS = (
    "from",
    "size",
    "sort",
    "_source",
    "track_scores",
    "stored_fields",
    "seq_no_primary_term",
    "version",
    "explain",
    "highlight",
    "fields",
    "docvalue_fields",
)
#: Fetch options retrievo does not run, with the default value that may pass.
_REFUSED: dict[str, Any] = {"script_fields": None}
_FIELD_AND_FORMAT = "fetch_field_and_format"
_FIELD_AND_FORMAT_KEYS = ("field", "format", "include_unmapped")


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
    #: ``explain``: each hit shows ``_shard``, ``_node`` and the search query's ``_explanation``.
    explain: bool = False
    #: ``fields`` / ``docvalue_fields`` (``None``: the search's own list).
    fields: tuple[FieldAndFormat, ...] | None = None
    docvalue_fields: tuple[FieldAndFormat, ...] | None = None
    #: ``highlight``: fragments of the hits' fields around what the search's query matched.
    highlight: Highlight | None = None

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
        own_fields, highlight, explain = self._hit_options(ctx)
        options = ctx.hit_options
        named = options.matched_queries if options is not None and ctx.nested_scope is None else None
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
            read = own_fields(doc, source) if own_fields is not None else fetched
            found = read.get("fields", {})
            fields = {**stored(source), **found} if stored is not None else found
            if fields:
                hit["fields"] = fields
            if read.get("ignored_field_values"):
                hit["ignored_field_values"] = read["ignored_field_values"]
            if highlight is not None:
                hit.update(highlight(doc, source))
            if sort_values is not None:
                hit["sort"] = sort_values[rank]
            if named is not None and (matched := named(doc)):
                hit["matched_queries"] = matched
            if explain is not None:  # ``_shard``/``_node`` lead the hit, as ``SearchHit`` prints them
                hit = {**explain(doc, float(scores[pos])), **hit}
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

    def _hit_options(self, ctx: AggContext) -> tuple[HitPart | None, HitPart | None, Explainer | None]:
        """The readers of this aggregation's own ``fields``/``docvalue_fields``, ``highlight`` and
        ``explain`` (``None`` where it asks for none); refused under a ``nested`` aggregation, whose hits
        are nested objects the search's query and fetch do not run on here."""
        asked = {
            "fields": self.fields is not None,
            "docvalue_fields": self.docvalue_fields is not None,
            "highlight": self.highlight is not None,
            "explain": self.explain,
        }
        for key, given in asked.items():
            if given and ctx.nested_scope is not None:
                raise not_supported(f"[{key}] in a [top_hits] aggregation under a [nested] aggregation")
            if given and ctx.hit_options is None:  # a caller that runs no fetch phase
                raise not_supported(f"[{key}] in a [top_hits] aggregation of this request")
        options = ctx.hit_options
        if options is None:
            return None, None, None
        own = None
        if self.fields is not None or self.docvalue_fields is not None:
            own = options.fields(self.fields, self.docvalue_fields)
        highlight = options.highlight(self.highlight) if self.highlight is not None else None
        return own, highlight, options.explain if self.explain else None

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
    """``TopHitsAggregationBuilder.parse``: paging, sort, scores and the fetch options."""
    body = p.check_object("top_hits", body)
    for key, value in body.items():
        if key in _REFUSED and value != _REFUSED[key]:
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
    if "explain" in body:
        fields["explain"] = p.boolean("top_hits", "explain", body["explain"])
    if "highlight" in body:
        if not isinstance(body["highlight"], dict):
            raise parsing_error(f"Unknown key for a {jv.token_of(body['highlight'])} in [highlight].")
        fields["highlight"] = parse_highlight(body["highlight"])
    for key in ("fields", "docvalue_fields"):
        if key in body:
            fields[key] = _field_list(key, body[key])
    return TopHits(name=name, **fields)


def _field_list(key: str, value: Any) -> tuple[FieldAndFormat, ...]:
    """``fields`` / ``docvalue_fields``: an array only (a lone name is an unknown key of its token), each
    entry ``FieldAndFormat.fromXContent``; the builder keeps only its field and format."""
    if not isinstance(value, list):
        raise parsing_error(f"Unknown key for a {jv.token_of(value)} in [{key}].")
    out: list[FieldAndFormat] = []
    for element in value:
        entry = _field_and_format(element)
        out.append(FieldAndFormat(field=entry.field, format=entry.format))
    return tuple(out)


def _field_and_format(element: Any) -> FieldAndFormat:
    """One ``fetch_field_and_format`` entry: a name, or an object with ``field`` (required), ``format``
    (a string or null) and ``include_unmapped`` (a boolean)."""
    if jv.is_value(element):
        return FieldAndFormat(field=jv.java_text(element))
    if not isinstance(element, dict):
        raise x_content(f"[{_FIELD_AND_FORMAT}] Expected START_OBJECT but was: {jv.token_of(element)}")
    found: dict[str, Any] = {}
    for name, value in element.items():
        if name not in _FIELD_AND_FORMAT_KEYS:
            raise unknown_field(_FIELD_AND_FORMAT, name, _FIELD_AND_FORMAT_KEYS)
        token = jv.token_of(value)
        allowed = {
            "field": (jv.VALUE_STRING,),
            "format": (jv.VALUE_STRING, jv.VALUE_NULL),
            "include_unmapped": (jv.VALUE_BOOLEAN, jv.VALUE_STRING),
        }[name]
        if token not in allowed:
            raise unsupported_token(_FIELD_AND_FORMAT, name, token)
        if name == "include_unmapped":
            try:
                value = jv.java_bool(value)
            except jv.BadValue as bad:
                raise failed_field(_FIELD_AND_FORMAT, name, bad.cause) from None
        found[name] = value
    if found.get("field") is None:
        raise illegal_argument("Required [field]")
    return FieldAndFormat(
        field=found["field"], format=found.get("format"), include_unmapped=found.get("include_unmapped")
    )


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
