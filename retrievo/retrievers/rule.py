"""``rule``: query rules applied to a search (x-pack ent-search ``QueryRuleRetrieverBuilder``,
``RuleQueryBuilder``).

Both forms name rulesets (``ruleset_ids``, at most 10) and the ``match_criteria`` their rules are matched
against. The rulesets live in the catalog, so the AST first holds only the request; before planning, the
API layer looks the rulesets up (:mod:`retrievo.query_rules.resolve`) and either rewrites a ``rule`` query
into what Elasticsearch rewrites it to (a ``pinned`` query, a ``bool`` excluding documents, or the organic
query alone), or hands a ``rule`` retriever its :class:`AppliedDocs`: the documents to pin above the
child's results, and those to remove.
"""

from __future__ import annotations

from typing import Any, ClassVar

from retrievo.json_copy import copy_json
from retrievo.retrievers.base import Node
from retrievo.retrievers.fusion import DEFAULT_RANK_WINDOW_SIZE
from retrievo.retrievers.pinned import PinnedDoc
from retrievo.retrievers.queries import Query
from retrievo.retrievers.retriever import WrappingRetriever

#: ``RuleQueryBuilder.MAX_NUM_RULESETS``.
MAX_RULESETS = 10


class AppliedDocs(Node):
    """What the matching rules of a search's rulesets ask for, in rule order, without repeats."""

    kind: ClassVar[str] = "applied_rules"
    pinned: tuple[PinnedDoc, ...] = ()
    excluded: tuple[PinnedDoc, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"pinned": [d.to_json() for d in self.pinned], "excluded": [d.to_json() for d in self.excluded]}


class RuleRetriever(WrappingRetriever):
    kind: ClassVar[str] = "rule"
    ruleset_ids: tuple[str, ...]
    match_criteria: dict[str, Any]
    #: Set by the API layer once the rulesets are read; ``None`` until then.
    applied: AppliedDocs | None = None

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ruleset_ids": list(self.ruleset_ids), "match_criteria": self.match_criteria}
        if self.applied is not None:
            out["pinned"] = [d.to_json() for d in self.applied.pinned]
            out["excluded"] = [d.to_json() for d in self.applied.excluded]
        out["rank_window_size"] = self.rank_window_size
        return {**out, **super().describe()}

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ruleset_ids": list(self.ruleset_ids),
            "match_criteria": copy_json(self.match_criteria),
            "retriever": self.retriever.to_json(),
        }
        if self.rank_window_size != DEFAULT_RANK_WINDOW_SIZE:
            body["rank_window_size"] = self.rank_window_size
        return {"rule": {**body, **self._base_json()}}


class RuleQuery(Query):
    """The ``rule`` query before its rulesets are read (the API layer rewrites it before planning)."""

    kind: ClassVar[str] = "rule"
    organic: Query
    ruleset_ids: tuple[str, ...]
    match_criteria: dict[str, Any]

    def children(self) -> tuple[Query, ...]:
        return (self.organic,)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "organic": self.organic.to_json(),
            "match_criteria": copy_json(self.match_criteria),
            "ruleset_ids": list(self.ruleset_ids),
        }
        return {"rule": {**body, **self._common()}}
