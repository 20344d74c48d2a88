"""The ES|QL front end: the ES|QL search subset ↔ the retrievo AST.

Public API::

    parse_esql(text, *, params=None, fields=None) -> EsqlQuery   # ES|QL → AST (+ result columns)
    to_esql(node) -> str                                          # AST (EsqlQuery or SearchRequest) → ES|QL

``EsqlQuery.request`` is the same :class:`~retrievo.retrievers.search.SearchRequest` the JSON front
end builds, so an ES|QL search plans and runs exactly like its retriever-JSON form. ``fields``
resolves the index named in ``FROM`` to its fields (``path → type``); with it, column references
are verified the way ES|QL verifies them. The pieces: ``esql.lark`` (grammar), ``syntax`` (parse
tree → commands, typed in ``syntax_tree``), ``where`` (conditions → queries; its normal form in
``conditions``, its leaves in ``comparisons`` and ``full_text``, ES|QL types in ``esql_types``),
``pipeline`` (commands → retrievers), ``columns`` (result columns), ``model`` (:class:`EsqlQuery`),
``printer`` (AST → text), ``errors``.
See docs/esql.md for the subset, the mapping and where ES|QL and the retriever API differ.
"""

from __future__ import annotations

from retrievo.grammar.esql.model import EsqlQuery
from retrievo.grammar.esql.pipeline import parse_esql
from retrievo.grammar.esql.printer import to_esql

__all__ = ["EsqlQuery", "parse_esql", "to_esql"]
