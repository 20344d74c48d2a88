"""Lucene's limit on boolean clauses, with the number Elasticsearch 9 gives it.

Lucene refuses a query twice over: ``BooleanQuery.Builder.add`` throws ``TooManyClauses`` when one
boolean query would get more than ``IndexSearcher.maxClauseCount`` clauses (while Elasticsearch
builds the query, so a ``bool`` with 100,000 ``should`` clauses or a ``match`` analysed into 100,000
terms stops at the first clause too many), and ``IndexSearcher.rewrite`` walks the rewritten tree with
``getNumClausesCheckVisitor`` and throws ``TooManyNestedClauses`` when the leaves of the whole tree
are too many. Both are cheap and happen before any document is scored, which is the point: they are
the guard against pathological queries (a 1 MB query string included: Elasticsearch has no limit on
the text's length, only on the clauses it becomes, and on time, see ``search_timeout``).

Elasticsearch 9 no longer reads ``indices.query.bool.max_clause_count`` (deprecated, no effect): each
node computes the limit from its heap and search thread pool (``SearchUtils.calculateMaxClauseValue``:
``max(1024, heap_mb * 64 / search_threads)``, the search pool having ``processors * 3 / 2 + 1``
threads). retrievo has no JVM heap, so it uses the value a node with a 1 GB heap and 2 allocated
processors computes (1024 * 64 / 4 = 16384): a common single-node development setup, and a limit the
Python evaluator handles comfortably. It is fixed, so every retrievo process answers alike.
"""

from __future__ import annotations

from retrievo.errors import BadRequestError, bad_request, error_cause
from retrievo.lucene.query import BoolQ, BoostQ, ConstQ, DisMaxQ, LQuery, NamedQ

#: ``SearchUtils.DEFAULT_MAX_CLAUSE_COUNT``: the floor of the computed value.
DEFAULT_MAX_CLAUSE_COUNT = 1024


def search_thread_pool_size(allocated_processors: int) -> int:
    """Elasticsearch's ``search`` thread pool size (``ThreadPool.searchOrGetThreadPoolSize``)."""
    return allocated_processors * 3 // 2 + 1


def calculate_max_clause_value(thread_pool_size: int, heap_mb: int) -> int:
    """``SearchUtils.calculateMaxClauseValue``: 16 KB of heap per clause per search thread."""
    if thread_pool_size <= 0 or heap_mb <= 0:
        return DEFAULT_MAX_CLAUSE_COUNT
    return max(DEFAULT_MAX_CLAUSE_COUNT, heap_mb * 64 // thread_pool_size)


#: The limit retrievo enforces (a 1 GB heap, 2 processors: 16384); see the module docstring.
MAX_CLAUSE_COUNT = calculate_max_clause_value(search_thread_pool_size(2), 1024)


def too_many_clauses_cause(limit: int = MAX_CLAUSE_COUNT) -> dict[str, str]:
    """Lucene's ``IndexSearcher.TooManyClauses`` as Elasticsearch prints a Java exception it does not own."""
    return {"type": "too_many_clauses", "reason": f"maxClauseCount is set to {limit}"}


def too_many_nested_clauses(index: str, limit: int = MAX_CLAUSE_COUNT) -> BadRequestError:
    """What Elasticsearch answers when the rewritten tree has too many leaves: since ES 8.16
    (elastic/elasticsearch#112678) ``ContextIndexSearcher.rewrite`` turns ``TooManyNestedClauses`` into
    ``IllegalArgumentException("Query rewrite failed: too many clauses")``, a shard failure with status
    400 (the body below is the one that pull request shows)."""
    reason = "Query rewrite failed: too many clauses"
    lucene = error_cause(
        "too_many_nested_clauses", f"Query contains too many nested clauses; maxClauseCount is set to {limit}"
    )
    shard_reason = error_cause("illegal_argument_exception", reason, lucene)
    return bad_request(
        "search_phase_execution_exception",
        "all shards failed",
        caused_by=error_cause("illegal_argument_exception", reason, shard_reason),
        root_cause=[error_cause("illegal_argument_exception", reason)],
        phase="query",
        grouped=True,
        failed_shards=[{"shard": 0, "index": index, "node": "retrievo", "reason": shard_reason}],
    )


class TooManyNestedClauses(Exception):
    """The rewritten tree counts more leaves than the limit allows (``IndexSearcher.TooManyNestedClauses``)."""


def check_nested_clauses(q: LQuery, limit: int = MAX_CLAUSE_COUNT) -> None:
    """``IndexSearcher.getNumClausesCheckVisitor``: every leaf query counts one (a phrase of many terms
    too: ``consumeTerms`` adds one per call; a ``terms`` query is one ``TermInSetQuery``), boolean and
    disjunction nodes count nothing themselves, boost / constant-score / named wrappers are transparent.
    Lucene checks ``numClauses > maxClauseCount`` *before* counting each leaf, so ``limit + 1`` leaves
    still pass and the one after fails. Raises :class:`TooManyNestedClauses`."""
    count = 0
    stack: list[LQuery] = [q]
    while stack:
        node = stack.pop()
        if isinstance(node, BoolQ):
            stack.extend(reversed(node.clauses()))
        elif isinstance(node, DisMaxQ):
            stack.extend(reversed(node.queries))
        elif isinstance(node, (BoostQ, ConstQ, NamedQ)):
            stack.append(node.query)
        else:
            if count > limit:
                raise TooManyNestedClauses
            count += 1
