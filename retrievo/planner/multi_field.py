"""The multi-field ("simplified") format of ``rrf`` and ``linear``: ``query`` + ``fields`` → child retrievers.

Elasticsearch rewrites the format per target index once the indices are resolved
(``MultiFieldsInnerRetrieverUtils.generateInnerRetrievers``, called from each kind's ``doRewrite``),
because which fields are ``semantic_text`` is only known from the mappings. This module is that
rewrite, run by :func:`retrievo.planner.plan.build_plan` before the logical rules, so ``explain``,
``profile`` and the plan view all show the children it generated:

* the field list is ``fields`` (``name^weight``, wildcards allowed) or, when not given, the index's
  ``index.query.default_field`` (default ``*``), parsed as Elasticsearch's
  ``QueryParserHelper.parseFieldsAndWeights`` does;
* every name or pattern that names ``semantic_text`` fields contributes those fields (weights of a
  field reached twice multiply); everything else stays a lexical field or pattern;
* the lexical fields → one ``standard`` child with a ``most_fields`` ``multi_match`` (weights kept as
  boosts); the ``semantic_text`` fields → one ``standard`` child with a ``match`` query each, grouped
  in a fusion of the retriever's own kind with the per-field weights (``fields_group``);
* the retriever becomes a fusion of those (up to) two children, weight 1 each, with its filters
  (``fields_fusion``); it drops ``_name`` and ``min_score`` as Elasticsearch does.

Elasticsearch generates one child tree for all the target indices (9.2+); a plan searches one index,
so here it is that index's pair. Over several indices ``api/multi_index_fields.py`` builds the shared
tree (fields grouped per index, ``_index`` filters) from these functions. Orders follow Java's
``HashMap`` iteration where Elasticsearch iterates one (the semantic group's children: ranks tie-break
by child order, ``explain`` lists them).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from retrievo.errors import bad_request
from retrievo.index.searcher import Searcher
from retrievo.java_order import hashmap_order
from retrievo.lucene.java_format import java_float
from retrievo.retrievers import Retriever, StandardRetriever
from retrievo.retrievers.fusion import CompoundRetriever
from retrievo.retrievers.queries import MatchNoneQuery, MatchQuery, MultiMatchQuery

#: ``Float.parseFloat``: optional sign, decimal or exponent digits, an optional type suffix; or the
#: special names. (Hexadecimal floats are left out: nobody boosts a field with ``0x1p3``.)
_JAVA_FLOAT = re.compile(r"[+-]?(NaN|Infinity|((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)[fFdD]?)")
_JAVA_HASHMAP_CAPACITY = 16  # ``new HashMap<>()``


@dataclass(frozen=True)
class IndexFields:
    """What the rewrite needs to know of one target index."""

    name: str
    #: The ``semantic_text`` fields (Elasticsearch's inference fields), in mapping order.
    inference_fields: tuple[str, ...]
    #: ``index.query.default_field``.
    default_field: tuple[str, ...] = ("*",)

    @staticmethod
    def of(searcher: Searcher, default_field: tuple[str, ...] = ("*",)) -> IndexFields:
        semantic = tuple(path for path, fi in searcher.fields.items() if fi.type == "semantic_text")
        return IndexFields(searcher.index_name, semantic, default_field)


def java_parse_float(text: str) -> float:
    """``Float.parseFloat``: float32 precision; a bad number is Elasticsearch's
    ``number_format_exception`` (``NumberFormatException`` is a 400)."""
    stripped = text.strip()
    if not _JAVA_FLOAT.fullmatch(stripped):
        reason = "empty String" if not stripped else f'For input string: "{text}"'
        raise bad_request("number_format_exception", reason)
    value = float(stripped.rstrip("fFdD").replace("Infinity", "inf"))
    return float(np.float32(value))


def fields_and_weights(fields: Iterable[str]) -> dict[str, float]:
    """``QueryParserHelper.parseFieldsAndWeights``, in the order its ``HashMap`` iterates.

    Elasticsearch's duplicate handling looks the *unparsed* entry up, so ``a^2`` twice keeps 2, while
    a plain ``a`` twice multiplies 1 by 1; a repeated name keeps the last weight otherwise."""
    parsed: dict[str, float] = {}
    for spec in fields:
        name, caret, boost = spec.partition("^")
        weight = java_parse_float(boost) if caret else 1.0
        if spec in parsed:
            weight = float(np.float32(weight * parsed[spec]))
        parsed[name] = weight
    return {name: parsed[name] for name in hashmap_order(parsed, _JAVA_HASHMAP_CAPACITY)}


def _is_pattern(name: str) -> bool:
    """``Regex.isSimpleMatchPattern``: the only wildcard is ``*``."""
    return "*" in name


def _simple_match(pattern: str, name: str) -> bool:
    """``Regex.simpleMatch``: ``*`` matches any run of characters, nothing else is special."""
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, name, flags=re.DOTALL) is not None


def inference_fields_reached(weights: dict[str, float], index: IndexFields) -> dict[str, float]:
    """The ``semantic_text`` fields the names and patterns reach, with their weights (multiplied when a
    field is reached more than once), in ``HashMap`` order."""
    reached: dict[str, float] = {}

    def add(field: str, weight: float) -> None:
        reached[field] = weight if field not in reached else float(np.float32(reached[field] * weight))

    for name, weight in weights.items():
        if _is_pattern(name):
            for field in index.inference_fields:
                if name == "*" or _simple_match(name, field):
                    add(field, weight)
        elif name in index.inference_fields:
            add(name, weight)
    return {field: reached[field] for field in hashmap_order(reached, _JAVA_HASHMAP_CAPACITY)}


def field_spec(name: str, weight: float) -> str:
    """A ``multi_match`` field entry with its boost, printed as Elasticsearch prints it (``text_2^3.0``)."""
    return name if weight == 1.0 else f"{name}^{java_float(weight)}"


def children_for_index(r: CompoundRetriever, query: str, index: IndexFields) -> list[Retriever]:
    """The (up to) two children one target index contributes: lexical, then the semantic group."""
    weights = fields_and_weights(r.fields) if r.fields else fields_and_weights(index.default_field)
    if not r.fields:  # the default fields are checked per index, after the request's own
        for weight in weights.values():
            r.check_field_weight(weight)
    semantic = inference_fields_reached(weights, index)
    lexical = {name: w for name, w in weights.items() if name not in semantic}
    out: list[Retriever] = []
    if lexical:
        specs = tuple(field_spec(name, lexical[name]) for name in sorted(lexical))
        out.append(StandardRetriever(query=MultiMatchQuery(query=query, fields=specs, type="most_fields")))
    if semantic:
        group = tuple(
            (StandardRetriever(query=MatchQuery(field=field, query=query)), weight)
            for field, weight in semantic.items()
        )
        out.append(r.fields_group(group))
    return out


def expand(r: CompoundRetriever, indices: Sequence[IndexFields]) -> Retriever:
    """The retriever ``r`` (written with ``query``) rewritten into child retrievers for ``indices``.

    With no index at all (an index pattern that matched nothing) it matches nothing, as in
    Elasticsearch."""
    assert r.query is not None
    if r.fields:
        for weight in fields_and_weights(r.fields).values():
            r.check_field_weight(weight)
    children = [child for index in indices for child in children_for_index(r, r.query, index)]
    if not children:
        return StandardRetriever(query=MatchNoneQuery())
    return r.fields_fusion(tuple(children))


def expand_multi_field(r: Retriever, indices: Sequence[IndexFields]) -> Retriever:
    """The tree with every multi-field ``rrf``/``linear`` (at any depth) rewritten by :func:`expand`;
    the very same tree when there is none."""
    return rewrite_multi_field(r, lambda compound: expand(compound, indices))


def rewrite_multi_field(r: Retriever, rewrite: Callable[[CompoundRetriever], Retriever]) -> Retriever:
    """The tree with every multi-field ``rrf``/``linear`` (at any depth) replaced by ``rewrite``'s answer."""
    if isinstance(r, CompoundRetriever) and r.query is not None:
        return rewrite(r)
    children = r.children()
    if not children:
        return r
    return r.with_children(tuple(rewrite_multi_field(c, rewrite) for c in children))
