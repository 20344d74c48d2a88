"""The ``terms`` aggregation: one bucket per distinct value, counted over documents (a document with a
value twice counts once), top ``size`` by ``order``; on one shard ``doc_count_error_upper_bound`` is 0
and ``sum_other_doc_count`` is what the cut buckets held."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from retrievo.aggregations import params as p
from retrievo.aggregations.base import AggContext, Aggregation, AggResult
from retrievo.aggregations.decimal_format import compile_decimal_format
from retrievo.aggregations.grouping import Groups
from retrievo.aggregations.ordering import (
    Order,
    check_order_paths,
    needs_subs,
    parse_order,
    sort_buckets,
    with_tiebreak,
)
from retrievo.aggregations.partitions import double_partitions, long_partitions, string_partitions
from retrievo.aggregations.run import finish_buckets
from retrievo.aggregations.values import (
    check_value_type,
    docs_with_value,
    field_kind,
    integer_values,
    keyword_values,
    missing_label_slot,
    numeric_values,
)
from retrievo.errors import error_cause, illegal_argument, not_supported, parsing_error, shard_failure
from retrievo.index.dates import DEFAULT_DATE_FORMAT
from retrievo.index.dates.formatter import format_date_millis

_KEYS = (
    "field",
    "size",
    "shard_size",
    "min_doc_count",
    "shard_min_doc_count",
    "order",
    "missing",
    "include",
    "exclude",
    "show_term_doc_count_error",
    "execution_hint",
    "collect_mode",
    "format",
    "value_type",
)


@dataclass(frozen=True)
class IncludeExclude:
    """``include``/``exclude``: regular expressions (string fields only), sets of exact values (parsed
    as the field's values: numbers, dates), or a hash partition (``include: {partition, num_partitions}``).

    Regular expressions run on Python's ``re`` (full match): Lucene's ``RegExp`` syntax is the same for
    ordinary patterns (literals, classes, ``.``, ``*``, ``+``, ``?``, ``|``, groups, ``{n,m}``); Lucene's
    extensions (``@``, ``&``, ``~``, ``<n-m>``) are not read as Lucene reads them."""

    include_re: str | None = None
    exclude_re: str | None = None
    include_values: tuple[Any, ...] | None = None
    exclude_values: tuple[Any, ...] | None = None
    partition: int | None = None
    num_partitions: int | None = None

    @property
    def is_regex(self) -> bool:
        return self.include_re is not None or self.exclude_re is not None

    def keep_strings(self, keys: list[str]) -> np.ndarray:
        ok = np.ones(len(keys), dtype=bool)
        if self.include_re is not None:
            rx = re.compile(self.include_re)
            ok &= np.fromiter((rx.fullmatch(k) is not None for k in keys), bool, len(keys))
        if self.include_values is not None:
            allowed = {str(v) for v in self.include_values}
            ok &= np.fromiter((k in allowed for k in keys), bool, len(keys))
        if self.exclude_re is not None:
            rx = re.compile(self.exclude_re)
            ok &= np.fromiter((rx.fullmatch(k) is None for k in keys), bool, len(keys))
        if self.exclude_values is not None:
            banned = {str(v) for v in self.exclude_values}
            ok &= np.fromiter((k not in banned for k in keys), bool, len(keys))
        if self.partition is not None and self.num_partitions is not None:
            ok &= string_partitions(keys, self.num_partitions) == self.partition
        return ok

    def keep_numbers(self, keys: np.ndarray, parse: Callable[[Any], float | int], integral: bool) -> np.ndarray:
        ok = np.ones(keys.size, dtype=bool)
        if self.include_values is not None:
            ok &= np.isin(keys, np.array([parse(v) for v in self.include_values], dtype=keys.dtype))
        if self.exclude_values is not None:
            ok &= ~np.isin(keys, np.array([parse(v) for v in self.exclude_values], dtype=keys.dtype))
        if self.partition is not None and self.num_partitions is not None:
            parts = (
                long_partitions(keys, self.num_partitions) if integral else double_partitions(keys, self.num_partitions)
            )
            ok &= parts == self.partition
        return ok


@dataclass(frozen=True)
class TermsShard:
    """One index's terms as the coordinator receives them (``InternalTerms`` on the wire): its bucket
    type, the cut it applied, the documents of the buckets it left out; ``unmapped`` for a field the
    index does not map (``UnmappedTerms``)."""

    type_key: str
    cut: int
    other: int
    unmapped: bool = False


@dataclass(frozen=True, kw_only=True)
class Terms(Aggregation):
    field: str | None = None
    size: int = 10
    min_doc_count: int = 1
    order: tuple[Order, ...] = (Order("_count", False), Order("_key", True))
    missing: Any = None
    include_exclude: IncludeExclude | None = None
    show_term_doc_count_error: bool = False
    format: str | None = None
    #: ``value_type``: how an unmapped field's ``missing`` value is read (a mapped field's type wins).
    value_type: str | None = None
    #: The per-shard cut and count floor, which only a search over several indices applies (-1: unset).
    shard_size: int = -1
    shard_min_doc_count: int = 0

    type_name: ClassVar[str] = "terms"
    type_key: ClassVar[str] = "sterms"
    accepts_subs: ClassVar[bool] = True

    def collect(self, ctx: AggContext, docs: np.ndarray) -> AggResult:
        check_order_paths(ctx.index_name, self.order, self.subs)
        kind = field_kind(ctx, self.field) if self.field is not None else None
        if kind is None and self.value_type is not None and self.missing is not None:
            if self.value_type == "ip":
                raise not_supported("[value_type: ip] with [missing] in a [terms] aggregation over an unmapped field")
            return self._unmapped_missing(ctx, self.value_type, docs)
        if kind is None:  # ``UnmappedTerms``: it never leads a multi-index reduce
            return self.empty_result("sterms", unmapped=ctx.reducible)
        check_value_type(ctx, self.field, self.value_type)
        if kind == "other":
            fi = ctx.searcher.field_info(self.field or "")
            raise p.type_error(self.field or "", fi.type if fi else "", "terms", ctx.index_name)
        pair_docs, pair_keys, labels = self._pairs(ctx, kind, docs, distinct=False)
        groups = Groups(pair_docs, pair_keys)
        keys, counts = groups.keys, groups.counts
        if self.min_doc_count == 0:
            all_docs = np.flatnonzero(ctx.searcher.live).astype(np.int32)
            _, every, all_labels = self._pairs(ctx, kind, all_docs, with_missing=False)
            every = np.unique(every)
            if kind == "keyword" and labels is not None and all_labels is not None and labels.size != all_labels.size:
                every = np.searchsorted(labels, all_labels[every])  # ordinals after the inserted missing term
            extra = np.setdiff1d(every, keys)
            keys = np.concatenate([keys, extra])
            counts = np.concatenate([counts, np.zeros(extra.size, dtype=counts.dtype)])
        keep = counts >= (min(self.shard_min_doc_count, self.min_doc_count) if ctx.reducible else self.min_doc_count)
        if self.include_exclude is not None:
            keep &= self._included(ctx, kind, keys, labels)
        keys, counts = keys[keep], counts[keep]

        def bucket_of(i: int) -> tuple[Any, dict[str, Any], np.ndarray]:
            k = keys[i]
            members = groups.members(k) if self.subs else pair_docs[:0]  # only sub-aggregations read them
            key = self._key(kind, k.item(), labels)
            body: dict[str, Any] = {"key": key}
            shown = self._key_as_string(kind, key, ctx)
            if shown is not None:
                body["key_as_string"] = shown
            body["doc_count"] = int(counts[i])
            if self.show_term_doc_count_error:
                body["doc_count_error_upper_bound"] = 0
            return key, body, members

        orders = with_tiebreak(self.order)
        cut = self.shard_cut() if ctx.reducible else self.size
        if needs_subs(orders):
            chosen = sort_buckets(
                finish_buckets(ctx, self, [bucket_of(i) for i in range(keys.size)]), orders, ctx.index_name
            )
            shown_buckets = chosen[:cut]
            other = sum(b.doc_count for b in chosen[cut:])
        else:
            ranked = self._rank(keys, counts, orders, kind, labels)
            top = ranked[:cut]
            other = int(counts[ranked[cut:]].sum())
            shown_buckets = finish_buckets(ctx, self, [bucket_of(int(i)) for i in top])
        if ctx.reducible:
            partial = TermsShard(self._type_key(kind), cut, int(other))
            return AggResult({"__type__": partial.type_key}, buckets=shown_buckets, partial=partial)
        body = {
            "__type__": self._type_key(kind),
            "doc_count_error_upper_bound": 0,
            "sum_other_doc_count": int(other),
            "buckets": [b.body for b in shown_buckets],
        }
        return AggResult(body, buckets=shown_buckets)

    def shard_cut(self) -> int:
        """How many buckets one index of several returns (``TermsAggregatorFactory``): ``shard_size``, by
        default ``BucketUtils.suggestShardSideQueueSize`` (``size * 1.5 + 10``) unless the order is by
        key, never fewer than ``size`` (``BucketCountThresholds.ensureValidity``)."""
        shard = self.shard_size
        if shard == -1 and self.order[0].key != "_key":
            shard = min(2**31 - 1, int(self.size * 1.5 + 10))
        return max(shard, self.size)

    def _included(self, ctx: AggContext, kind: str, keys: np.ndarray, labels: np.ndarray | None) -> np.ndarray:
        ie = self.include_exclude
        assert ie is not None
        if kind == "keyword":
            return ie.keep_strings([str(self._key(kind, k, labels)) for k in keys.tolist()])
        if ie.is_regex:  # the shard's aggregator supplier refuses it: that shard fails
            reason = (
                f"Aggregation [{self.name}] cannot support regular expression style include/exclude settings as "
                "they can only be applied to string fields. Use an array of values for include/exclude clauses"
            )
            raise shard_failure(ctx.index_name, error_cause("illegal_argument_exception", reason))
        if kind == "double":
            return ie.keep_numbers(keys, lambda v: p.double("terms", "include", v), integral=False)
        return ie.keep_numbers(keys, lambda v: self._long_value(ctx, kind, v), integral=True)

    def _unmapped_missing(self, ctx: AggContext, kind: str, docs: np.ndarray) -> AggResult:
        """An unmapped field with ``value_type`` and ``missing``: every document has the missing value."""
        if kind == "keyword":
            key: Any = str(self.missing)
        elif kind == "double":
            key = p.double("terms", "missing", self.missing)
        else:
            key = self._long_value(ctx, kind, self.missing)
        body: dict[str, Any] = {"key": key}
        shown = self._key_as_string(kind, key, ctx)
        if shown is not None:
            body["key_as_string"] = shown
        body["doc_count"] = int(docs.size)
        raw = [(key, body, docs)] if docs.size >= max(self.min_doc_count, 1) else []
        buckets = finish_buckets(ctx, self, raw)
        if ctx.reducible:
            partial = TermsShard(self._type_key(kind), self.shard_cut(), 0)
            return AggResult({"__type__": partial.type_key}, buckets=buckets, partial=partial)
        out = {
            "__type__": self._type_key(kind),
            "doc_count_error_upper_bound": 0,
            "sum_other_doc_count": 0,
            "buckets": [b.body for b in buckets],
        }
        return AggResult(out, buckets=buckets)

    def empty_result(self, type_key: str, unmapped: bool = False) -> AggResult:
        return AggResult(
            {"__type__": type_key, "doc_count_error_upper_bound": 0, "sum_other_doc_count": 0, "buckets": []},
            buckets=[],
            partial=TermsShard(type_key, self.shard_cut(), 0, unmapped=True) if unmapped else None,
        )

    @staticmethod
    def _type_key(kind: str) -> str:
        return {"keyword": "sterms", "double": "dterms"}.get(kind, "lterms")

    def _pairs(
        self, ctx: AggContext, kind: str, docs: np.ndarray, with_missing: bool = True, distinct: bool = True
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(doc, key) pairs: keys are ordinals (keyword), int64 or float64; ``distinct`` dedupes them and
        sorts them by key then doc (else they come as read, for :class:`Groups` to count)."""
        field = self.field or ""
        labels: np.ndarray | None = None
        if kind == "keyword":
            read = keyword_values(ctx, field, docs)
            assert read is not None
            pdocs, keys, labels = read
            if with_missing and self.missing is not None:
                lacking = docs[~docs_with_value(ctx, field, docs)]
                text, pos = missing_label_slot(ctx, field, labels, self.missing)
                if pos < labels.size and labels[pos] == text:
                    miss_ord = pos
                else:  # a value no document holds: give it its own ordinal in sorted position
                    labels = np.insert(labels.astype(object), pos, text)
                    keys = np.where(keys >= pos, keys + 1, keys)
                    miss_ord = pos
                pdocs = np.concatenate([pdocs, lacking])
                keys = np.concatenate([keys, np.full(lacking.size, miss_ord, dtype=np.int64)])
        elif kind == "double":
            read_f = numeric_values(ctx, field, docs)
            assert read_f is not None
            pdocs, keys = read_f
            if with_missing and self.missing is not None:
                lacking = docs[~docs_with_value(ctx, field, docs)]
                pdocs = np.concatenate([pdocs, lacking])
                keys = np.concatenate([keys, np.full(lacking.size, p.double("terms", "missing", self.missing))])
        else:
            read_i = integer_values(ctx, field, docs)
            assert read_i is not None
            pdocs, keys = read_i
            if with_missing and self.missing is not None:
                lacking = docs[~docs_with_value(ctx, field, docs)]
                pdocs = np.concatenate([pdocs, lacking])
                keys = np.concatenate(
                    [keys, np.full(lacking.size, self._long_value(ctx, kind, self.missing), dtype=np.int64)]
                )
        pdocs = pdocs.astype(np.int32, copy=False)
        keys = keys if kind == "double" else keys.astype(np.int64, copy=False)
        if distinct:
            pdocs, keys = distinct_pairs(pdocs, keys)
        return pdocs, keys, labels

    def _long_value(self, ctx: AggContext, kind: str, value: Any) -> int:
        """A request value (``missing``, ``include``) read as the field's long: booleans 1/0, dates as
        epoch milliseconds in the field's (or the request's) format."""
        if kind == "boolean":
            return 1 if str(value).lower() == "true" else 0
        if kind == "date":
            fi = ctx.searcher.field_info(self.field or "")
            if fi is None:
                from retrievo.index.dates.formatter import parse_date

                return parse_date(value, self.format or DEFAULT_DATE_FORMAT)
            return ctx.searcher.parse_date(fi, value, 0, False, self.format, None)
        return p.integer("terms", "missing", value)

    @staticmethod
    def _key(kind: str, k: Any, labels: np.ndarray | None) -> Any:
        if kind == "keyword":
            assert labels is not None
            return str(labels[int(k)])
        if kind == "double":
            return float(k)
        return int(k)

    def _key_as_string(self, kind: str, key: Any, ctx: AggContext) -> str | None:
        if kind == "boolean":
            return "true" if key else "false"
        if kind in ("long", "double") and self.format is not None:
            return compile_decimal_format(self.format).format(float(key))
        if kind == "date":
            fi = ctx.searcher.field_info(self.field or "")
            fmt = self.format or (fi.date_format if fi else None) or DEFAULT_DATE_FORMAT
            return format_date_millis(int(key), fmt)
        return None

    def _rank(
        self, keys: np.ndarray, counts: np.ndarray, orders: tuple[Order, ...], kind: str, labels: np.ndarray | None
    ) -> np.ndarray:
        """Bucket indexes in order (``_count``/``_key`` orders only), without building the buckets."""
        columns: list[np.ndarray] = []
        for order in orders:
            col = counts.astype(np.float64) if order.key == "_count" else keys.astype(np.float64)
            columns.append(col if order.asc else -col)
        return np.lexsort(tuple(reversed(columns))) if columns else np.arange(keys.size)


def distinct_pairs(docs: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (doc, key) pairs sorted by key then doc: a document counts once per key (exact for
    int64 keys; a sort and a neighbour comparison instead of a 2-D ``np.unique``)."""
    if not docs.size:
        return docs, keys
    order = np.lexsort((docs, keys))
    d, k = docs[order], keys[order]
    first = np.r_[True, (d[1:] != d[:-1]) | (k[1:] != k[:-1])]
    return d[first], k[first]


def _include_exclude(body: dict[str, Any]) -> IncludeExclude | None:
    inc, exc = body.get("include"), body.get("exclude")
    if inc is None and exc is None:
        return None
    if isinstance(exc, dict):
        raise parsing_error("Unknown parameter in Include/Exclude clause: [exclude]")  # partitions only include
    partition: int | None = None
    num_partitions: int | None = None
    if isinstance(inc, dict):
        for key in inc:
            if key not in ("partition", "num_partitions"):
                raise parsing_error(f"Unknown parameter in Include/Exclude clause: {key}")
        if "num_partitions" not in inc:
            raise parsing_error("Missing [num_partitions] parameter for partition-based include")
        if "partition" not in inc:
            raise parsing_error("Missing [partition] parameter for partition-based include")
        partition = p.integer("terms", "partition", inc["partition"])
        num_partitions = p.integer("terms", "num_partitions", inc["num_partitions"])
        if num_partitions < 1:
            raise illegal_argument("[num_partitions] must be >0")
        if partition < 0 or partition >= num_partitions:
            raise illegal_argument("[partition] must be >=0 and < numPartition which is " + str(num_partitions))
        if exc is not None:
            raise illegal_argument("Cannot specify any excludes when using a partition-based include")
        return IncludeExclude(partition=partition, num_partitions=num_partitions)
    return IncludeExclude(
        include_re=inc if isinstance(inc, str) else None,
        exclude_re=exc if isinstance(exc, str) else None,
        include_values=tuple(inc) if isinstance(inc, list) else None,
        exclude_values=tuple(exc) if isinstance(exc, list) else None,
    )


#: ``IncludeExclude.parseInclude``/``parseExclude``, shared with ``significant_terms``.
parse_include_exclude = _include_exclude


def parse_terms(name: str, body: Any) -> Terms:
    body = p.check_object("terms", body)
    fields: dict[str, Any] = {}
    p.check_keys("terms", body, _KEYS)
    p.require_field(body)
    if "value_type" in body:
        fields["value_type"] = p.value_type("terms", body["value_type"])
    if "field" in body:
        fields["field"] = p.string("terms", "field", body["field"])
    if "size" in body:
        size = p.integer("terms", "size", body["size"])
        if size <= 0:
            raise p.setter_error("terms", "size", f"[size] must be greater than 0. Found [{size}] in [{name}]")
        fields["size"] = size
    if "shard_size" in body:  # one index: the shard's cut is the final cut; several: each index's cut
        shard_size = p.integer("terms", "shard_size", body["shard_size"])
        if shard_size <= 0:
            raise p.setter_error(
                "terms", "shard_size", f"[shardSize] must be greater than 0. Found [{shard_size}] in [{name}]"
            )
        fields["shard_size"] = shard_size
    for key in ("min_doc_count", "shard_min_doc_count"):
        if key in body:
            count = p.integer("terms", key, body[key])
            if count < 0:
                java_name = "minDocCount" if key == "min_doc_count" else "shardMinDocCount"
                raise p.setter_error(
                    "terms", key, f"[{java_name}] must be greater than or equal to 0. Found [{count}] in [{name}]"
                )
            fields[key] = count
    if "order" in body:
        fields["order"] = parse_order("terms", body["order"])
    if "missing" in body:
        fields["missing"] = body["missing"]
    if "show_term_doc_count_error" in body:
        fields["show_term_doc_count_error"] = p.boolean(
            "terms", "show_term_doc_count_error", body["show_term_doc_count_error"]
        )
    if "format" in body:
        fields["format"] = p.string("terms", "format", body["format"])
    if "collect_mode" in body and body["collect_mode"] not in ("depth_first", "breadth_first"):
        raise illegal_argument(f"Unknown collect_mode [{body['collect_mode']}]")
    fields["include_exclude"] = _include_exclude(body)
    return Terms(name=name, **fields)
