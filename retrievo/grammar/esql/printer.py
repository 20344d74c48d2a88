"""The retriever AST → ES|QL text: a pure function, the inverse of the ES|QL front end.

``to_esql(request)`` prints the pipeline that parses back into the same AST (for every tree the ES|QL
subset can express; see docs/esql.md for the mapping). A tree with no ES|QL form — a ``min_score``,
nested compounds, a ``chunk_rescorer``, a query ES|QL has no function for — raises an
``illegal_argument_exception`` naming what cannot be expressed, rather than printing something that
would mean something else.

Conditions print the way the front end reads them back: top-level filters after the scoring part,
joined with ``AND``; a ``constant_score`` with ``boost: 0`` inside an ``OR`` is the plain condition;
``exists`` + ``must_not`` pairs are ``!=`` / ``NOT IN``; a two-sided ``range`` is two comparisons.
"""

from __future__ import annotations

import json
import re
from typing import Any

from retrievo.errors import BadRequestError, bad_request
from retrievo.grammar.esql.model import DEFAULT_METADATA, SCORE, EsqlQuery
from retrievo.grammar.esql.pipeline import DOC_ORDER, MAX_LIMIT, RERANK_LIMIT
from retrievo.grammar.json.knn import default_num_candidates
from retrievo.retrievers.fusion import DEFAULT_RANK_CONSTANT, CompoundRetriever, LinearRetriever, RrfRetriever
from retrievo.retrievers.knn import KnnRetriever, KnnSearch
from retrievo.retrievers.queries import (
    BoolQuery,
    ConstantScoreQuery,
    ExistsQuery,
    MatchAllQuery,
    MatchNoneQuery,
    MatchPhraseQuery,
    MatchQuery,
    MultiMatchQuery,
    Query,
    RangeQuery,
    TermQuery,
    TermsQuery,
)
from retrievo.retrievers.rerank import DEFAULT_RERANK_INFERENCE_ID, TextSimilarityReranker
from retrievo.retrievers.retriever import Retriever
from retrievo.retrievers.search import SearchRequest, SourceFilter
from retrievo.retrievers.sort import SortField
from retrievo.retrievers.standard import StandardRetriever

_PLAIN_ID = re.compile(r"[a-zA-Z_@][a-zA-Z0-9_]*")
_KEYWORDS = frozenset(
    {
        "and",
        "or",
        "not",
        "in",
        "is",
        "null",
        "true",
        "false",
        "like",
        "rlike",
        "asc",
        "desc",
        "nulls",
        "first",
        "last",
        "by",
        "on",
        "with",
        "from",
        "metadata",
        "where",
        "sort",
        "limit",
        "keep",
        "fork",
        "fuse",
        "rerank",
        "score",
        "key",
        "group",
    }
)


def cannot_express(what: str) -> BadRequestError:
    return bad_request("illegal_argument_exception", f"cannot express in ES|QL: {what}")


# ---------------------------------------------------------------- lexical pieces


def identifier(name: str) -> str:
    """A column name: bare when ES|QL reads it bare, otherwise back-quoted."""
    parts = name.split(".")
    if all(_PLAIN_ID.fullmatch(p) and p.lower() not in _KEYWORDS for p in parts) and not (
        parts[0].startswith(("_", "@")) and len(parts[0]) == 1
    ):
        return name
    return "`" + name.replace("`", "``") + "`"


def string(value: str) -> str:
    out = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return f'"{out}"'


def number(value: float | int) -> str:
    if isinstance(value, bool):
        raise AssertionError
    if isinstance(value, int):
        return str(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise cannot_express(f"the number [{value}]")
    return repr(float(value))


def literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return number(value)
    if isinstance(value, str):
        return string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    raise cannot_express(f"the value [{value!r}]")


def options(opts: dict[str, Any]) -> str:
    """ES|QL's map literal (named function parameters, command options)."""

    def value(v: Any) -> str:
        return options(v) if isinstance(v, dict) else literal(v)

    return "{" + ", ".join(f"{json.dumps(k)}: {value(v)}" for k, v in opts.items()) + "}"


# ---------------------------------------------------------------- conditions


def _plain(q: Query, what: str) -> None:
    """Queries ES|QL prints as bare conditions carry no boost and no ``_name``."""
    if q.name is not None:
        raise cannot_express(f"[_name] on a {what} query")
    if q.boost != 1.0:
        raise cannot_express(f"[boost] on a {what} query")


def _and(parts: list[str]) -> str:
    return " AND ".join(parts)


def _operand(text: str, kind: str) -> str:
    """Parenthesise an ``OR`` when it becomes an operand of ``AND``."""
    return f"({text})" if kind == "or" else text


def _full_text(q: Query) -> str | None:
    """MATCH / MATCH_PHRASE / MULTI_MATCH, or ``None`` when ``q`` is not a full-text query."""
    if isinstance(q, MatchQuery):
        if q.name is not None:
            raise cannot_express("[_name] on a match query")
        opts: dict[str, Any] = {}
        if q.operator != "or":
            opts["operator"] = q.operator
        if q.minimum_should_match is not None:
            opts["minimum_should_match"] = q.minimum_should_match
        if q.analyzer is not None:
            opts["analyzer"] = q.analyzer
        if q.zero_terms_query != "none":
            opts["zero_terms_query"] = q.zero_terms_query
        if not q.lenient:
            opts["lenient"] = False
        if q.fuzzy is not None:  # ES|QL types [fuzziness] as a keyword
            opts.update(q.fuzzy.params(with_max_expansions=True), fuzziness=str(q.fuzzy.fuzziness))
        if q.boost != 1.0:
            opts["boost"] = q.boost
        args = [identifier(q.field), literal(q.query)] + ([options(opts)] if opts else [])
        return f"MATCH({', '.join(args)})"
    if isinstance(q, MatchPhraseQuery):
        if q.name is not None:
            raise cannot_express("[_name] on a match_phrase query")
        opts = {}
        if q.slop:
            opts["slop"] = q.slop
        if q.analyzer is not None:
            opts["analyzer"] = q.analyzer
        if q.zero_terms_query != "none":
            opts["zero_terms_query"] = q.zero_terms_query
        if q.boost != 1.0:
            opts["boost"] = q.boost
        args = [identifier(q.field), literal(q.query)] + ([options(opts)] if opts else [])
        return f"MATCH_PHRASE({', '.join(args)})"
    if isinstance(q, MultiMatchQuery):
        if q.name is not None:
            raise cannot_express("[_name] on a multi_match query")
        if any("^" in f or "*" in f for f in q.fields):
            raise cannot_express("per-field boosts or patterns in multi_match [fields] (MULTI_MATCH takes columns)")
        if q.zero_terms_query != "none":
            raise cannot_express("[zero_terms_query] on multi_match (MULTI_MATCH has no such option)")
        opts = {}
        if q.type != "best_fields":
            opts["type"] = q.type
        if q.tie_breaker is not None:
            opts["tie_breaker"] = q.tie_breaker
        if q.operator != "or":
            opts["operator"] = q.operator
        if q.minimum_should_match is not None:
            opts["minimum_should_match"] = q.minimum_should_match
        if q.analyzer is not None:
            opts["analyzer"] = q.analyzer
        if q.slop:
            opts["slop"] = q.slop
        if not q.lenient:
            opts["lenient"] = False
        if q.fuzzy is not None:
            opts.update(q.fuzzy.params(with_max_expansions=False), fuzziness=str(q.fuzzy.fuzziness))
        if q.max_expansions != 50:
            opts["max_expansions"] = q.max_expansions
        if q.boost != 1.0:
            opts["boost"] = q.boost
        args = [literal(q.query)] + [identifier(f) for f in q.fields] + ([options(opts)] if opts else [])
        return f"MULTI_MATCH({', '.join(args)})"
    return None


def _range(q: RangeQuery) -> list[str]:
    _plain(q, "range")
    if q.format is not None or q.time_zone is not None:
        raise cannot_express("[format] or [time_zone] on a range query")
    parts = []
    for key, op in (("gt", ">"), ("gte", ">="), ("lt", "<"), ("lte", "<=")):
        value = getattr(q, key)
        if value is not None:
            parts.append(f"{identifier(q.field)} {op} {literal(value)}")
    if not parts:
        raise cannot_express("a range query without bounds")
    return parts


def filter_condition(q: Query) -> tuple[str, str]:
    """A non-scoring condition and its kind (``or`` / ``and`` / ``leaf``, for parentheses)."""
    if isinstance(q, TermQuery):
        _plain(q, "term")
        if q.case_insensitive:
            raise cannot_express("[case_insensitive] on a term query")
        return f"{identifier(q.field)} == {literal(q.value)}", "leaf"
    if isinstance(q, TermsQuery):
        _plain(q, "terms")
        return f"{identifier(q.field)} IN ({', '.join(literal(v) for v in q.values)})", "leaf"
    if isinstance(q, RangeQuery):
        parts = _range(q)
        return _and(parts), "and" if len(parts) > 1 else "leaf"
    if isinstance(q, ExistsQuery):
        _plain(q, "exists")
        return f"{identifier(q.field)} IS NOT NULL", "leaf"
    if isinstance(q, MatchAllQuery):
        _plain(q, "match_all")
        return "true", "leaf"
    if isinstance(q, MatchNoneQuery):
        _plain(q, "match_none")
        return "false", "leaf"
    if isinstance(q, BoolQuery):
        return _bool_filter(q)
    raise cannot_express(f"a [{q.kind}] query")


def _bool_filter(q: BoolQuery) -> tuple[str, str]:
    _plain(q, "bool")
    if q.minimum_should_match is not None:
        raise cannot_express("[minimum_should_match] on a bool query")
    if q.must_not and not q.must and not q.should:
        if len(q.must_not) != 1:
            raise cannot_express("a bool query with several must_not clauses")
        (neg,) = q.must_not
        if not q.filter and isinstance(neg, ExistsQuery):
            _plain(neg, "exists")
            return f"{identifier(neg.field)} IS NULL", "leaf"
        if (
            len(q.filter) == 1
            and isinstance(q.filter[0], ExistsQuery)
            and isinstance(neg, (TermQuery, TermsQuery))
            and neg.field == q.filter[0].field
        ):
            _plain(q.filter[0], "exists")
            _plain(neg, neg.kind)
            if isinstance(neg, TermQuery):
                if neg.case_insensitive:
                    raise cannot_express("[case_insensitive] on a term query")
                return f"{identifier(neg.field)} != {literal(neg.value)}", "leaf"
            return f"{identifier(neg.field)} NOT IN ({', '.join(literal(v) for v in neg.values)})", "leaf"
        if not q.filter:
            text = _full_text(neg)
            if text is not None:
                return f"NOT {text}", "leaf"
        raise cannot_express("a must_not clause other than a negated comparison or full-text function")
    if q.must:
        raise cannot_express("a scoring bool query (must) where ES|QL only filters")
    if q.filter and not q.should:
        return _and([_operand(*filter_condition(f)) for f in q.filter]), "and"
    if q.should and not q.filter:
        return " OR ".join(filter_condition(s)[0] for s in q.should), "or"
    raise cannot_express("a bool query mixing filter and should clauses")


def scoring_condition(q: Query) -> tuple[str, str]:
    """A condition whose matches score (full-text functions and the bools around them)."""
    text = _full_text(q)
    if text is not None:
        return text, "leaf"
    if isinstance(q, ConstantScoreQuery):
        if q.boost != 0.0 or q.name is not None:
            raise cannot_express("constant_score with a boost other than 0 (ES|QL's filters score 0)")
        return filter_condition(q.filter)
    if isinstance(q, BoolQuery):
        _plain(q, "bool")
        if q.minimum_should_match is not None or q.must_not:
            raise cannot_express("[minimum_should_match] or [must_not] on a scoring bool query")
        if q.must and not q.should:
            parts = [_operand(*scoring_condition(m)) for m in q.must]
            parts += [_operand(*filter_condition(f)) for f in q.filter]
            return _and(parts), "and"
        if q.should and not q.must and not q.filter:
            return " OR ".join(scoring_condition(s)[0] for s in q.should), "or"
        raise cannot_express("a bool query mixing must and should clauses (ES|QL has no optional clause)")
    return filter_condition(q)


def knn_call(s: KnnSearch, rows: int, with_boost: bool) -> str:
    if s.name is not None:
        raise cannot_express("[_name] on a knn search")
    if s.query_vector_builder is not None:
        b = s.query_vector_builder
        query = f"TEXT_EMBEDDING({string(b.model_text)}, {string(b.model_id)})"
    elif s.query_vector is not None:
        query = "[" + ", ".join(number(float(v)) for v in s.query_vector) + "]"
    else:
        raise cannot_express("a knn search without a query vector")
    opts: dict[str, Any] = {}
    if s.k != rows:
        opts["k"] = s.k
    if s.num_candidates != default_num_candidates(s.k):
        opts["min_candidates"] = s.num_candidates
    if s.similarity is not None:
        opts["similarity"] = s.similarity
    if s.rescore_oversample is not None:
        opts["rescore_oversample"] = s.rescore_oversample
    if s.boost != 1.0:
        if not with_boost:
            raise cannot_express("[boost] on a knn retriever")
        opts["boost"] = s.boost
    args = [identifier(s.field), query] + ([options(opts)] if opts else [])
    return f"KNN({', '.join(args)})"


# ---------------------------------------------------------------- retrievers → commands


def _check_base(r: Retriever) -> None:
    if r.min_score is not None:
        raise cannot_express(f"[min_score] on a {r.kind} retriever")
    if r.name is not None:
        raise cannot_express(f"[_name] on a {r.kind} retriever")


def _where(scoring: tuple[str, str] | None, filters: tuple[Query, ...]) -> list[str]:
    parts: list[str] = [_operand(*scoring)] if scoring is not None else []
    parts += [_operand(*filter_condition(f)) for f in filters]
    return [f"WHERE {_and(parts)}"] if parts else []


def _sort(sort: tuple[SortField, ...]) -> list[str]:
    if sort == DOC_ORDER:
        return []
    if not sort:
        return [f"SORT {SCORE} DESC"]
    items = []
    for s in sort:
        if s.mode is not None or s.unmapped_type is not None:
            raise cannot_express("[mode] or [unmapped_type] in a sort")
        if s.field == "_doc":
            raise cannot_express("a sort on [_doc] next to other sort keys")
        item = f"{identifier(s.field)} {s.order.upper()}"
        if s.field != SCORE:
            default = "_last" if s.order == "asc" else "_first"
            if s.missing not in ("_last", "_first"):
                raise cannot_express("a custom [missing] value in a sort")
            if s.missing != default:
                item += f" NULLS {s.missing[1:].upper()}"
        elif s.missing != "_last":
            raise cannot_express("[missing] on a _score sort")
        items.append(item)
    return ["SORT " + ", ".join(items)]


def _standard(r: StandardRetriever, rows: int) -> list[str]:
    _check_base(r)
    if r.terminate_after is not None or r.search_after is not None:
        raise cannot_express("[terminate_after] or [search_after]")
    disjuncts = [scoring_condition(r.query)] if r.query is not None else []
    for s in r.knn:
        if tuple(s.filter) != tuple(r.filter):
            raise cannot_express(
                "a knn search whose filter differs from the retriever's (ES|QL pre-filters kNN "
                "with the other WHERE conditions)"
            )
        disjuncts.append((knn_call(s, rows, with_boost=True), "leaf"))
    scoring = None
    if len(disjuncts) == 1:
        scoring = disjuncts[0]
    elif disjuncts:
        scoring = (" OR ".join(text for text, _ in disjuncts), "or")
    filters = () if r.filter == (MatchAllQuery(),) else r.filter
    return _where(scoring, filters) + _sort(r.sort) + [f"LIMIT {rows}"]


def _knn(r: KnnRetriever, rows: int) -> list[str]:
    _check_base(r)
    if r.search.filter:
        raise cannot_express("a knn retriever whose search carries its own filter")
    return _where((knn_call(r.search, rows, with_boost=False), "leaf"), r.filter) + [
        f"SORT {SCORE} DESC",
        f"LIMIT {rows}",
    ]


def _branch(r: Retriever, rows: int) -> list[str]:
    if isinstance(r, CompoundRetriever):
        raise cannot_express("a compound retriever inside another one (ES|QL has one FORK)")
    return _commands(r, rows)


def _compound(r: CompoundRetriever, rows: int) -> list[str]:
    _check_base(r)
    if r.query is not None or r.fields is not None:
        # The planner expands this format from the target index's mappings (one multi_match over the
        # lexical fields, one child per semantic_text field); the printer sees no mappings.
        raise cannot_express(
            f"the multi-field [{r.kind}] format ([query] and [fields]): its children come from the index "
            "mappings; write its [retrievers] out instead"
        )
    if not 2 <= len(r.retrievers) <= 8:
        raise cannot_express("a compound retriever with fewer than 2 or more than 8 children (FORK's limits)")
    branches = []
    for entry in r.retrievers:
        if entry.normalizer is not None:
            raise cannot_express("a per-child normalizer (FUSE LINEAR has one normalizer)")
        if entry.weight <= 0:
            raise cannot_express("a weight of 0 or less (FUSE weights are positive)")
        branches.append("( " + " | ".join(_branch(entry.retriever, r.rank_window_size)) + " )")
    opts: dict[str, Any] = {}
    if isinstance(r, RrfRetriever):
        method = "FUSE"
        if r.rank_constant != DEFAULT_RANK_CONSTANT:
            opts["rank_constant"] = r.rank_constant
    else:
        assert isinstance(r, LinearRetriever)
        method = "FUSE LINEAR"
        if r.normalizer is not None:
            opts["normalizer"] = r.normalizer
    weights = {f"fork{i}": e.weight for i, e in enumerate(r.retrievers, start=1) if e.weight != 1.0}
    if weights:
        opts["weights"] = weights
    head = _where(None, r.filter)
    fork = "FORK " + "\n       ".join(branches)
    fuse = method + (f" WITH {options(opts)}" if opts else "")
    return head + [fork, fuse, f"SORT {SCORE} DESC", f"LIMIT {rows}"]


def _reranker(r: TextSimilarityReranker, rows: int, column: str | None = None) -> list[str]:
    _check_base(r)
    if r.filter:
        raise cannot_express("[filter] on a text_similarity_reranker")
    if r.chunk_rescorer is not None or r.allow_rerank_failures:
        raise cannot_express("[chunk_rescorer] or [allow_rerank_failures]")
    if r.rank_window_size > RERANK_LIMIT:
        raise cannot_express(f"a rerank window above {RERANK_LIMIT} rows (RERANK's row limit)")
    child = _commands(r.retriever, r.rank_window_size)
    target = f"{identifier(column)} = " if column else ""
    rerank = f"RERANK {target}{string(r.inference_text)} ON {identifier(r.field)}"
    if r.inference_id != DEFAULT_RERANK_INFERENCE_ID:
        rerank += f" WITH {options({'inference_id': r.inference_id})}"
    return child + [rerank, f"SORT {identifier(column or SCORE)} DESC", f"LIMIT {rows}"]


def _commands(r: Retriever, rows: int, rerank_column: str | None = None) -> list[str]:
    if isinstance(r, StandardRetriever):
        return _standard(r, rows)
    if isinstance(r, KnnRetriever):
        return _knn(r, rows)
    if isinstance(r, CompoundRetriever):
        return _compound(r, rows)
    if isinstance(r, TextSimilarityReranker):
        return _reranker(r, rows, rerank_column)
    reason = _NO_EQUIVALENT.get(r.kind)
    if reason is not None:
        raise cannot_express(f"[{r.kind}] has no ES|QL equivalent ({reason})")
    if r.kind in _OUTSIDE_SUBSET:
        raise cannot_express(f"[{r.kind}] ({_OUTSIDE_SUBSET[r.kind]})")
    raise cannot_express(f"a [{r.kind}] retriever")


#: Retriever kinds Elasticsearch 9.x's ES|QL has no command or function for, and why.
_NO_EQUIVALENT: dict[str, str] = {
    "pinned": "ES|QL has no pinned documents",
    "rule": "ES|QL does not apply query rules",
    "rescorer": "ES|QL has no rescore phase",
    "random_reranker": "SAMPLE keeps random rows but does not score them",
    "hybrid": "an OpenSearch query",
}
#: Kinds ES|QL has a command for that retrievo's ES|QL subset does not parse, so a printed form
#: could not be read back.
_OUTSIDE_SUBSET: dict[str, str] = {
    "diversify": "ES|QL's MMR command is not supported in retrievo's ES|QL",
}


def _check_request(req: SearchRequest) -> None:
    defaults = SearchRequest(index=req.index, retriever=req.retriever)
    for name, shown in (
        ("from_", "from"),
        ("source", "_source"),
        ("explain", "explain"),
        ("track_total_hits", "track_total_hits"),
        ("track_scores", "track_scores"),
        ("seq_no_primary_term", "seq_no_primary_term"),
        ("version", "version"),
        ("min_score", "min_score"),
        ("profile", "profile"),
        ("fields", "fields"),
        ("docvalue_fields", "docvalue_fields"),
        ("stored_fields", "stored_fields"),
    ):
        if getattr(req, name, None) != getattr(defaults, name, None):
            raise cannot_express(f"[{shown}] on the search request")
    if req.size > MAX_LIMIT:
        raise cannot_express(f"[size] above {MAX_LIMIT}")
    assert req.source == SourceFilter()


def to_esql(node: EsqlQuery | SearchRequest) -> str:
    """The ES|QL text of a search (one command per line, branches of FORK aligned)."""
    query = node if isinstance(node, EsqlQuery) else EsqlQuery(request=node, metadata=DEFAULT_METADATA)
    req = query.request
    _check_request(req)
    source = f"FROM {req.index}"
    if query.metadata:
        source += " METADATA " + ", ".join(query.metadata)
    column = query.rerank_column
    if column is not None and not isinstance(req.retriever, TextSimilarityReranker):
        raise cannot_express("a rerank column without a reranker")
    commands = _commands(req.retriever, req.size, column)
    commands += ["KEEP " + ", ".join(_pattern(p) for p in patterns) for patterns in query.keep]
    return "\n| ".join([source] + commands)


def _pattern(p: str) -> str:
    return p if "*" in p else identifier(p)
