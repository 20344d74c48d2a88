"""Fuzzy matching inside ``match``/``multi_match``: ``fuzziness`` and the parameters that tune it.

Kept apart from :mod:`retrievo.retrievers.queries` (which holds the queries that carry it) and from
:mod:`retrievo.retrievers.multi_term_queries` (the ``fuzzy`` query itself) so both can import it.
"""

from __future__ import annotations

from typing import Any

from retrievo.retrievers.base import Node


class FuzzyOptions(Node):
    """``fuzziness`` in Elasticsearch's ``Fuzziness.asString`` form, and its companions."""

    fuzziness: str
    prefix_length: int = 0
    max_expansions: int = 50
    transpositions: bool = True
    rewrite: str | None = None

    def to_json(self) -> dict[str, Any]:
        return self.params(with_max_expansions=True)

    def params(self, *, with_max_expansions: bool) -> dict[str, Any]:
        """The query parameters as ``match`` prints them (defaults left out)."""
        out: dict[str, Any] = {"fuzziness": self.fuzziness}
        if self.prefix_length:
            out["prefix_length"] = self.prefix_length
        if with_max_expansions and self.max_expansions != 50:
            out["max_expansions"] = self.max_expansions
        if not self.transpositions:
            out["fuzzy_transpositions"] = False
        if self.rewrite is not None:
            out["fuzzy_rewrite"] = self.rewrite
        return out
