"""The multi-field ("simplified") format of ``rrf``/``linear`` over several indices (Elasticsearch 9.2+).

On one index ``planner/multi_field.py`` turns ``query`` + ``fields`` into a lexical child and a group of
``semantic_text`` children. Over several indices Elasticsearch builds ONE tree for all of them
(``MultiFieldsInnerRetrieverUtils.generateInnerRetrievers``, 9.2; 9.1 refused the format there, the
error the older YAML test still expects):

* lexical: the indices grouped by their non-``semantic_text`` fields and weights; one ``most_fields``
  ``multi_match`` per group, filtered on ``_index`` when the group is not every index; several groups
  are the SHOULD clauses of one ``bool`` (one ``standard`` child either way);
* semantic: one ``match`` child per (field, inference endpoint) pair, filtered on ``_index`` when not
  every index has the pair; a field whose weight differs between indices is an error; the children are
  grouped in a fusion of the retriever's own kind, as on one index.

Group order: Elasticsearch iterates ``HashMap``s keyed by field maps and (field, endpoint) tuples; here
groups come in index order, then field order (it changes only float summation order and which of two
tied children is listed first).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from retrievo.errors import illegal_argument
from retrievo.index.searcher import Searcher
from retrievo.planner.multi_field import (
    IndexFields,
    field_spec,
    fields_and_weights,
    inference_fields_reached,
    rewrite_multi_field,
)
from retrievo.retrievers import Retriever, StandardRetriever
from retrievo.retrievers.fusion import CompoundRetriever
from retrievo.retrievers.queries import BoolQuery, MatchNoneQuery, MatchQuery, MultiMatchQuery, Query, TermsQuery


@dataclass(frozen=True)
class TargetIndex:
    """One target index as the rewrite sees it: its fields and each ``semantic_text`` field's endpoint."""

    fields: IndexFields
    endpoints: dict[str, str]

    @staticmethod
    def of(searcher: Searcher, default_field: tuple[str, ...]) -> TargetIndex:
        fields = IndexFields.of(searcher, default_field)
        endpoints = {f: str(searcher.fields[f].inference_id) for f in fields.inference_fields}
        return TargetIndex(fields, endpoints)


def _only_on(query: Query, names: list[str], every: int) -> Query:
    """``query`` filtered to the named indices, unless they are all of them."""
    if len(names) == every:
        return query
    return BoolQuery(must=(query,), filter=(TermsQuery(field="_index", values=tuple(names)),))


def _weights_for(r: CompoundRetriever, index: IndexFields) -> dict[str, float]:
    if r.fields:
        return fields_and_weights(r.fields)
    weights = fields_and_weights(index.default_field)
    for weight in weights.values():  # the default fields are checked per index
        r.check_field_weight(weight)
    return weights


def expand(r: CompoundRetriever, targets: Sequence[TargetIndex]) -> Retriever:
    """``r`` (written with ``query``) rewritten into one child tree for all ``targets``."""
    assert r.query is not None
    if r.fields:
        for weight in fields_and_weights(r.fields).values():
            r.check_field_weight(weight)
    lexical_groups: dict[tuple[tuple[str, float], ...], list[str]] = {}
    semantic_groups: dict[tuple[str, str], list[str]] = {}
    semantic_weights: dict[tuple[str, str], float] = {}
    for target in targets:
        name = target.fields.name
        weights = _weights_for(r, target.fields)
        semantic = inference_fields_reached(weights, target.fields)
        for field, weight in semantic.items():
            key = (field, target.endpoints[field])
            if key in semantic_groups and semantic_weights[key] != weight:
                raise illegal_argument(
                    f"field [{field}] has different weights in indices [{semantic_groups[key][0]}] and [{name}]"
                )
            semantic_weights[key] = weight
            semantic_groups.setdefault(key, []).append(name)
        lexical = {f: w for f, w in weights.items() if f not in target.fields.inference_fields}
        if lexical:
            lexical_groups.setdefault(tuple(sorted(lexical.items())), []).append(name)
    every = len(targets)
    children: list[Retriever] = []
    queries = [
        _only_on(
            MultiMatchQuery(query=r.query, fields=tuple(field_spec(f, w) for f, w in group), type="most_fields"),
            names,
            every,
        )
        for group, names in lexical_groups.items()
    ]
    if len(queries) == 1:
        children.append(StandardRetriever(query=queries[0]))
    elif queries:
        children.append(StandardRetriever(query=BoolQuery(should=tuple(queries))))
    if semantic_groups:
        group = tuple(
            (
                StandardRetriever(query=_only_on(MatchQuery(field=field, query=r.query), names, every)),
                semantic_weights[key],
            )
            for key, names in semantic_groups.items()
            for field in (key[0],)
        )
        children.append(r.fields_group(group))
    if not children:
        return StandardRetriever(query=MatchNoneQuery())
    return r.fields_fusion(tuple(children))


def _index_filtered(q: Query) -> tuple[Query, tuple[str, ...]] | None:
    """(the query, the indices) when ``q`` is exactly what :func:`_only_on` builds."""
    if not isinstance(q, BoolQuery) or len(q.must) != 1 or len(q.filter) != 1:
        return None
    only = q.filter[0]
    if not isinstance(only, TermsQuery) or only.field != "_index" or q != BoolQuery(must=q.must, filter=q.filter):
        return None
    return q.must[0], tuple(str(v) for v in only.values)


def _on_index(q: Query, index: str) -> Query | None:
    """The generated query as ``index`` runs it: Elasticsearch rewrites a ``terms`` query on ``_index``
    before the shard builds anything (a bool with a ``match_none`` filter is ``match_none``), so a field
    that only another index maps as lexical text is never compiled here. ``None``: matches nothing."""
    filtered = _index_filtered(q)
    if filtered is not None:
        inner, names = filtered
        return inner if index in names else None
    if isinstance(q, BoolQuery) and q.should and q == BoolQuery(should=q.should):
        parts = [_index_filtered(c) for c in q.should]
        if all(part is not None for part in parts):
            kept = tuple(inner for inner, names in (p for p in parts if p is not None) if index in names)
            return BoolQuery(should=kept) if kept else None
    return q


def on_index(r: Retriever, index: str) -> Retriever:
    """A leaf retriever as ``index`` runs it (see :func:`_on_index`)."""
    if not isinstance(r, StandardRetriever) or r.query is None:
        return r
    query = _on_index(r.query, index)
    if query is r.query:
        return r
    return r.model_copy(update={"query": query if query is not None else MatchNoneQuery()})


def expand_over_indices(r: Retriever, targets: Sequence[TargetIndex]) -> Retriever:
    """The tree with every multi-field ``rrf``/``linear`` (at any depth) rewritten by :func:`expand`."""
    return rewrite_multi_field(r, lambda compound: expand(compound, targets))


__all__ = ["TargetIndex", "expand", "expand_over_indices", "on_index"]
