"""The query tree of ``profile: true`` in Elasticsearch's shape: the Lucene queries the final search ran.

Elasticsearch users (and its YAML tests) read ``profile.shards[].searches[].query`` as the Lucene query
tree of the shard's final search. A compound retriever (``rrf``, ``linear``, a reranker, ``pinned`` ...)
runs its children first and ends as a ``RankDocsQuery``: a ``TopQuery`` over the ranked documents, and a
``BooleanQuery`` of the children's own queries (a ``standard`` child's query tree, a ``TopQuery`` of the
documents a ``knn`` retriever or a nested compound retriever ranked). A plain query search is its Lucene
query tree (``BooleanQuery``, ``TermQuery``, ``BoostQuery`` ...); a top-level ``knn`` search runs in the
``dfs`` phase first and joins the query as a ``KnnScoreDocQuery`` clause.

retrievo runs operators, not Lucene weights and scorers, so this module *derives* that tree from the
operator tree that ran and what it recorded: the node types, descriptions (Lucene's ``toString``, with
Elasticsearch's ``RankDoc`` strings) and children are Elasticsearch's; the times are the operators' own
measured times where an operator does the node's work, and zero where nothing in retrievo corresponds
(docs/profile.md lists which). The operator tree itself stays available under ``retrievo_operators``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from retrievo.java_text import java_float_str
from retrievo.lucene.combined_fields import CombinedFieldQ
from retrievo.lucene.function_score import SCORING_NODES, BoostingQ, FunctionScoreQ, TermsSetQ
from retrievo.lucene.prefix_span import PrefixSpanQ
from retrievo.lucene.query import (
    BlendedTermQ,
    BoolQ,
    BoostQ,
    ConstQ,
    DisMaxQ,
    DocSetQ,
    FeatureQ,
    KnnHitsQ,
    LQuery,
    MatchAllQ,
    MatchNoneQ,
    MultiPhraseQ,
    NamedQ,
    NestedFeaturesQ,
    NestedQ,
    PhraseQ,
    SpanGraphQ,
    SynonymQ,
    TermQ,
)
from retrievo.planner.operators.base import ExecContext, Operator
from retrievo.planner.ranked import Ranked
from retrievo.retrievers.retriever import Retriever

#: Lucene's ``QueryTimingType``s: each is reported with its ``_count`` twin, as Elasticsearch does.
TIMING_KEYS = (
    "create_weight",
    "build_scorer",
    "next_doc",
    "advance",
    "match",
    "score",
    "shallow_advance",
    "compute_max_score",
    "set_min_competitive_score",
    "count_weight",
)
#: Elasticsearch's non-nested filter (``Queries.newNonNestedFilter``): added to the final query of an
#: index with nested documents (``semantic_text`` chunks), so only top-level documents are hits.
NON_NESTED_FILTER = "FieldExistsQuery [field=_primary_term]"
#: The Lucene class each ``DocSetQ`` kind compiles to in Elasticsearch.
_DOC_SET_TYPES = {
    "range": "IndexOrDocValuesQuery",
    "exists": "FieldExistsQuery",
    "ids": "TermInSetQuery",
    "terms": "TermInSetQuery",
    "prefix": "PrefixQuery",
    "wildcard": "WildcardQuery",
    "regexp": "RegexpQuery",
    "fuzzy": "FuzzyQuery",
}


@dataclass(frozen=True)
class Measured:
    """What the operator that did a node's work recorded: wall time (children included) and output."""

    nanos: int = 0
    documents: int = 0
    result: Ranked | None = None
    runs: int = 0


#: How the tree reads an operator's record (the profile collector's ``measured``).
Measure = Callable[[Operator], Measured]


def breakdown(nanos: int = 0, documents: int = 0, ran: bool = False) -> dict[str, int]:
    """Lucene's timing keys. retrievo scores a whole query at once, so an operator's time is reported as
    ``score`` (with one weight and one scorer built, and one ``next_doc``/``score`` per document it
    produced); every other timing is zero: nothing in retrievo corresponds to it."""
    out: dict[str, int] = {}
    for key in TIMING_KEYS:
        out[key] = 0
        out[f"{key}_count"] = 0
    if ran:
        out["create_weight_count"] = out["build_scorer_count"] = 1
        out["next_doc_count"] = out["score_count"] = documents
        out["score"] = nanos
    return out


def entry(
    kind: str, description: str, children: Sequence[dict[str, Any]] = (), measured: Measured | None = None
) -> dict[str, Any]:
    """One query-profile node with Elasticsearch's keys; its time is at least its children's together."""
    own = measured.nanos if measured is not None else 0
    nanos = max(own, sum(c["time_in_nanos"] for c in children))
    ran = measured is not None and measured.runs > 0
    return {
        "type": kind,
        "description": description,
        "time_in_nanos": nanos,
        "breakdown": breakdown(own, measured.documents if measured is not None else 0, ran),
        "children": list(children),
    }


# ---------------------------------------------------------------------------------- Lucene queries


def lucene_type(q: LQuery) -> str:
    """The Lucene class Elasticsearch builds for each of retrievo's compiled query nodes."""
    if isinstance(q, (TermQ, BlendedTermQ)):
        return "TermQuery"
    if isinstance(q, PhraseQ):
        return "PhraseQuery"
    if isinstance(q, SynonymQ):
        return "SynonymQuery"
    if isinstance(q, SpanGraphQ):
        return {"term": "SpanTermQuery", "or": "SpanOrQuery"}.get(q.tree[0], "SpanNearQuery")
    if isinstance(q, MultiPhraseQ):
        return "MultiPhraseQuery"
    if isinstance(q, PrefixSpanQ):  # lucene/prefix_span.py
        return "SpanNearQuery"
    if isinstance(q, BoolQ):
        return "BooleanQuery"
    if isinstance(q, DisMaxQ):
        return "DisjunctionMaxQuery"
    if isinstance(q, BoostQ):
        return "BoostQuery"
    if isinstance(q, ConstQ):
        return "ConstantScoreQuery"
    if isinstance(q, MatchAllQ):
        return "MatchAllDocsQuery"
    if isinstance(q, MatchNoneQ):
        return "MatchNoDocsQuery"
    if isinstance(q, DocSetQ):
        return _DOC_SET_TYPES.get(q.kind, "ConstantScoreQuery")
    if isinstance(q, KnnHitsQ):
        return "KnnScoreDocQuery"
    if isinstance(q, FeatureQ):
        return "FeatureQuery"
    if isinstance(q, NestedFeaturesQ):
        return "ToParentBlockJoinQuery"
    if isinstance(q, NestedQ):
        return "ESToParentBlockJoinQuery"
    if isinstance(q, SCORING_NODES):
        return q.lucene_class
    if isinstance(q, CombinedFieldQ):
        return "CombinedFieldQuery"
    return type(q).__name__  # pragma: no cover - every LQuery class is listed above


def _knn_clauses(q: LQuery) -> list[KnnHitsQ]:
    if isinstance(q, KnnHitsQ):
        return [q]
    inner = q.query if isinstance(q, NamedQ) else None
    return _knn_clauses(inner) if inner is not None else [k for c in lucene_children(q) for k in _knn_clauses(c)]


def lucene_description(q: LQuery) -> str:
    """Lucene's ``toString``; a kNN clause prints as Elasticsearch's ``KnnScoreDocQuery`` does, also
    inside the queries that hold it."""
    text = str(q)
    for knn in _knn_clauses(q):
        text = text.replace(str(knn), "ScoreAndDocQuery")
    return text


def lucene_children(q: LQuery) -> tuple[LQuery, ...]:
    """The sub-queries Lucene creates weights for (hence profiles) under each query."""
    if isinstance(q, BoolQ):
        return q.clauses()
    if isinstance(q, DisMaxQ):
        return q.queries
    if isinstance(q, ConstQ):
        return (q.query,)
    if isinstance(q, (FunctionScoreQ, BoostingQ, TermsSetQ)):
        return q.sub_queries()
    return ()  # a BoostQuery creates its query's weight itself, unseen by the profiler: no child


def query_entry(q: LQuery, measured: Measured | None = None) -> dict[str, Any]:
    """A compiled query as profile nodes; ``measured`` is the time of the operator that scored it (the
    root), its inner nodes have no time of their own in retrievo. ``_name`` adds no node."""
    while isinstance(q, NamedQ) or (isinstance(q, ConstQ) and isinstance(q.query, DocSetQ)):
        q = q.query  # a doc-set query (range, terms, exists ...) scores constantly as Lucene builds it
    children = [query_entry(c) for c in lucene_children(q)]
    return entry(lucene_type(q), lucene_description(q), children, measured)


# ---------------------------------------------------------------------------------- rank docs


def rank_docs(op: Operator, ctx: ExecContext, measure: Measure) -> list[tuple[int, str]]:
    """(doc, ``RankDoc.toString``) of every document ``op`` ranked, in its own rank order: the kind's own
    rank doc where it has one (``Operator.rank_doc_strings``), the plain ``RankDoc`` otherwise. The
    window is the whole one the run ranked (``Operator.ranked_window``), not the page it handed up."""
    window = op.ranked_window(ctx)
    if window is None:
        result = measure(op).result
        if result is None:
            return []
        window = (result.docs, result.scores)
    docs, scores = window[0].tolist(), window[1].tolist()
    kids = [measure(c).result for c in op.children()]
    texts = op.rank_doc_strings(ctx, docs, scores, kids)
    if texts is None:
        return plain_rank_docs(docs, scores)
    return list(zip(docs, texts))


def plain_rank_docs(docs: Sequence[int], scores: Sequence[float]) -> list[tuple[int, str]]:
    """``RankDoc.toString`` of a ranked list (ranks from 1), for every kind without a rank doc of its own."""
    return [
        (doc, f"RankDoc{{_rank={rank}, _doc={doc}, _shard=0, _score={java_float_str(score)}}}")
        for rank, (doc, score) in enumerate(zip(docs, scores), start=1)
    ]


def _rank_docs_text(kind: str, docs: list[tuple[int, str]]) -> str:
    """``RankDocsQuery``/``TopQuery`` ``toString``: the rank docs sorted by doc id, as the query holds them."""
    return f"{kind}{{rank_docs:[" + ", ".join(text for _, text in sorted(docs)) + "]}"


# ---------------------------------------------------------------------------------- operators


def is_compound(op: Operator) -> bool:
    """A retriever that ranks its children's results into a window of its own (Elasticsearch's
    ``CompoundRetrieverBuilder``); a top-level ``rescore`` keeps the query it rescores."""
    return op.window is not None and not getattr(op, "top_level", False)


def _core(op: Operator) -> Operator:
    """The operator under the ranking wrappers (``Page``, ``TopDocs``, ``MinScore``, ``TerminateAfter``,
    a top-level ``rescore``): what decides a retriever's query."""
    while not is_compound(op) and op.scoring_query() is None and not op.filter_queries() and len(op.children()) == 1:
        op = op.children()[0]
    return op


def _is_knn(op: Operator) -> bool:
    return bool(op.knn_slots()) or any(bool(c.knn_slots()) for c in op.children())


def source_entry(op: Operator, ctx: ExecContext, measure: Measure) -> dict[str, Any]:
    """A compound retriever's child as its ``topDocsQuery``: a ``knn`` or compound child is a ``TopQuery``
    of the documents it ranked; a ``standard`` child is its own query tree."""
    core = _core(op)
    if is_compound(core) or (_is_knn(core) and core.scoring_query() is None):
        if is_compound(core):
            docs = rank_docs(core, ctx, measure)
        else:  # a kNN retriever: the neighbours its ranking wrapper handed up
            result = measure(op).result
            docs = plain_rank_docs(result.docs.tolist(), result.scores.tolist()) if result is not None else []
        return entry("TopQuery", _rank_docs_text("TopQuery", docs), (), measure(core))
    return operator_entry(core, ctx, measure)


def operator_entry(op: Operator, ctx: ExecContext, measure: Measure) -> dict[str, Any]:
    """The Lucene query a (non-compound) retriever's operator chain amounts to."""
    op = _core(op)
    if is_compound(op):
        return rank_docs_entry(op, ctx, measure)
    query = op.scoring_query()
    if query is not None:
        return query_entry(query, measure(op))
    filters = op.filter_queries()
    if filters and not op.prefilters and op.children():
        inner = operator_entry(op.children()[0], ctx, measure)
        clauses = [inner] + [query_entry(f) for f in filters]
        description = " ".join([f"+{inner['description']}"] + [f"#{f}" for f in filters])
        return entry("BooleanQuery", description, clauses, measure(op))
    if _is_knn(op):
        return entry("KnnScoreDocQuery", "ScoreAndDocQuery", (), measure(op))
    if op.name == "MatchAll":
        return entry("MatchAllDocsQuery", "*:*", (), measure(op))
    return entry("MatchNoDocsQuery", 'MatchNoDocsQuery("")', (), measure(op))  # e.g. a child that failed


def rank_docs_entry(op: Operator, ctx: ExecContext, measure: Measure) -> dict[str, Any]:
    """``RankDocsQuery``: the ``TopQuery`` of the ranked documents (scored: the compound retriever's own
    work) and a ``BooleanQuery`` of its children's queries (the tail that only filters)."""
    docs = rank_docs(op, ctx, measure)
    sources = [source_entry(c, ctx, measure) for c in op.children()]
    own = measure(op)
    own_nanos = max(own.nanos - sum(measure(c).nanos for c in op.children()), 0)
    top = entry("TopQuery", _rank_docs_text("TopQuery", docs), (), Measured(own_nanos, len(docs), runs=own.runs))
    children = [top]
    if sources:
        tail = " ".join(s["description"] if " " not in s["description"] else f"({s['description']})" for s in sources)
        children.append(entry("BooleanQuery", tail, sources))
    return entry("RankDocsQuery", _rank_docs_text("RankDocsQuery", docs), children, own)


def final_query_entry(root: Operator, ctx: ExecContext, measure: Measure, has_nested: bool) -> dict[str, Any]:
    """``profile.shards[].searches[].query[0]``: the final search's query. On an index with nested
    documents Elasticsearch adds its non-nested filter beside a query that might match them (a
    ``RankDocsQuery`` always might)."""
    node = operator_entry(root, ctx, measure)
    if has_nested and node["type"] == "RankDocsQuery":
        description = f"+{node['description']} #{NON_NESTED_FILTER}"
        exists = entry("FieldExistsQuery", NON_NESTED_FILTER)
        node = entry("BooleanQuery", description, [node, exists])
    return node


def legacy_rank_entry(root: Operator, ctx: ExecContext, measure: Measure) -> dict[str, Any]:
    """The deprecated ``rank`` section's query phase: a ``ConstantScoreQuery`` over the ``BooleanQuery``
    of its sub searches' queries and a ``KnnScoreDocQuery`` per kNN search (run in ``dfs``)."""
    core = _core(root)
    sources = []
    for child in core.children():
        inner = _core(child)
        if _is_knn(inner) and inner.scoring_query() is None:
            sources.append(entry("KnnScoreDocQuery", "ScoreAndDocQuery", (), measure(inner)))
        else:
            sources.append(operator_entry(inner, ctx, measure))
    body = " ".join(s["description"] for s in sources)
    boolean = entry("BooleanQuery", body, sources)
    return entry("ConstantScoreQuery", f"ConstantScore({body})", [boolean], measure(core))


def section_knn_count(retriever: Retriever, legacy_rank: bool) -> int:
    """How many kNN searches Elasticsearch runs in its ``dfs`` phase for this top-level retriever
    (``Retriever.dfs_knn_searches``): a ``knn`` *query* runs in the query phase, and a compound
    retriever's children run as searches of their own, so neither has a ``dfs`` entry."""
    return retriever.dfs_knn_searches(legacy_rank)


def knn_searches(root: Operator) -> list[Operator]:
    """Every kNN search of the plan, in plan order (a legacy ``rank`` request's ``knn`` children come
    after its sub searches, a top-level ``knn`` section's searches are the scoring query's inputs)."""
    found: list[Operator] = []

    def walk(op: Operator) -> None:
        if op.knn_slots() and op not in found:
            found.append(op)
        for c in op.children():
            walk(c)

    walk(root)
    return found


def dfs_section(searches: Sequence[Operator], measure: Measure) -> dict[str, Any]:
    """``profile.shards[].dfs``: one ``knn`` entry per kNN search, each its ``KnnScoreDocQuery`` and the
    top-hits collector that gathered the neighbours (FAISS reports no ``vector_operations_count``)."""
    knn = []
    for op in searches:
        measured = measure(op)
        knn.append(
            {
                "query": [entry("KnnScoreDocQuery", "ScoreAndDocQuery", (), measured)],
                "rewrite_time": 0,
                "collector": [
                    {"name": "TopScoreDocCollector", "reason": "search_top_hits", "time_in_nanos": measured.nanos}
                ],
            }
        )
    return {"knn": knn}
