"""Reading a search's rulesets before it is planned (what ``RuleQueryBuilder.doRewrite`` fetches on the
coordinating node): every ``rule`` query becomes what Elasticsearch rewrites it to, and the ``rule``
retriever receives the documents to pin and to exclude.

Facts carried over from Elasticsearch:

* A named ruleset that does not exist fails the search: 404 ``resource_not_found_exception``
  ``query ruleset <id> not found``.
* The rewritten ``rule`` query is the organic query alone when no rule matched; a ``pinned`` query
  (at most 100 documents, the rest dropped) when only pins matched; ``bool`` ``must`` (the organic or the
  pinned query) ``must_not`` (the excluded documents) when some exclusion matched. The excluded documents
  are an ``ids`` query when none names an index; otherwise a ``bool`` whose ``must`` holds one ``bool``
  (``term`` on ``_id``, and on ``_index`` where named) per document — so two excluded documents that name
  indices exclude only a document matching both, as in Elasticsearch. The query's ``boost`` and ``_name``
  pass to the rewritten query when it has none of its own (``AbstractQueryBuilder.rewrite``).
* The ``rule`` retriever may only be the top-level retriever: ``[rule] must be a standalone or top level
  retriever only``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from retrievo.errors import ApiError, illegal_argument, not_found, validation_error
from retrievo.query_rules.apply import AppliedRules, Doc, apply_rulesets
from retrievo.query_rules.models import QueryRuleset
from retrievo.query_rules.store import RulesetStore
from retrievo.retrievers.base import Node
from retrievo.retrievers.node_fields import node_fields
from retrievo.retrievers.pinned import MAX_PINNED, PinnedDoc, PinnedQuery
from retrievo.retrievers.queries import BoolQuery, IdsQuery, Query, TermQuery
from retrievo.retrievers.retriever import Retriever
from retrievo.retrievers.rule import MAX_RULESETS, AppliedDocs, RuleQuery, RuleRetriever
from retrievo.retrievers.search import SearchRequest


def _missing(ruleset_id: str) -> ApiError:
    return not_found("resource_not_found_exception", f"query ruleset {ruleset_id} not found")


def rulesets_of(store: RulesetStore, ids: Sequence[str]) -> list[QueryRuleset]:
    """The rulesets named, in order; the first missing one fails the search."""
    out = []
    for ruleset_id in ids:
        try:
            out.append(store.get(ruleset_id))
        except ApiError:
            raise _missing(ruleset_id) from None
    return out


def _pinned_docs(docs: Sequence[Doc]) -> tuple[PinnedDoc, ...]:
    return tuple(PinnedDoc(id=i, index=index) for index, i in docs[:MAX_PINNED])


def excluded_query(docs: Sequence[Doc]) -> Query:
    """``RuleQueryBuilder.buildExcludedDocsQuery``."""
    if all(index is None for index, _ in docs):
        return IdsQuery(values=tuple(i for _, i in docs))
    clauses = []
    for index, i in docs:
        parts: tuple[Query, ...] = (TermQuery(field="_id", value=i),)
        if index is not None:
            parts += (TermQuery(field="_index", value=index),)
        clauses.append(BoolQuery(must=parts))
    return BoolQuery(must=tuple(clauses))


def rewrite_rule_query(q: RuleQuery, applied: AppliedRules) -> Query:
    """The query Elasticsearch rewrites a ``rule`` query to, given what its rules asked for."""
    out: Query = q.organic
    if applied.pinned:
        out = PinnedQuery(organic=q.organic, docs=_pinned_docs(applied.pinned))
    if applied.excluded:
        out = BoolQuery(must=(out,), must_not=(excluded_query(applied.excluded),))
    updates: dict[str, Any] = {}
    if q.name is not None and out.name is None:
        updates["name"] = q.name
    if q.boost != 1.0 and out.boost == 1.0:
        updates["boost"] = q.boost
    return out.model_copy(update=updates) if updates else out


def _check_retriever(r: RuleRetriever) -> None:
    """The checks of the ``rule`` query the retriever wraps its child's query in."""
    if not r.match_criteria:
        raise illegal_argument("matchCriteria must not be null or empty")
    if not r.ruleset_ids:
        raise illegal_argument("rulesetIds must not be null or empty")
    if len(r.ruleset_ids) > MAX_RULESETS:
        raise illegal_argument(f"rulesetIds must not contain more than {MAX_RULESETS} rulesets")
    if any(not i for i in r.ruleset_ids):
        raise illegal_argument("rulesetIds must not contain null or empty values")


def _check_nesting(r: Retriever, top: bool) -> None:
    if isinstance(r, RuleRetriever) and not top:
        raise validation_error("[rule] must be a standalone or top level retriever only")
    for child in r.children():
        _check_nesting(child, False)


def _rebuild(value: Any, visit: Callable[[Node], Node]) -> Any:
    """``value`` with every AST node in it rebuilt bottom-up by ``visit`` (unchanged parts are kept)."""
    if isinstance(value, Node):
        updates = {}
        for name in node_fields(type(value)):  # scalar fields cannot hold a rule query
            old = getattr(value, name)
            new = _rebuild(old, visit)
            if new is not old:
                updates[name] = new
        return visit(value.model_copy(update=updates) if updates else value)
    if isinstance(value, (tuple, list)):
        if not value or not isinstance(value[0], (Node, tuple, list)):
            return value  # scalars (a query vector's floats, ids): nothing to rebuild
        items = [_rebuild(v, visit) for v in value]
        if all(a is b for a, b in zip(items, value)):
            return value
        return tuple(items) if isinstance(value, tuple) else items
    return value


def apply_query_rules(request: SearchRequest, store: RulesetStore) -> SearchRequest:
    """``request`` with its rulesets read: ``rule`` queries rewritten, the ``rule`` retriever's documents
    set. A request without either comes back as it is."""
    _check_nesting(request.retriever, True)

    def visit(node: Node) -> Node:
        if isinstance(node, RuleQuery):
            applied = apply_rulesets(rulesets_of(store, node.ruleset_ids), node.match_criteria)
            return rewrite_rule_query(node, applied)
        if isinstance(node, RuleRetriever) and node.applied is None:
            _check_retriever(node)
            applied = apply_rulesets(rulesets_of(store, node.ruleset_ids), node.match_criteria)
            docs = AppliedDocs(
                pinned=_pinned_docs(applied.pinned),
                excluded=tuple(PinnedDoc(id=i, index=index) for index, i in applied.excluded),
            )
            return node.model_copy(update={"applied": docs})
        return node

    rebuilt: SearchRequest = _rebuild(request, visit)
    return rebuilt
