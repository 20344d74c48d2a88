"""The columns of an ES|QL result: which ones, in which order, of which ES|QL type.

``FROM`` yields every mapped field (multi-fields included) in alphabetical order, then the
``METADATA`` columns in the order asked; ``FORK`` adds ``_fork``; ``RERANK <column> = ...`` adds its
column (or overwrites one of the same name). ``KEEP`` then selects and orders them with ES|QL's
precedence rules: a column goes where its most specific pattern is (an exact name beats a partial
wildcard, which beats ``*``; between equals the rightmost wins).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence

from retrievo.grammar.esql.errors import Pos, Problems
from retrievo.grammar.esql.esql_types import esql_type
from retrievo.grammar.esql.model import SCORE, EsqlQuery
from retrievo.retrievers.fusion import CompoundRetriever
from retrievo.retrievers.rerank import TextSimilarityReranker
from retrievo.retrievers.retriever import Retriever

METADATA_TYPES = {"_id": "keyword", "_index": "keyword", SCORE: "double", "_fork": "keyword"}


def column_type(es_type: str) -> str:
    """The type name a response's ``columns`` show for a mapped field."""
    t = esql_type(es_type)
    return "date" if t == "datetime" else t


def has_fork(r: Retriever) -> bool:
    if isinstance(r, CompoundRetriever):
        return True
    if isinstance(r, TextSimilarityReranker):
        return has_fork(r.retriever)
    return False


def all_columns(fields: Mapping[str, str], query: EsqlQuery) -> list[tuple[str, str]]:
    """``(name, type)`` of every column before ``KEEP``."""
    cols = [(name, column_type(es_type)) for name, es_type in sorted(fields.items())]
    cols += [(name, METADATA_TYPES[name]) for name in query.metadata]
    if has_fork(query.request.retriever):
        cols.append(("_fork", "keyword"))
    if query.rerank_column is not None:
        names = [n for n, _ in cols]
        if query.rerank_column in names:
            cols[names.index(query.rerank_column)] = (query.rerank_column, "double")
        else:
            cols.append((query.rerank_column, "double"))
    return cols


def _precedence(pattern: str) -> int:
    if "*" not in pattern:
        return 2
    return 0 if pattern == "*" else 1


def keep(
    columns: Sequence[str], patterns: Sequence[tuple[str, Pos | None]], problems: Problems | None = None
) -> list[str]:
    """The columns one ``KEEP`` keeps, in ES|QL's order."""
    winner: dict[str, tuple[int, int]] = {}
    for i, (pattern, pos) in enumerate(patterns):
        matched = [c for c in columns if (c == pattern if "*" not in pattern else fnmatch.fnmatchcase(c, pattern))]
        if not matched and problems is not None and pos is not None:
            problems.add(
                pos, f"No matches found for pattern [{pattern}]" if "*" in pattern else f"Unknown column [{pattern}]"
            )
        for c in matched:
            rank = (_precedence(pattern), i)
            if c not in winner or rank >= winner[c]:
                winner[c] = rank
    order = {c: n for n, c in enumerate(columns)}
    return sorted(winner, key=lambda c: (winner[c][1], order[c]))


def result_columns(fields: Mapping[str, str], query: EsqlQuery) -> list[tuple[str, str]]:
    """``(name, type)`` of the result's columns, ``KEEP`` applied."""
    cols = all_columns(fields, query)
    types = dict(cols)
    names = [n for n, _ in cols]
    for patterns in query.keep:
        names = keep(names, [(p, None) for p in patterns])
    return [(n, types[n]) for n in names]
