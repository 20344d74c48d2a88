"""The deprecated ``rank: {"rrf": {...}}`` and ``sub_searches`` search sections.

Elasticsearch 9 still accepts them (with deprecation warnings) and validates them as it always did,
in ``SearchSourceBuilder.validate`` — hence the ``[rank] requires ...`` messages, not the rrf
retriever's own — and then turns the request into an ``rrf`` retriever
(``RRFRankBuilder.toRetriever``, the ``transform_rank_rrf_to_retriever`` capability). That is what
this module does too: it parses both sections, reports the legacy checks, and builds the
:class:`RrfRetriever` that the planner runs, so the legacy form has exactly the retriever's
scores, explanations and pagination (and, like a retriever response, no ``_rank`` on hits).

The translation is Elasticsearch's: one ``standard`` child per sub search (the top-level ``query``
is a sub search), in order, named by the query's ``_name``; then one ``knn`` child per top-level
kNN search, named by its ``_name``. Elasticsearch's translation copies a kNN search's field,
vector, ``k``, ``num_candidates``, ``similarity`` and ``rescore_vector`` and nothing else, so a
kNN search's ``filter`` and ``boost`` are dropped here as they are there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from retrievo.errors import bad_request, error_cause, illegal_argument, not_supported, parsing_error
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import x_content
from retrievo.grammar.json.objects import OBJECT, Field, int_field, parse_object
from retrievo.grammar.json.queries import parse_top_level_query
from retrievo.retrievers.fusion import DEFAULT_RANK_CONSTANT, RetrieverEntry, RrfRetriever
from retrievo.retrievers.knn import KnnRetriever, KnnSearch
from retrievo.retrievers.queries import Query
from retrievo.retrievers.retriever import DEFAULT_RANK_WINDOW_SIZE, Retriever
from retrievo.retrievers.standard import StandardRetriever

#: Rank builders Elasticsearch 9 registers under ``rank`` (the x-pack ``rank-rrf`` plugin's one).
_RANK_BUILDERS = ("rrf",)

#: The name ``SubSearchSourceBuilder``'s object parser reports in its errors.
_SUB_SEARCH = "sub_search_source_builder"

#: Top-level keys whose meaning beside ``rank`` retrievo has not established; rejected rather than
#: guessed (Elasticsearch's translation into a retriever leaves them on the request).
_UNSETTLED_WITH_RANK = ("sort", "search_after", "terminate_after", "min_score")


@dataclass(frozen=True)
class RrfRank:
    """``rank.rrf``: the window and the constant (``RRFRankBuilder``)."""

    rank_window_size: int = DEFAULT_RANK_WINDOW_SIZE
    rank_constant: int = DEFAULT_RANK_CONSTANT


def parse_rank(value: dict[str, Any]) -> RrfRank:
    """``rank``: exactly one named rank builder, of which Elasticsearch 9 knows ``rrf``."""
    if not value:
        raise parsing_error("expected a rank name, but found token [START_OBJECT] for [rank]")
    name, body = next(iter(value.items()))
    if name not in _RANK_BUILDERS:
        raise bad_request("named_object_not_found_exception", f"unknown field [{name}]")
    if not isinstance(body, dict):
        raise x_content(f"[{name}] Expected START_OBJECT but was: {jv.token_of(body)}")
    parsed = parse_object(name, body, {"rank_window_size": int_field(), "rank_constant": int_field()})
    if len(value) > 1:
        raise parsing_error("expected token '}', but found token [FIELD_NAME] for [rank]")
    rank = RrfRank(
        rank_window_size=parsed.get("rank_window_size", DEFAULT_RANK_WINDOW_SIZE),
        rank_constant=parsed.get("rank_constant", DEFAULT_RANK_CONSTANT),
    )
    if rank.rank_constant < 1:
        raise illegal_argument("[rank_constant] must be greater or equal to [1] for [rrf]")
    return rank


def _sub_search(item: Any) -> Query:
    """One ``sub_searches`` element: ``SubSearchSourceBuilder``'s parser, whose one field, ``query``, is required."""
    if not isinstance(item, dict):
        raise x_content(f"malformed query within the [sub_searches] field; found {jv.token_of(item)}")
    parsed = parse_object(_SUB_SEARCH, item, {"query": Field(OBJECT, parse_top_level_query)})
    if "query" not in parsed:
        raise x_content(
            f"[{_SUB_SEARCH}] failed to parse object",
            cause=error_cause("illegal_argument_exception", "Required [query]"),
        )
    query: Query = parsed["query"]
    return query


def parse_sub_searches(value: list[Any]) -> tuple[Query, ...]:
    """``sub_searches``: the queries, in order."""
    return tuple(_sub_search(item) for item in value)


def sub_searches(body: dict[str, Any], parsed: dict[str, Any]) -> tuple[Query, ...]:
    """The request's sub searches: the ``sub_searches`` section, or the top-level ``query`` as the only one.

    Elasticsearch stores a top-level ``query`` as a sub search, so the two cannot both be given.
    """
    if "query" in body and "sub_searches" in body:
        keys = list(body)
        if keys.index("query") < keys.index("sub_searches"):
            raise illegal_argument("cannot specify field [sub_searches] and field [query]")
        if parsed["sub_searches"]:
            raise illegal_argument("cannot specify field [query] and field [sub_searches]")
        return (parsed["query"],)
    if "sub_searches" in parsed:
        return tuple(parsed["sub_searches"])
    return (parsed["query"],) if parsed.get("query") is not None else ()


def _knn_count(raw: Any) -> int:
    if raw is None:
        return 0
    return len(raw) if isinstance(raw, list) else 1


def validation_failures(body: dict[str, Any], parsed: dict[str, Any]) -> list[str]:
    """``SearchSourceBuilder.validate``'s checks of ``sub_searches`` and ``rank``, in its order."""
    failures: list[str] = []
    subs = len(parsed.get("sub_searches", ())) or (1 if parsed.get("query") is not None else 0)
    rank: RrfRank | None = parsed.get("rank")
    if subs >= 2 and rank is None:
        failures.append("[sub_searches] requires [rank]")
    if rank is None:
        return failures
    size = parsed.get("size", 10)
    if size == 0:
        failures.append("[rank] requires [size] greater than [0]")
    if size > rank.rank_window_size:
        failures.append(
            f"[rank] requires [rank_window_size: {rank.rank_window_size}] be greater than or equal to [size: {size}]"
        )
    if subs + _knn_count(body.get("knn")) < 2:
        failures.append(
            "[rank] requires a minimum of [2] result sets using a combination of sub searches and/or knn searches"
        )
    if parsed.get("rescore"):
        failures.append("[rank] cannot be used with [rescore]")
    return failures


def check_supported(body: dict[str, Any]) -> None:
    """Reject what retrievo does not run beside ``rank`` (see :data:`_UNSETTLED_WITH_RANK`)."""
    for key in _UNSETTLED_WITH_RANK:
        if key in body:
            raise not_supported(f"[rank] with [{key}]", "use an [rrf] retriever")


def _knn_child(search: KnnSearch) -> Retriever:
    """A top-level kNN search as ``RRFRankBuilder.toRetriever`` rebuilds it (no filter, no boost)."""
    bare = search.model_copy(update={"filter": (), "boost": 1.0, "name": None})
    return KnnRetriever(search=bare, name=search.name)


def to_rrf_retriever(rank: RrfRank, queries: tuple[Query, ...], knn: tuple[KnnSearch, ...]) -> RrfRetriever:
    """The ``rrf`` retriever Elasticsearch runs for a legacy ``rank.rrf`` request."""
    children: list[Retriever] = [StandardRetriever(query=q, name=q.name) for q in queries]
    children += [_knn_child(k) for k in knn]
    if len(children) < 2:
        raise illegal_argument("[rrf] requires at least 2 sub-queries to be defined")
    return RrfRetriever(
        retrievers=tuple(RetrieverEntry(retriever=c, wrapped=False) for c in children),
        rank_window_size=rank.rank_window_size,
        rank_constant=rank.rank_constant,
    )
