"""``inner_hits`` of ``nested`` queries: for each hit, the nested objects that matched.

Elasticsearch collects the inner hit definitions from the search's query (``extractInnerHitBuilders``:
a ``nested`` query with ``inner_hits`` takes the definitions found inside its own query as its
children; one without stops the walk) and, in the fetch phase, runs each definition's inner query
over the nested objects of every hit (``NestedInnerHitSubContext``): a top-docs search, by score
(ties: the objects' order) or by the definition's ``sort``, paged by ``from``/``size``. An inner hit
carries the top-level document's ``_index``/``_id``, ``_nested`` (the path from the parent, with the
object's ``offset``, chained for deeper levels) and the nested object as its ``_source``.

The inner queries are compiled here against each nested level's searcher (``index/nested.py``), the
same way the ``nested`` query compiles them for scoring.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel

from retrievo.errors import bad_request
from retrievo.highlight.fields import Highlighter
from retrievo.highlight.terms import query_leaves
from retrievo.index.fetch_fields import DocNumbers, FieldRequest, HitFetcher, snapshot_numbers
from retrievo.index.mappings import Mappings
from retrievo.index.nested import NestedSources, level_chain, nested_identity, value_at
from retrievo.index.searcher import Searcher
from retrievo.index.shard import Shard
from retrievo.lucene.query import LQuery
from retrievo.lucene.scoring import Evaluator
from retrievo.lucene.sorting import sort_candidates
from retrievo.planner.compile_query import CompileContext, compile_query
from retrievo.planner.explain import explain_query
from retrievo.planner.highlighting import build_highlighter
from retrievo.response import es_float, filter_source
from retrievo.retrievers.highlight import Highlight
from retrievo.retrievers.nested import NestedInnerHits, NestedQuery
from retrievo.retrievers.queries import Query
from retrievo.retrievers.search import FieldAndFormat, SearchRequest, SourceFilter
from retrievo.retrievers.standard import StandardRetriever

__all__ = ["InnerHitSpec", "add_nested_inner_hits", "inner_hit_specs"]

#: ``fetch(doc_id, source) -> fields dict``: a hit's ``fields``/``docvalue_fields`` read from a source.
FetchFields = Callable[[str, dict[str, Any]], dict[str, Any]]


def _requests(entries: tuple[FieldAndFormat, ...] | None) -> list[FieldRequest] | None:
    if entries is None:
        return None
    return [FieldRequest(e.field, e.format, bool(e.include_unmapped)) for e in entries]


def _fields_fetcher(
    mappings: Mappings,
    index: str,
    fields: tuple[FieldAndFormat, ...] | None,
    numbers: DocNumbers,
    docvalue_fields: tuple[FieldAndFormat, ...] | None = None,
) -> FetchFields:
    fetcher = HitFetcher(
        mappings, index, _requests(fields), _requests(docvalue_fields), metadata=False, numbers=numbers
    )
    return lambda doc_id, source: dict(fetcher.fetch(doc_id, source).fields)


@dataclass(frozen=True)
class InnerHitSpec:
    """One nested query's ``inner_hits`` and the definitions found inside its query."""

    query: NestedQuery
    options: NestedInnerHits
    children: tuple[InnerHitSpec, ...]


def _queries_in(node: Any) -> Iterator[Query]:
    """The queries directly held by an AST node (its fields, tuples of them), not descending into them."""
    if isinstance(node, Query):
        yield node
        return
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _queries_in(getattr(node, name))
    elif isinstance(node, (tuple, list)):
        for item in node:
            yield from _queries_in(item)


def _collect(query: Query, names: set[str]) -> tuple[InnerHitSpec, ...]:
    """``InnerHitContextBuilder.extractInnerHits`` over one query tree."""
    if isinstance(query, NestedQuery):
        if query.inner_hits is None:
            return ()
        name = query.inner_hits.name
        if name in names:
            raise bad_request("illegal_argument_exception", f"[inner_hits] already contains an entry for key [{name}]")
        names.add(name)
        return (InnerHitSpec(query, query.inner_hits, _collect(query.query, set())),)
    found: list[InnerHitSpec] = []
    for child in query.children():
        found.extend(_collect(child, names))
    return tuple(found)


def inner_hit_specs(request: SearchRequest) -> tuple[InnerHitSpec, ...]:
    """The request's nested inner hit definitions: those of the search's query, or under a compound
    retriever those of every sub-retriever's queries (Elasticsearch fetches them for every fused hit)."""
    retriever = request.retriever
    if isinstance(retriever, StandardRetriever):
        return _collect(retriever.query, set()) if retriever.query is not None else ()
    names: set[str] = set()
    found: list[InnerHitSpec] = []
    for query in _queries_in(retriever):
        found.extend(_collect(query, names))
    return tuple(found)


# ------------------------------------------------------------------------------------------ levels


def _relative(path: str, base: str) -> str:
    return path[len(base) + 1 :] if base else path


# ------------------------------------------------------------------------------------------ fetching


@dataclass(frozen=True)
class _Level:
    """Where inner hits are fetched from: a searcher and the path it stands at (``""``: top level)."""

    searcher: Searcher
    path: str
    shard: Shard
    #: Each of this level's docs → its top-level document's ``_version`` (what nested hits show).
    versions: np.ndarray
    #: The top-level snapshot's ``_seq_no``/``_version`` by ``_id`` (nested rows carry their document's).
    numbers: DocNumbers


def add_nested_inner_hits(
    request: SearchRequest,
    searcher: Searcher,
    hits: list[dict[str, Any]],
    docs: list[int],
    shard: Shard,
) -> None:
    """Adds ``inner_hits`` to the response's hits (in place); ``docs`` are the hits' documents. The
    hits' ``fields`` of nested objects are regrouped per object first (:func:`regroup_nested_fields`)."""
    numbers = snapshot_numbers(searcher.by_id, searcher.seq_nos, searcher.doc_version_array)
    if request.fields and any(kind == "nested" for kind in searcher.objects.values()):
        fetch = _fields_fetcher(shard.mappings, searcher.index_name, request.fields, numbers)
        for hit, doc in zip(hits, docs):
            if hit.get("fields"):
                hit["fields"] = regroup_nested_fields(hit["fields"], searcher, "", searcher.source(doc), fetch)
    specs = inner_hit_specs(request)
    if not specs or not hits:
        return
    top = _Level(searcher, "", shard, searcher.doc_version_array, numbers)
    now = int(time.time() * 1000)
    for spec in specs:
        _fetch(top, spec, hits, docs, now)


def _fetch(
    at: _Level,
    spec: InnerHitSpec,
    hits: list[dict[str, Any]],
    docs: list[int],
    now: int,
) -> None:
    options = spec.options.hits
    chain = level_chain(at.searcher.nested, spec.query.path)
    if chain is None:  # the path is not nested, or no document has objects under it yet
        if at.searcher.objects.get(spec.query.path) != "nested" and not spec.query.ignore_unmapped:
            raise bad_request(
                "illegal_state_exception", f"[nested] no mapping found for type [{spec.query.path}]", status=500
            )
        empty = _empty_result()
        for hit in hits:
            hit.setdefault("inner_hits", {})[options.name] = {"hits": empty}
        return
    target = chain[-1]
    child = target.searcher
    ctx = CompileContext(child, now)
    lq = ctx.rewrite(compile_query(spec.query.query, ctx))
    evaluator = Evaluator(child)
    scored = evaluator.evaluate(lq)
    mask, row_scores = scored.dense(child.max_doc)
    mask = mask & child.live
    # each row's ancestor at this level
    owner = np.arange(child.max_doc, dtype=np.int64)
    for level in reversed(chain):
        owner = level.parents[owner].astype(np.int64)
    by_field = any(f.field != "_score" for f in options.sort)
    show_score = not by_field or options.track_scores
    fetch_fields = _fields_fetcher(
        at.shard.mappings, child.index_name, options.fields, at.numbers, spec.options.docvalue_fields
    )
    highlighter = _highlighter(at.shard, spec.options.highlight, child, lq, now)
    source_spec = options.source if options.source is not None else SourceFilter()
    sources = child.sources
    assert isinstance(sources, NestedSources)
    row_versions = at.versions[owner]
    deeper = _Level(child, target.path, at.shard, row_versions, at.numbers)
    for hit, doc in zip(hits, docs):
        rows = np.flatnonzero(mask & (owner == doc)).astype(np.int32)
        scores = row_scores[rows].astype(np.float32)
        sort_values: list[list[Any]] | None = None
        if options.sort:
            order, sort_values = sort_candidates(child, options.sort, rows, scores, None)
        else:
            order = np.lexsort((rows, -scores.astype(np.float64)))
        ranked = rows[order]
        page = ranked[options.from_ : options.from_ + options.size].tolist()
        out: list[dict[str, Any]] = []
        for pos, row in enumerate(page, start=options.from_):
            inner: dict[str, Any] = {"_index": hit.get("_index"), "_id": child.ids[row]}
            inner["_nested"] = nested_identity(sources.steps(row))
            if options.version:  # a nested object carries its top-level document's version
                inner["_version"] = int(row_versions[row])
            inner["_score"] = es_float(float(row_scores[row])) if show_score else None
            obj = child.source(row)
            src = _filtered(obj, target.path, source_spec)
            if src is not None:
                inner["_source"] = src
            own = fetch_fields(child.ids[row], _wrapped(obj, target.path))
            fields = _nested_shape(regroup_nested_fields(own, child, target.path, obj, fetch_fields), target.path)
            if fields:
                inner["fields"] = fields
            if highlighter is not None and (highlight := highlighter.highlight(row, _wrapped(obj, target.path))):
                inner["highlight"] = highlight
            if sort_values is not None:
                inner["sort"] = sort_values[pos]
            if spec.options.explain:  # the inner query's explanation (no _shard/_node on inner hits)
                inner["_explanation"] = explain_query(evaluator, lq, row)
            out.append(inner)
        for child_spec in spec.children if out else ():
            _fetch(deeper, child_spec, out, page, now)
        max_score = es_float(float(scores.max())) if show_score and rows.size else None
        result = {"total": {"value": int(rows.size), "relation": "eq"}, "max_score": max_score, "hits": out}
        hit.setdefault("inner_hits", {})[options.name] = {"hits": result}


def _highlighter(shard: Shard, spec: Highlight | None, child: Searcher, query: LQuery, now: int) -> Highlighter | None:
    """An inner hit definition's ``highlight``: the nested objects' fields highlighted with its inner
    query (a field's ``highlight_query`` compiled on the nested level's searcher)."""
    if spec is None:
        return None
    return build_highlighter(shard, spec, child, query_leaves((query,)), True, now)


def _empty_result() -> dict[str, Any]:
    return {"total": {"value": 0, "relation": "eq"}, "max_score": None, "hits": []}


def _wrapped(obj: dict[str, Any], path: str) -> dict[str, Any]:
    """The nested object under its full path, so full-path ``_source`` and ``fields`` patterns apply."""
    out: dict[str, Any] = obj
    for part in reversed(path.split(".")):
        out = {part: out}
    return out


def _filtered(obj: dict[str, Any], path: str, spec: SourceFilter) -> dict[str, Any] | None:
    if not spec.enabled:
        return None
    if not spec.includes and not spec.excludes:
        return filter_source(obj, spec)
    kept = filter_source(_wrapped(obj, path), spec)
    for part in path.split("."):
        if not isinstance(kept, dict):
            return {}
        kept = kept.get(part, {})
    return kept if isinstance(kept, dict) else {}


def _nested_shape(fields: dict[str, Any], path: str) -> dict[str, Any]:
    """``fields`` of a nested object as Elasticsearch prints them: under the nested path, one object
    per nested document (``{"path": [{"x": [...]}]}``)."""
    prefix = path + "."
    inside = {name[len(prefix) :]: values for name, values in fields.items() if name.startswith(prefix)}
    out = {name: values for name, values in fields.items() if not name.startswith(prefix)}
    if inside:
        out[path] = [inside]
    return out


def _direct_nested(searcher: Searcher, base: str) -> list[str]:
    """The nested paths directly below ``base`` (no nested object in between)."""
    prefix = base + "." if base else ""
    nested = [p for p, kind in searcher.objects.items() if kind == "nested" and p.startswith(prefix)]
    return [p for p in nested if not any(p.startswith(q + ".") for q in nested)]


def regroup_nested_fields(
    fields: dict[str, Any],
    searcher: Searcher,
    base: str,
    source: dict[str, Any],
    fetch: FetchFields,
) -> dict[str, Any]:
    """``fields`` as Elasticsearch returns them for nested objects: the values of a nested object's
    fields grouped under the nested path, one object per nested document (``{"c": [{"a": ["x"]},
    {"a": ["y"]}]}``), nested objects inside them grouped the same way. ``source`` is the object at
    ``base`` (the top-level source for ``base == ""``)."""
    out = dict(fields)
    for path in _direct_nested(searcher, base):
        prefix = path + "."
        if not any(name.startswith(prefix) for name in out):
            continue
        for name in [n for n in out if n.startswith(prefix)]:
            del out[name]
        value = value_at(source, _relative(path, base))
        objects = [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, dict)]
        grouped: list[dict[str, Any]] = []
        for obj in objects:
            own = {n: v for n, v in fetch("", _wrapped(obj, path)).items() if n.startswith(prefix)}
            own = regroup_nested_fields(own, searcher, path, obj, fetch)
            if own:
                grouped.append({n[len(prefix) :] if n.startswith(prefix) else n: v for n, v in own.items()})
        if grouped:
            out[path] = grouped  # full path: the enclosing level strips its own prefix
    return out
