"""Running ES|QL: what ``POST /_query`` (retrievo.api.esql) and ``engine.esql.parse/plan`` call.

:meth:`EsqlRunner.query` parses the ES|QL search subset of a ``_query`` body into the same retriever
AST a JSON search builds, plans and runs it, and answers with ES|QL's response body (``took``,
``is_partial``, ``columns``, ``values``). A query may also be an official ``elasticsearch.esql``
builder (``ESQL.from_("books")...``), rendered to text first, as the official client does. Body keys
retrievo cannot honour are refused by name, never silently ignored.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from retrievo.catalog import Catalog
from retrievo.errors import bad_request, illegal_argument, not_supported, validation_error
from retrievo.esql_values import FieldReader
from retrievo.grammar.esql import EsqlQuery, parse_esql
from retrievo.grammar.esql.columns import result_columns
from retrievo.grammar.esql.model import SCORE
from retrievo.grammar.json import parse_query
from retrievo.planner.children import head
from retrievo.planner.operators.base import ExecContext, Operator
from retrievo.planner.operators.fusion import FusionOperator
from retrievo.planner.operators.rerank import Rerank, RerankTrace
from retrievo.planner.operators.top_docs import Page
from retrievo.planner.plan import Plan, build_plan
from retrievo.planner.ranked import Ranked

#: Body keys of ``POST /_query`` and whether retrievo honours them.
_BODY_KEYS = (
    "query",
    "columnar",
    "params",
    "filter",
    "locale",
    "time_zone",
    "include_ccs_metadata",
    "include_execution_metadata",
    "profile",
    "tables",
    "settings",
    "project_routing",
)


class _Capture:
    """Records what each operator returned during one execution (it plugs in where a profiler
    would), so the result table can show per-branch membership (``_fork``) and the score a reranked
    row came in with."""

    def __init__(self) -> None:
        self.results: dict[int, Any] = {}
        self._keep: list[Operator] = []

    def record(self, op: Operator, ctx: Any) -> Any:
        result = op.run(ctx)
        self.results[id(op)] = result
        self._keep.append(op)
        return result


def _below(op: Operator, kind: type) -> Any:
    """The first operator of ``kind`` at or under ``op`` following single-child wrappers."""
    while not isinstance(op, kind):
        children = op.children()
        if len(children) != 1:
            return None
        op = children[0]
    return op


def query_text(query: Any) -> str:
    """ES|QL text, or an official ``elasticsearch.esql`` builder rendered to it."""
    if query is None:
        raise validation_error("[query] is required")
    if isinstance(query, str):
        return query
    render = getattr(query, "render", None)
    if callable(render):
        try:
            return str(render())
        except ValueError as err:  # the builder refuses to render an incomplete command
            raise illegal_argument(f"the ES|QL builder could not render the query: {err}") from None
    raise bad_request(
        "parsing_exception", f"[query] must be a string or an ES|QL builder, found [{type(query).__name__}]"
    )


class EsqlRunner:
    """ES|QL over one catalog: parse, plan, run."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    # ------------------------------------------------------------ parsing and planning
    def _alias_target(self, index: str) -> tuple[str, Any]:
        """The index ``FROM`` reads and the filter it reads through: an alias of one index stands
        for that index (with the alias's ``filter``, if any); an alias of several is refused, as
        ``FROM`` over several indices is."""
        on = self._catalog.aliases.get(index)
        if on is None:
            return index, None
        if len(on) != 1:
            raise not_supported(f"FROM an alias of more than one index [{index}]")
        name, metadata = next(iter(on.items()))
        return name, metadata.get("filter")

    def _through_alias(self, esql: EsqlQuery) -> EsqlQuery:
        """``esql`` against the concrete index its ``FROM`` names, with the alias's filter applied."""
        name, alias_filter = self._alias_target(esql.request.index)
        if name == esql.request.index:
            return esql
        esql = esql.model_copy(update={"request": esql.request.model_copy(update={"index": name})})
        return self._with_filter(esql, alias_filter)

    def _fields(self, index: str) -> dict[str, str] | None:
        shard = self._catalog.shards.get(self._alias_target(index)[0])
        if shard is None:
            return None
        return {path: fi.type for path, fi in shard.searcher().fields.items()}

    def parse(self, query: Any, *, params: Any = None) -> EsqlQuery:
        """The :class:`EsqlQuery` (retriever AST plus columns) a query parses into, checked against
        its index."""
        return parse_esql(query_text(query), params=_params(params), fields=self._fields)

    def plan(self, query: Any, *, params: Any = None, filter: Any = None) -> Plan:
        """The plan ``query`` would run (printable with ``str()``; nothing is executed)."""
        esql = self._with_filter(self._through_alias(self.parse(query, params=params)), filter)
        shard = self._catalog.shard(esql.request.index)
        return build_plan(
            esql.request,
            shard.searcher(),
            embed=self._catalog.embed_query,
            inference=self._catalog.inference,
            max_terms_count=shard.settings.max_terms_count,
        )

    @staticmethod
    def _with_filter(esql: EsqlQuery, dsl_filter: Any) -> EsqlQuery:
        """The request body's ``filter`` (query DSL): applied to the documents ``FROM`` reads, before
        anything else; it never scores (Elasticsearch 8.18+). retrievo adds it to the outermost
        retriever's ``filter``, which every retriever passes down to its children."""
        if dsl_filter is None:
            return esql
        q = parse_query(dsl_filter)
        r = esql.request.retriever
        retriever = r.model_copy(update={"filter": tuple(r.filter) + (q,)})
        return esql.model_copy(update={"request": esql.request.model_copy(update={"retriever": retriever})})

    # ------------------------------------------------------------ the API
    def query(self, body: Mapping[str, Any], *, drop_null_columns: bool = False) -> dict[str, Any]:
        """Run the ES|QL query of a ``POST /_query`` body; the response is ES|QL's JSON body. The REST
        handler (retrievo.api.esql) reads the URL parameters: ``format``, ``delimiter`` and
        ``allow_partial_results`` (one local shard never answers partially, so the answer is whole,
        ``is_partial: false``, either way)."""
        start = time.perf_counter()
        args = _checked_body(body)
        for name in ("locale", "time_zone", "tables", "settings", "project_routing"):
            if args.get(name) is not None:
                raise not_supported(f"[{name}] in an ES|QL query")
        if args.get("profile"):
            raise not_supported("[profile] in an ES|QL query")
        if args.get("include_execution_metadata"):
            # Elasticsearch then adds a ``_clusters`` section even to a local query; retrievo has none.
            raise not_supported("[include_execution_metadata] in an ES|QL query")
        # include_ccs_metadata: no remote clusters, so no metadata to show.
        esql = self._through_alias(self.parse(args.get("query"), params=args.get("params")))
        esql = self._with_filter(esql, args.get("filter"))
        shard = self._catalog.shard(esql.request.index)
        searcher = shard.searcher()
        plan = build_plan(
            esql.request,
            searcher,
            embed=self._catalog.embed_query,
            inference=self._catalog.inference,
            max_terms_count=shard.settings.max_terms_count,
        )
        capture = _Capture()
        ranked, ctx = plan.execute(plan.context(profiler=capture))
        fields = {path: fi.type for path, fi in searcher.fields.items()}
        columns = result_columns(fields, esql)
        rows = _rows(plan, ranked, ctx, capture, esql, columns, shard)
        return _response(columns, rows, start, bool(args.get("columnar")), bool(drop_null_columns))


def _params(params: Any) -> list[Any] | None:
    if params is None:
        return None
    if isinstance(params, (str, bytes)) or not isinstance(params, (list, tuple)):
        raise bad_request("parsing_exception", f"[params] must be an array, found [{type(params).__name__}]")
    return list(params)


def _checked_body(body: Any) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise bad_request("parsing_exception", f"[body] must be an object, found [{type(body).__name__}]")
    for key in body:
        if key not in _BODY_KEYS:
            raise bad_request("x_content_parse_exception", f"[esql/query] unknown field [{key}]")
    return body


def _rows(
    plan: Plan,
    ranked: Ranked,
    ctx: ExecContext,
    capture: _Capture,
    esql: EsqlQuery,
    columns: list[tuple[str, str]],
    shard: Any,
) -> list[list[Any]]:
    searcher = plan.searcher
    docs = ranked.docs.tolist()
    scores = ranked.scores.tolist()
    score_of = dict(zip(docs, scores))
    rerank_of: dict[int, float] = {}
    root = plan.root.children()[0] if isinstance(plan.root, Page) else plan.root
    top_rerank = _below(root, Rerank)
    if top_rerank is not None:
        traced = ctx.trace.of(top_rerank, RerankTrace)
        raw = traced.raw_scores if traced is not None else {}
        rerank_of = {d: float(np.float32(raw[d])) if d in raw else float(np.float32(s)) for d, s in zip(docs, scores)}
        if esql.rerank_column is not None:
            child = capture.results.get(id(top_rerank.child))
            if isinstance(child, Ranked):
                score_of = dict(zip(child.docs.tolist(), child.scores.tolist()))
        else:
            score_of = rerank_of
    forks = _fork_membership(root, capture)
    readers: dict[str, FieldReader] = {}
    mappings = shard.mappings
    for name, _ in columns:
        fi = searcher.fields.get(name)
        if fi is not None:
            fm = mappings.field(name)
            source_path = fm.parent if fm is not None and getattr(fm, "parent", None) else name
            readers[name] = FieldReader(searcher, name, fi.type, source_path)
    out = []
    for doc in docs:
        row: list[Any] = []
        for name, _ in columns:
            if name == esql.rerank_column:
                row.append(rerank_of.get(doc))
            elif name in readers:
                row.append(readers[name].value(doc))
            elif name == SCORE:
                row.append(float(score_of[doc]) if doc in score_of else None)
            elif name == "_id":
                row.append(searcher.ids[doc])
            elif name == "_index":
                row.append(searcher.index_name)
            elif name == "_fork":
                found = forks.get(doc, [])
                row.append(found[0] if len(found) == 1 else (found or None))
            else:
                row.append(None)
        out.append(row)
    return out


def _fork_membership(root: Operator, capture: _Capture) -> dict[int, list[str]]:
    """``_fork`` of each fused row: the branches (``fork1`` …) whose window held the document."""
    fusion = _find(root, FusionOperator)
    if fusion is None:
        return {}
    found: dict[int, list[str]] = {}
    for i, child in enumerate(fusion.children(), start=1):
        result = capture.results.get(id(child))
        if not isinstance(result, Ranked):
            continue
        for doc in head(result, fusion.window).docs.tolist():
            found.setdefault(doc, []).append(f"fork{i}")
    return found


def _find(op: Operator, kind: type) -> Any:
    if isinstance(op, kind):
        return op
    for child in op.children():
        hit = _find(child, kind)
        if hit is not None:
            return hit
    return None


def _response(
    columns: list[tuple[str, str]], rows: list[list[Any]], start: float, columnar: bool, drop_null_columns: bool
) -> dict[str, Any]:
    all_cols = [{"name": n, "type": t} for n, t in columns]
    keep = list(range(len(columns)))
    body: dict[str, Any] = {"took": int((time.perf_counter() - start) * 1000), "is_partial": False}
    if drop_null_columns:
        keep = [i for i in keep if any(row[i] is not None for row in rows)]
        body["all_columns"] = all_cols
    body["columns"] = [all_cols[i] for i in keep]
    if columnar:
        body["values"] = [[row[i] for row in rows] for i in keep]
    else:
        body["values"] = [[row[i] for i in keep] for row in rows]
    return body
