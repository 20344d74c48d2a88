"""Single- and multi-bucket aggregations defined by queries or presence: ``filter``, ``filters``
(keyed or anonymous, with an ``other`` bucket) and ``missing``. The queries run through the
``filter_mask`` the search gives the context, so they mean exactly what they mean in ``query``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from retrievo.aggregations import params as p
from retrievo.aggregations.base import AggContext, Aggregation, AggResult, Bucket
from retrievo.aggregations.run import finish_buckets, render_level, run_level
from retrievo.aggregations.values import docs_with_value
from retrievo.errors import illegal_argument, parsing_error
from retrievo.grammar.json.queries import parse_top_level_query


def _matching(ctx: AggContext, query: Any, docs: np.ndarray) -> np.ndarray:
    if ctx.filter_mask is None:
        raise illegal_argument("filter aggregations need the search's query engine")
    mask = ctx.filter_mask(query)
    return docs[mask[docs]]


def single_bucket(ctx: AggContext, agg: Aggregation, docs: np.ndarray) -> AggResult:
    """A single-bucket aggregation's result: ``doc_count`` and the sub-aggregations inline."""
    subs = run_level(ctx, agg.subs, docs) if agg.subs else {}
    body: dict[str, Any] = {"doc_count": int(docs.size)}
    if subs and not ctx.reducible:
        body.update(render_level(ctx, agg.subs, subs))
    count = float(docs.size)  # a bucket order may read ``agg``, ``agg.doc_count`` or ``agg._count``
    return AggResult(
        body,
        values={"value": count, "doc_count": count, "_count": count},
        buckets=[Bucket(key=None, doc_count=int(docs.size), subs=subs, body=body)],
    )


@dataclass(frozen=True, kw_only=True)
class Filter(Aggregation):
    query: Any = None

    type_name: ClassVar[str] = "filter"
    type_key: ClassVar[str] = "filter"
    accepts_subs: ClassVar[bool] = True
    single_bucket: ClassVar[bool] = True

    def collect(self, ctx: AggContext, docs: np.ndarray) -> AggResult:
        return single_bucket(ctx, self, _matching(ctx, self.query, docs))


def parse_filter(name: str, body: Any) -> Filter:
    p.check_object("filter", body)
    return Filter(name=name, query=parse_top_level_query(body))


@dataclass(frozen=True, kw_only=True)
class Missing(Aggregation):
    field: str | None = None

    type_name: ClassVar[str] = "missing"
    type_key: ClassVar[str] = "missing"
    accepts_subs: ClassVar[bool] = True
    single_bucket: ClassVar[bool] = True

    def collect(self, ctx: AggContext, docs: np.ndarray) -> AggResult:
        if self.field is None or ctx.searcher.field_info(self.field) is None:
            return single_bucket(ctx, self, docs)
        return single_bucket(ctx, self, docs[~docs_with_value(ctx, self.field, docs)])


def parse_missing(name: str, body: Any) -> Missing:
    body = p.check_object("missing", body)
    p.check_keys("missing", body, ("field",))
    return Missing(name=name, field=p.string("missing", "field", body["field"]) if "field" in body else None)


@dataclass(frozen=True, kw_only=True)
class Filters(Aggregation):
    #: Named filters (keyed, in name order as Elasticsearch sorts them) or anonymous ones (``None`` names).
    filters: tuple[tuple[str | None, Any], ...] = ()
    keyed: bool = True
    other_bucket: bool = False
    other_bucket_key: str = "_other_"
    #: ``keyed_bucket_in_array``: keyed buckets printed as an array of ``{key: bucket}`` objects, so that
    #: their order (``bucket_sort``) survives JSON parsers that do not keep object order.
    keyed_bucket_in_array: bool = False

    type_name: ClassVar[str] = "filters"
    type_key: ClassVar[str] = "filters"
    accepts_subs: ClassVar[bool] = True

    def collect(self, ctx: AggContext, docs: np.ndarray) -> AggResult:
        raw: list[tuple[Any, dict[str, Any], np.ndarray]] = []
        matched_any = np.zeros(docs.size, dtype=bool)
        for i, (key, query) in enumerate(self.filters):
            if ctx.filter_mask is None:
                raise illegal_argument("filter aggregations need the search's query engine")
            hit = ctx.filter_mask(query)[docs]
            matched_any |= hit
            raw.append((key if key is not None else i, {"doc_count": int(hit.sum())}, docs[hit]))
        if self.other_bucket:
            rest = docs[~matched_any]
            raw.append((self.other_bucket_key, {"doc_count": int(rest.size)}, rest))
        return self.render_buckets(finish_buckets(ctx, self, raw))

    def render_buckets(self, buckets: list[Bucket]) -> AggResult:
        """The finished buckets printed (keyed, keyed in an array, or anonymous): on one index, or
        after the reduce of a search over several."""
        if self.keyed and self.keyed_bucket_in_array:  # an array of one-key objects, in bucket order
            body: dict[str, Any] = {"buckets": [{str(b.key): b.body} for b in buckets]}
        elif self.keyed:
            body = {"buckets": {str(b.key): b.body for b in buckets}}
        else:
            body = {
                "buckets": [
                    ({"key": b.key, **b.body} if isinstance(b.key, str) and self._named else b.body) for b in buckets
                ]
            }
        return AggResult(body, buckets=buckets)

    @property
    def _named(self) -> bool:
        return bool(self.filters) and self.filters[0][0] is not None


def parse_filters(name: str, body: Any) -> Filters:
    """``FiltersAggregationBuilder.parse``: ``filters`` is an object (keyed, sorted by key) or an array."""
    body = p.check_object("filters", body)
    p.check_keys("filters", body, ("filters", "keyed", "keyed_bucket_in_array", "other_bucket", "other_bucket_key"))
    spec = body.get("filters")
    if not spec:
        raise illegal_argument("[filters] cannot be empty.")
    named: tuple[tuple[str | None, Any], ...]
    if isinstance(spec, dict):
        named = tuple((key, parse_top_level_query(spec[key])) for key in sorted(spec))
        keyed = True
    elif isinstance(spec, list):
        named = tuple((None, parse_top_level_query(q)) for q in spec)
        keyed = False
    else:
        raise parsing_error(f"Unknown key for a {type(spec).__name__} in [{name}]: [filters].")
    if "keyed" in body:
        keyed = p.boolean("filters", "keyed", body["keyed"]) and keyed
    other_key = (
        p.string("filters", "other_bucket_key", body["other_bucket_key"]) if "other_bucket_key" in body else None
    )
    other = (
        p.boolean("filters", "other_bucket", body["other_bucket"]) if "other_bucket" in body else other_key is not None
    )
    in_array = (
        p.boolean("filters", "keyed_bucket_in_array", body["keyed_bucket_in_array"])
        if "keyed_bucket_in_array" in body
        else False
    )
    return Filters(
        name=name,
        filters=named,
        keyed=keyed,
        other_bucket=other,
        other_bucket_key=other_key or "_other_",
        keyed_bucket_in_array=in_array,
    )
