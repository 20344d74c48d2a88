"""Field collapsing: the ``Collapse`` operator and the expansion of each group's ``inner_hits``.

Facts carried over from Elasticsearch (``CollapseBuilder``, ``CollapsingTopDocsCollector``,
``ExpandSearchPhase``, ``SearchService.parseSource``):

* The collapse field must be mapped (``no mapping found for `f` in order to collapse on``), of a type
  with a collapse kind — keyword or numeric — (``collapse is not supported for the field [f] of the
  type [t]``) and single valued in every document collected (``failed to collapse <doc>, the collapse
  field `f` must be single valued``, an ``illegal_state_exception``). Documents without a value
  collapse into one group of their own.
* A group is represented by its best hit in the search's own order (score, or ``sort``), and the
  groups come in the order of their representatives; ``from``/``size`` page over groups, while
  ``hits.total`` counts every matching document.
* ``search_after`` needs the search sorted on the collapse field alone; scrolls are refused. Since
  8.15 a ``rescore`` rescores the collapsed hits: the best hit of each group, then reordered.
* Each ``inner_hits`` is a second search per returned group: the original query restricted to the
  group's value (``must_not exists`` for the null group), paged and sorted on its own, optionally
  collapsed again on a second field. Under a compound retriever the original query is the fused
  ranking plus what any child matched (Elasticsearch's rank-docs query): documents in the fused
  window score their fused score, the others 0.
* Every collapsed hit carries ``fields: {<collapse field>: [value]}`` (``[null]`` for the null group).

retrievo's single shard sees every match, so the operator ranks the whole match set and keeps the
first hit of each group: the same groups, in the same order, as Lucene's collapsing collector.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from retrievo.errors import ApiError, api_error, error_cause, not_supported
from retrievo.index.searcher import Searcher
from retrievo.lucene.sorting import sort_candidates
from retrievo.planner.costs import CostModel, Estimate
from retrievo.planner.operators.base import ExecContext, Operator
from retrievo.planner.planning import PlanningContext, plan_retriever
from retrievo.planner.ranked import Ranked, score_order
from retrievo.response import es_float, filter_source
from retrievo.retrievers.collapse import Collapse, InnerHits
from retrievo.retrievers.fetch_source import shown_source
from retrievo.retrievers.retriever import Retriever
from retrievo.retrievers.search import FieldAndFormat, SearchRequest
from retrievo.retrievers.sort import SortField

KEYWORD_TYPES = frozenset({"keyword", "constant_keyword"})
INTEGER_TYPES = frozenset({"long", "integer", "short", "byte", "unsigned_long"})
FLOAT_TYPES = frozenset({"double", "float", "half_float", "scaled_float"})
#: ``track_total_hits`` of each expand search (Elasticsearch's default: its inner hits do not set one).
TRACK_TOTAL_HITS = 10_000
_SEARCH_AFTER_SORT = (
    "Cannot use [collapse] in conjunction with [search_after] unless the search is sorted on the same field. "
    "Multiple sort fields are not allowed."
)


def shard_error(index: str, error_type: str, reason: str, status: int) -> ApiError:
    """A failure on the one shard: ``search_phase_execution_exception`` around ``cause``, with the
    status of the cause (an ``IllegalArgumentException`` is 400, a ``SearchException`` 500)."""
    cause = error_cause(error_type, reason)
    return api_error(
        "search_phase_execution_exception",
        "all shards failed",
        status=status,
        caused_by=dict(cause),
        root_cause=[dict(cause)],
        phase="query",
        grouped=True,
        failed_shards=[{"shard": 0, "index": index, "node": "retrievo", "reason": dict(cause)}],
    )


def check_field(s: Searcher, field: str | None) -> str:
    """``CollapseBuilder.build``: the field's type must have a collapse kind. Returns the field type."""
    if field is None:
        raise shard_error(s.index_name, "illegal_argument_exception", "no collapse field specified", 400)
    fi = s.field_info(field)
    if fi is None:
        raise shard_error(
            s.index_name, "illegal_argument_exception", f"no mapping found for `{field}` in order to collapse on", 400
        )
    if fi.type == "date" or fi.type == "date_nanos":
        raise not_supported(f"[collapse] on the [{fi.type}] field [{field}]")
    if fi.type not in KEYWORD_TYPES | INTEGER_TYPES | FLOAT_TYPES:
        raise shard_error(
            s.index_name,
            "illegal_argument_exception",
            f"collapse is not supported for the field [{field}] of the type [{fi.type}]",
            400,
        )
    return fi.type


def check_request(
    s: Searcher, spec: Collapse, sort: tuple[SortField, ...], search_after: tuple[Any, ...] | None
) -> None:
    """The shard's checks of a collapsing search, in Elasticsearch's order."""
    # SearchAfterBuilder.buildFieldDoc: after its value-count check (left to the sort itself)
    counted = search_after is not None and bool(sort) and len(search_after) == len(sort)
    if counted and (len(sort) > 1 or sort[0].field != spec.field):
        raise shard_error(s.index_name, "illegal_argument_exception", _SEARCH_AFTER_SORT, 400)
    check_field(s, spec.field)
    for inner in spec.inner_hits:
        if inner.collapse is not None:
            check_field(s, inner.collapse.field)


def group_values(s: Searcher, field: str, docs: np.ndarray) -> list[Any]:
    """The collapse value of each of ``docs`` (``None``: no value), as the hit's ``fields`` shows it.
    A document with several values fails the search, as Lucene's collapsing collector does."""
    ftype = check_field(s, field)
    n = s.max_doc
    if ftype in KEYWORD_TYPES:
        inv = s.inverted(field)
        if inv is None or not inv.terms:
            return [None] * int(docs.size)
        names = np.empty(len(inv.terms), dtype=object)
        names[list(inv.terms.values())] = list(inv.terms.keys())
        tids = np.repeat(np.arange(len(inv.terms)), np.diff(inv.offsets))
        counts = np.bincount(inv.docs, minlength=n)
        value_of = np.full(n, -1, dtype=np.int64)
        value_of[inv.docs] = tids
        _single_valued(s.index_name, field, docs, counts)
        return [None if t < 0 else str(names[t]) for t in value_of[docs].tolist()]
    col = s.numeric(field)
    if col is None:
        return [None] * int(docs.size)
    counts = np.bincount(col.docs, minlength=n)
    _single_valued(s.index_name, field, docs, counts)
    present = counts[docs] > 0
    values = np.zeros(n, dtype=col.values.dtype)
    values[col.docs] = col.values
    cast: Callable[[Any], Any] = int if ftype in INTEGER_TYPES else float
    return [cast(v) if p else None for v, p in zip(values[docs].tolist(), present.tolist())]


def _single_valued(index: str, field: str, docs: np.ndarray, counts: np.ndarray) -> None:
    many = docs[counts[docs] > 1]
    if many.size:
        reason = f"failed to collapse {int(many.min())}, the collapse field `{field}` must be single valued"
        raise shard_error(index, "illegal_state_exception", reason, 500)


def first_of_each(values: list[Any], limit: int) -> list[int]:
    """Positions of the first occurrence of each value, in order, at most ``limit`` of them."""
    seen: set[Any] = set()
    keep: list[int] = []
    for i, value in enumerate(values):
        key = (value is None, type(value) is str, value)
        if key in seen:
            continue
        seen.add(key)
        keep.append(i)
        if len(keep) >= limit:
            break
    return keep


@dataclass(frozen=True)
class CollapseRun:
    """What one run of :class:`Collapse` leaves for the expand phase: every document the query matched
    with its score, and each kept hit's group value."""

    population: np.ndarray  # int32: every matching document
    scores: np.ndarray  # float32[max_doc]: score of each document (0 outside the ranked window)
    kept_values: list[Any]
    #: The best score of everything ranked, not only of the kept hits (``None``: nothing matched).
    max_score: float | None = None


@dataclass
class CollapseOp(Operator):
    """The first ``k`` groups of the child's ranking on ``spec.field``: one hit per group."""

    child: Operator
    spec: Collapse
    k: int
    name: str = "Collapse"

    def children(self) -> tuple[Operator, ...]:
        return (self.child,)

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.spec.field, "k": self.k}
        if self.spec.inner_hits:
            out["inner_hits"] = [h.name for h in self.spec.inner_hits]
        return out

    def estimate(self, costs: CostModel, inputs: list[Estimate]) -> Estimate:
        inflow = inputs[0].docs_out
        return Estimate(inflow, min(self.k, inflow), work=inflow, exact=False)

    def explain(self, ctx: ExecContext, doc: int, score: float) -> dict[str, Any] | None:
        return self.child.explain(ctx, doc, score)

    def child_score(self, ctx: ExecContext, doc: int) -> float:
        return self.child.child_score(ctx, doc)

    def run(self, ctx: ExecContext) -> Ranked:
        r: Ranked = self.child.execute(ctx)
        s = ctx.searcher
        assert self.spec.field is not None  # checked when planned
        values = group_values(s, self.spec.field, r.docs)
        keep = first_of_each(values, self.k)
        idx = np.asarray(keep, dtype=np.int64)
        best = float(r.scores.max()) if r.scores.size else None
        kept = [values[i] for i in keep]
        if self.spec.inner_hits:
            population = np.flatnonzero(r.matched).astype(np.int32) if r.matched is not None else r.docs
            scores = r.matched_scores
            if scores is None:  # fused: only the ranked window carries scores (the rank docs' scores)
                scores = np.zeros(s.max_doc, dtype=np.float32)
                scores[r.docs] = r.scores
            ctx.trace[self] = CollapseRun(population, scores, kept, best)
        else:
            ctx.trace[self] = CollapseRun(r.docs[:0], np.zeros(0, dtype=np.float32), kept, best)
        return Ranked(
            docs=r.docs[idx] if idx.size else r.docs[:0],
            scores=r.scores[idx] if idx.size else r.scores[:0],
            total=r.total,
            sort_values=[r.sort_values[i] for i in keep] if r.sort_values is not None else None,
            sorted_by_field=r.sorted_by_field,
            terminated_early=r.terminated_early,
            matched=r.matched,
            matched_scores=r.matched_scores,
            fused=r.fused,
        )


def collapsed(child: Operator, spec: Collapse, k: int) -> CollapseOp:
    return CollapseOp(child, spec, k)


def top_collapse(root: Operator) -> CollapseOp | None:
    """The collapse that shapes the response: the first one down the single-child chain from the root,
    above any compound (an operator ranking into a window of its own: fusion, reranker, ``rescorer``
    retriever). A collapse below one only chose that child's hits, as in Elasticsearch, where the
    child's search and its expansion stay inside the compound's rewrite."""
    op: Operator | None = root
    while op is not None:
        if isinstance(op, CollapseOp):
            return op
        kids = op.children()
        op = kids[0] if len(kids) == 1 and op.window is None else None
    return None


def overall_max_score(root: Operator, ctx: ExecContext) -> float | None:
    """``hits.max_score`` of a collapsed search paged straight from its collapse: the best score of
    every match, not only of the hits shown (what Elasticsearch reports with ``track_scores`` and a
    sort). ``None`` when something (a rescore) reorders the collapsed hits in between."""
    kids = root.children()
    if len(kids) != 1 or not isinstance(kids[0], CollapseOp):
        return None
    run = ctx.trace.of(kids[0], CollapseRun)
    return None if run is None or run.max_score is None else es_float(run.max_score)


# ------------------------------------------------------------------------------------ expand phase

#: Builds the ``fields`` fetcher of an inner hit: ``(fields) -> fetch(doc_id, source) -> fields dict``.
FieldsFetcher = Callable[[tuple[FieldAndFormat, ...] | None], Callable[[str, dict[str, Any]], dict[str, Any]]]


def expand_hits(
    op: CollapseOp,
    ctx: ExecContext,
    hits: list[dict[str, Any]],
    docs: list[int],
    fetcher: FieldsFetcher,
    stored: StoredReader,
) -> None:
    """Add ``fields.<collapse field>`` and each ``inner_hits`` to the response's hits (in place).
    ``docs`` are the hits' documents; ``hits`` may be a page of the kept groups; ``stored`` reads an
    inner hit's ``stored_fields``."""
    run: CollapseRun | None = ctx.trace.of(op, CollapseRun)
    if run is None or not hits:
        return
    s = ctx.searcher
    field = op.spec.field
    assert field is not None
    values = group_values(s, field, np.asarray(docs, dtype=np.int32))
    for hit, value in zip(hits, values):
        hit.setdefault("fields", {})[field] = [value]
    if not op.spec.inner_hits:
        return
    pop_values = group_values(s, field, run.population)
    groups: dict[Any, list[int]] = {}
    for doc, value in zip(run.population.tolist(), pop_values):
        groups.setdefault((value is None, type(value) is str, value), []).append(doc)
    fetchers = [_with_stored(fetcher(inner.fields), inner, stored) for inner in op.spec.inner_hits]
    for hit, value in zip(hits, values):
        members = np.asarray(groups.get((value is None, type(value) is str, value), []), dtype=np.int32)
        hit["inner_hits"] = {
            inner.name: {"hits": _inner_search(s, inner, members, run.scores, fetch)}
            for inner, fetch in zip(op.spec.inner_hits, fetchers)
        }


#: Stored field names → a reader of their values from a document's source.
StoredReader = Callable[[tuple[str, ...]], Callable[[Any], dict[str, Any]]]


def _with_stored(
    fetch: Callable[[str, dict[str, Any]], dict[str, Any]], inner: InnerHits, stored: StoredReader
) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    """An inner hit's ``fields`` fetcher with its named ``stored_fields`` in front."""
    names = inner.stored_fields.names if inner.stored_fields is not None and inner.stored_fields.fetch else ()
    if not names:
        return fetch
    read = stored(names)
    return lambda doc_id, source: {**read(source), **fetch(doc_id, source)}


def _inner_search(
    s: Searcher,
    inner: InnerHits,
    members: np.ndarray,
    scores: np.ndarray,
    fetch: Callable[[str, dict[str, Any]], dict[str, Any]],
) -> dict[str, Any]:
    """One group's expand search: ``{total, max_score, hits}``."""
    member_scores = scores[members] if members.size else np.zeros(0, dtype=np.float32)
    by_field = any(f.field != "_score" for f in inner.sort)
    sort_values: list[list[Any]] | None = None
    if inner.sort:
        order, sort_values = sort_candidates(s, inner.sort, members, member_scores, None)
    else:
        order = score_order(members, member_scores, s.tie_order)
    ranked = members[order]
    if inner.collapse is not None and inner.collapse.field is not None:
        second = group_values(s, inner.collapse.field, ranked)
        keep = first_of_each(second, len(second))
        ranked = ranked[np.asarray(keep, dtype=np.int64)] if keep else ranked[:0]
        second = [second[i] for i in keep]
        if sort_values is not None:
            sort_values = [sort_values[i] for i in keep]
    show_score = not by_field or inner.track_scores
    page = slice(inner.from_, inner.from_ + inner.size)
    out: list[dict[str, Any]] = []
    source_spec = shown_source(inner.source, inner.stored_fields)
    for pos, doc in enumerate(ranked.tolist()[page], start=inner.from_):
        hit: dict[str, Any] = {"_index": s.index_name, "_id": s.ids[doc]}
        if inner.stored_fields is not None and not inner.stored_fields.fetch:
            del hit["_id"]  # ``stored_fields: _none_``
        if inner.version:
            hit["_version"] = int(s.doc_version_array[doc])
        if inner.seq_no_primary_term:
            hit["_seq_no"], hit["_primary_term"] = int(s.seq_nos[doc]), 1
        hit["_score"] = es_float(float(scores[doc])) if show_score else None
        source = s.source(doc)
        src = filter_source(source, source_spec)
        if src is not None:
            hit["_source"] = src
        fields = fetch(s.ids[doc], source)
        if inner.collapse is not None and inner.collapse.field is not None:
            fields = {**fields, inner.collapse.field: [second[pos]]}
        if fields:
            hit["fields"] = fields
        if sort_values is not None:
            hit["sort"] = sort_values[pos]
        out.append(hit)
    max_score = es_float(float(member_scores.max())) if show_score and members.size else None
    # the expand search tracks totals to Elasticsearch's default of 10,000
    count = int(members.size)
    total = {"value": min(count, TRACK_TOTAL_HITS), "relation": "eq" if count <= TRACK_TOTAL_HITS else "gte"}
    return {"total": total, "max_score": max_score, "hits": out}


def plan_top_level_collapse(request: SearchRequest, r: Retriever, ctx: PlanningContext) -> Operator:
    """The request's retriever planned for ``from + size`` hits; with a top-level ``collapse`` on a
    retriever other than ``standard`` (which collapses itself), for its whole ranking, then collapsed."""
    window = request.from_ + request.size
    spec = request.collapse
    if not isinstance(spec, Collapse):
        return plan_retriever(r, ctx, window, request.min_score)
    check_request(ctx.searcher, spec, (), None)
    body = plan_retriever(r, ctx, max(window, ctx.searcher.max_doc), request.min_score)
    return collapsed(body, spec, window)
