"""Lucene-level queries: what the query DSL compiles into, and what Lucene's rewrites operate on.

Elasticsearch turns each DSL query into Lucene queries (``match`` → a ``BooleanQuery`` of
``TermQuery``s, ``multi_match`` → ``DisjunctionMaxQuery``, ...), Lucene rewrites them (merging
duplicate clauses, flattening nested disjunctions), and the rewritten tree is what gets scored.
Reproducing scores bit for bit needs the same tree, so retrievo keeps the same level of description.
Nodes are frozen and hashable: the duplicate-merging rewrite compares them by value, as Lucene does
with ``equals``/``hashCode``. ``str()`` gives Lucene's ``toString`` form, which is what the plan prints.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from retrievo.errors import illegal_argument
from retrievo.index.ip_values import ip_query_text
from retrievo.java_text import java_float_str
from retrievo.lucene import query_text as qt
from retrievo.lucene.combined_fields import CombinedFieldQ
from retrievo.lucene.function_score import BoostingQ, FunctionScoreQ, RankFeatureQ, TermsSetQ
from retrievo.lucene.prefix_span import PrefixSpanQ


def _fmt_boost(boost: float) -> str:
    from retrievo.lucene.java_format import java_float

    return java_float(boost)


@dataclass(frozen=True)
class TermQ:
    """A BM25-scored term (text, keyword or boolean field)."""

    field: str
    term: str

    def __str__(self) -> str:
        return f"{self.field}:{self.term}"


@dataclass(frozen=True)
class BlendedTermQ:
    """A term scored with another document frequency: what Lucene's ``BlendedTermQuery`` (a fuzzy query's
    default top-terms-blended rewrite) gives each term (``lucene/multi_term.py`` scores it). Not a
    ``TermQ``: code that reads a ``TermQ``'s statistics from the index must not take it for one."""

    field: str
    term: str
    doc_freq: int

    def __str__(self) -> str:
        return f"{self.field}:{self.term}"


@dataclass(frozen=True)
class PhraseQ:
    """Terms at relative positions (gaps kept), exact when ``slop`` is 0."""

    field: str
    terms: tuple[str, ...]
    positions: tuple[int, ...]
    slop: int = 0

    def __str__(self) -> str:
        words, last = [], -1
        for t, p in zip(self.terms, self.positions):
            words.extend(["?"] * max(0, p - last - 1))
            words.append(t)
            last = p
        tail = f"~{self.slop}" if self.slop else ""
        return f'{self.field}:"{" ".join(words)}"{tail}'


@dataclass(frozen=True)
class SynonymQ:
    """Terms stacked at one position scored as one pseudo-term (Lucene's ``SynonymQuery``; the scoring
    lives in ``lucene/synonym_query.py``). ``terms`` are sorted as Lucene's builder sorts them."""

    field: str
    terms: tuple[str, ...]

    def __str__(self) -> str:
        return "Synonym(" + " ".join(f"{self.field}:{t}" for t in self.terms) + ")"


#: A span query tree: ``("term", text)``, ``("or", (spans...))``, ``("near", (spans...))`` (ordered, slop 0)
#: or, inside a near, ``("gap", width)`` (``SpanGapQuery``).
SpanTree = tuple


@dataclass(frozen=True)
class SpanGraphQ:
    """The span query Elasticsearch builds for a ``match_phrase`` over a synonym graph without slop
    (``SpanNearQuery`` of ``SpanOrQuery``s of terms and sub-phrases; scored in ``lucene/span_graph.py``)."""

    field: str
    tree: SpanTree

    def __str__(self) -> str:
        def text(node: SpanTree) -> str:
            if node[0] == "term":
                return f"{self.field}:{node[1]}"
            if node[0] == "gap":  # SpanGapQuery.toString(field) of the "" the top query is printed with
                return f"SpanGap(:{node[1]})"
            inner = ", ".join(text(child) for child in node[1])
            return f"spanOr([{inner}])" if node[0] == "or" else f"spanNear([{inner}], 0, true)"

        return text(self.tree)


@dataclass(frozen=True)
class MultiPhraseQ:
    """A phrase whose positions each accept any of several terms (Lucene's ``MultiPhraseQuery``: a
    phrase over stacked tokens; scored in ``lucene/multi_phrase.py``)."""

    field: str
    groups: tuple[tuple[str, ...], ...]
    positions: tuple[int, ...]
    slop: int = 0

    def __str__(self) -> str:
        words, last = [], -1
        for group, p in zip(self.groups, self.positions):
            words.extend(["?"] * max(0, p - last - 1))
            words.append(group[0] if len(group) == 1 else "(" + " ".join(group) + ")")
            last = p
        tail = f"~{self.slop}" if self.slop else ""
        return f'{self.field}:"{" ".join(words)}"{tail}'


@dataclass(frozen=True)
class BoolQ:
    must: tuple[LQuery, ...] = ()
    should: tuple[LQuery, ...] = ()
    filter: tuple[LQuery, ...] = ()
    must_not: tuple[LQuery, ...] = ()
    msm: int = 0

    def clauses(self) -> tuple[LQuery, ...]:
        return self.must + self.should + self.filter + self.must_not

    def __str__(self) -> str:
        parts = (
            [f"+{_wrap(q)}" for q in self.must]
            + [_wrap(q) for q in self.should]
            + [f"#{_wrap(q)}" for q in self.filter]
            + [f"-{_wrap(q)}" for q in self.must_not]
        )
        body = " ".join(parts)
        return f"({body})~{self.msm}" if self.msm else body


@dataclass(frozen=True)
class DisMaxQ:
    queries: tuple[LQuery, ...]
    tie: float = 0.0

    def __str__(self) -> str:
        body = " | ".join(str(q) for q in self.queries)
        return f"({body})~{_fmt_boost(self.tie)}" if self.tie else f"({body})"


@dataclass(frozen=True)
class BoostQ:
    query: LQuery
    boost: float

    def __str__(self) -> str:
        return f"({self.query})^{_fmt_boost(self.boost)}"


@dataclass(frozen=True)
class ConstQ:
    """Every match of ``query`` scores the boost (Lucene's ``ConstantScoreQuery``)."""

    query: LQuery

    def __str__(self) -> str:
        return f"ConstantScore({self.query})"


@dataclass(frozen=True)
class MatchAllQ:
    def __str__(self) -> str:
        return "*:*"


@dataclass(frozen=True)
class MatchNoneQ:
    reason: str = ""

    def __str__(self) -> str:
        return f'MatchNoDocsQuery("{self.reason}")'


#: ``DocSetQ`` kinds of multi-term queries rewritten to a constant score (``lucene/multi_term.py``).
MULTI_TERM_KINDS = frozenset({"fuzzy", "wildcard", "regexp", "prefix_rewrite"})


@dataclass(frozen=True)
class DocSetQ:
    """A constant-score set of documents computed from doc values or the term dictionary.

    ``kind`` is one of ``range``, ``exists``, ``ids``, ``terms``, ``prefix``; ``args`` holds what the
    evaluator needs (hashable). Range, exists, ids, terms and prefix queries all score ``1 × boost``
    in Elasticsearch, so one node type serves them all.
    """

    kind: str
    field: str
    args: tuple[Any, ...] = ()
    #: The mapped type of ``field`` (``integer``, ``float``, ``date`` ...) for ``range``/``points``: it
    #: decides how Lucene prints the bounds (``integer:[2 TO 2147483647]``, ``f:[2.0 TO Infinity]``).
    value_type: str = ""

    def __str__(self) -> str:
        """Lucene's ``toString`` of the query Elasticsearch builds for this kind (``query_text``)."""
        a = self.args
        if self.value_type == "ip":  # InetAddressPoint queries print addresses (index/ip_values.py)
            return ip_query_text(self.field, self.kind, a)
        if self.kind == "range" and self.value_type:
            return qt.point_range_text(self.field, self.value_type, a[0], a[1], a[2], a[3])
        if self.kind == "points" and self.value_type:
            return qt.point_set_text(self.field, self.value_type, a)
        if self.kind == "terms":
            return qt.term_set_text(self.field, a)
        if self.kind == "ids":
            return qt.ids_text(a)
        if self.kind == "term_range":
            return qt.term_range_text(self.field, a[0], a[1], a[2], a[3])
        if self.kind == "prefix" and not a[1]:
            return qt.prefix_text(self.field, a[0])
        if self.kind == "exists":
            return qt.exists_text(a)
        if self.kind in MULTI_TERM_KINDS:  # (Lucene's toString, the expanded terms): lucene/multi_term.py
            return str(a[0])
        return f"{self.kind}({self.field}{':' if a else ''}{','.join(map(str, a))})"


@dataclass(frozen=True)
class KnnHitsQ:
    """The hits of a kNN search run before scoring (a slot into the evaluator's ``knn_hits``).

    Elasticsearch runs a top-level kNN search first and adds its hits to the query as a
    ``KnnScoreDocQuery`` SHOULD clause; this is that clause. A ``knn`` query compiles to one too
    (``from_query``): Lucene's kNN query also finds its top k before scoring, and explains a hit only as
    one of them.
    """

    slot: int
    label: str = ""
    from_query: bool = False

    def __str__(self) -> str:
        return f"KnnHits({self.label or self.slot})"


@dataclass(frozen=True)
class FeatureQ:
    """One feature of a ``sparse_vector`` field scored linearly (Lucene's ``FeatureField.newLinearQuery``
    inside a ``BoostQuery`` of the query weight): boost × the feature's decoded (truncated) value."""

    field: str
    feature: str

    def __str__(self) -> str:
        return f"FeatureQuery(field={self.field}, feature={self.feature}, function=LinearFunction)"


@dataclass(frozen=True)
class NestedFeaturesQ:
    """A sparse ``semantic_text`` field searched by tokens: Elasticsearch's nested ``sparse_vector`` query
    over the field's chunks with ``score_mode: max`` — each chunk scores like a :class:`FeatureQ`
    disjunction, a document scores its best chunk. ``tokens`` are the (pruned) weighted query tokens."""

    field: str
    tokens: tuple[tuple[str, float], ...]

    def __str__(self) -> str:
        inner = " ".join(f"({self.field}.inference.chunks.embeddings:{t})^{_fmt_boost(w)}" for t, w in self.tokens)
        return f"ToParentBlockJoinQuery ({inner})"


@dataclass(frozen=True)
class NestedQ:
    """Elasticsearch's ``nested`` query (Lucene's ``ToParentBlockJoinQuery``): ``query`` is compiled for
    and scored on the rows of the nested ``path`` (``index/nested.py``), and each parent is scored from
    its matching rows by ``score_mode`` (``lucene/nested.py``)."""

    path: str
    query: LQuery
    score_mode: str = "avg"

    def __str__(self) -> str:
        return f"ToParentBlockJoinQuery ({self.query})"


@dataclass(frozen=True)
class NamedQ:
    """A query with Elasticsearch's ``_name``: scoring is untouched, matches are reported per hit."""

    query: LQuery
    name: str

    def __str__(self) -> str:
        return str(self.query)


LQuery = (
    TermQ
    | BlendedTermQ
    | PhraseQ
    | MultiPhraseQ
    | SpanGraphQ
    | SynonymQ
    | BoolQ
    | DisMaxQ
    | BoostQ
    | ConstQ
    | MatchAllQ
    | MatchNoneQ
    | DocSetQ
    | KnnHitsQ
    | NamedQ
    | FeatureQ
    | NestedFeaturesQ
    | NestedQ
    | FunctionScoreQ
    | BoostingQ
    | RankFeatureQ
    | TermsSetQ
    | CombinedFieldQ
    | PrefixSpanQ
)


def _wrap(q: LQuery) -> str:
    return f"({q})" if isinstance(q, BoolQ) else str(q)


def unboost(q: LQuery) -> tuple[LQuery, float]:
    """Strip ``BoostQ`` wrappers, multiplying their boosts as Lucene does (float32)."""
    if not isinstance(q, BoostQ):  # the usual clause: no numpy scalars to make
        return q, 1.0
    boost = np.float32(1.0)
    while isinstance(q, BoostQ):
        boost = np.float32(boost * np.float32(q.boost))
        q = q.query
    return q, float(boost)


def boosted(q: LQuery, boost: float) -> LQuery:
    if not math.isfinite(boost):  # Lucene's BoostQuery constructor refuses it
        raise illegal_argument(f"boost must be a positive float, got {java_float_str(boost)}")
    return q if boost == 1.0 else BoostQ(q, boost)


def children(q: LQuery) -> tuple[LQuery, ...]:
    if isinstance(q, BoolQ):
        return q.clauses()
    if isinstance(q, DisMaxQ):
        return q.queries
    if isinstance(q, (BoostQ, ConstQ, NamedQ)):
        return (q.query,)
    if isinstance(q, (FunctionScoreQ, BoostingQ, TermsSetQ)):
        return q.sub_queries()
    return ()
