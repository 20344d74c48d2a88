"""A plain ``match`` search planned once per *shape*: later texts reuse the plan with their own terms.

The plan cache (:mod:`retrievo.planner.plan_cache`) answers a search repeated word for word; a search
box sends the same body with a new text nearly every time, and each paid the whole planning again
(parsing, validation, the logical rules, compiling, Lucene's rewrites, the physical rules: about a
fifth of a plain search's time at 100k documents, issue 18). For the commonest bodies -- a ``match``
on a text field, alone or as the one ``must`` clause of a ``bool`` that otherwise only filters
(``filter``, ``must_not``), as the query or a ``standard`` retriever's, with whatever ``size``,
``from``, ``_source``, ``track_total_hits`` ... around it -- the text reaches the plan in one place
only: its analysed terms become the term leaves of the scoring query (or of its one ``must`` clause).
Everything else in the plan is decided by the body without the text (its *shape*) and by how many
terms the text has. So a plan made for one text of a shape serves every other text of that shape with
as many distinct terms, once the terms are swapped in.

When that holds is checked, not assumed. A template is only made from a plan that has exactly the
form the swap rebuilds (``Page(TopDocs(Bm25Score(q)))``, pruned or not, nothing named, one shard)
and whose ``q`` (or ``q``'s one ``must`` clause) equals what the swap would build from the same text's
own terms; a text is only swapped in when its terms are as many, all distinct and one per position (no
synonyms) -- the conditions under which compiling a ``match`` gives the plain term disjunction (or
conjunction) and none of Lucene's rewrites changes it (around it, a ``bool`` of two clauses or more is
neither unwrapped nor flattened, and its lone ``must`` clause merges with nothing). Anything else is
planned in full, as before.
``tests/planner/test_match_template.py`` checks swapped plans equal freshly made ones.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from retrievo.lucene.pruning import disjunction_clauses, filtered_disjunction
from retrievo.lucene.query import BoolQ, LQuery, TermQ
from retrievo.planner.operators.pruned_top_docs import PrunedTopDocs
from retrievo.planner.operators.query import Bm25Score
from retrievo.planner.operators.top_docs import Page, TopDocs
from retrievo.retrievers.queries import BoolQuery, MatchQuery, Query
from retrievo.retrievers.standard import StandardRetriever

if TYPE_CHECKING:
    from retrievo.index.searcher import TextAnalyzer
    from retrievo.planner.execute import PreparedSearch

#: What stands for the text in a shape (any string: shapes are keyed apart from whole bodies).
_HOLE = "\x00text\x00"

#: Term counts one shape keeps templates for (a text with another count is planned in full).
_MAX_COUNTS = 32


@dataclass(frozen=True)
class MatchShape:
    """A body split into its shape (the body with the ``match`` text taken out) and its text."""

    shape: dict[str, Any]
    text: str


def match_shape(body: dict[str, Any]) -> MatchShape | None:
    """The shape of a body whose query is one ``match`` with a string text (``{"match": {"f":
    "text"}}`` or ``{"match": {"f": {"query": "text", ...}}}``), as the body's ``query`` or as a
    ``standard`` retriever's; ``None`` for any other body."""
    retriever = body.get("retriever")
    if retriever is None:
        found = _match_hole(body.get("query"))
        return None if found is None else MatchShape({**body, "query": found[0]}, found[1])
    if type(retriever) is not dict or len(retriever) != 1 or type(standard := retriever.get("standard")) is not dict:
        return None
    found = _match_hole(standard.get("query"))
    if found is None:
        return None
    return MatchShape({**body, "retriever": {"standard": {**standard, "query": found[0]}}}, found[1])


def _match_hole(query: Any) -> tuple[dict[str, Any], str] | None:
    """A ``match`` query -- or a ``bool`` whose one ``must`` clause is a ``match``, its other clauses
    only ``filter`` and ``must_not`` -- with the text taken out, and the text."""
    if type(query) is not dict or len(query) != 1:
        return None
    spec = query.get("bool")
    if type(spec) is dict and "must" in spec and spec.keys() <= {"must", "filter", "must_not"}:
        must = spec["must"]
        listed = type(must) is list
        found = _plain_match_hole(must[0] if listed and len(must) == 1 else None if listed else must)
        if found is None:
            return None
        return {"bool": {**spec, "must": [found[0]] if listed else found[0]}}, found[1]
    return _plain_match_hole(query)


def _plain_match_hole(query: Any) -> tuple[dict[str, Any], str] | None:
    """A ``match`` query with its text taken out, and the text."""
    if type(query) is not dict or len(query) != 1:
        return None
    inner = query.get("match")
    if type(inner) is not dict or len(inner) != 1:
        return None
    ((name, spec),) = inner.items()
    if type(spec) is str:
        return {"match": {name: _HOLE}}, spec
    if type(spec) is dict and type(spec.get("query")) is str:
        return {"match": {name: {**spec, "query": _HOLE}}}, spec["query"]
    return None


def term_query(field: str, terms: list[str], operator: str) -> LQuery | None:
    """What compiling and rewriting a ``match`` gives for analysed ``terms`` that are all distinct and
    one per position (without ``minimum_should_match``, fuzziness or a boost): the term, or the
    disjunction (``or``) or conjunction (``and``) of the terms in text order; ``None`` for no terms."""
    if not terms:
        return None
    if len(terms) == 1:
        return TermQ(field, terms[0])
    clauses = tuple(TermQ(field, t) for t in terms)
    return BoolQ(must=clauses) if operator == "and" else BoolQ(should=clauses)


@dataclass
class MatchTemplates:
    """The plans of one shape on one index state, by the number of terms of their text."""

    analyzer: TextAnalyzer
    #: The mapped field the terms are looked up in.
    path: str
    operator: str
    #: Whether the text's terms are the one ``must`` clause of the scoring query (a ``bool`` with
    #: filters around the ``match``), rather than the whole of it.
    in_must: bool
    by_count: dict[int, PreparedSearch] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def kept(self) -> MatchTemplates:
        """What a cache keeps of the templates: themselves (each plan in them is kept without its run)."""
        return self

    @classmethod
    def of(cls, prepared: PreparedSearch, text: str) -> MatchTemplates | None:
        """Templates started from a search planned for ``text``, when its plan has the form a swap of
        terms rebuilds exactly (see the module docstring); else ``None``."""
        form = _swappable_form(prepared)
        if form is None:
            return None
        fi = prepared.plan.searcher.field_info(form.match.field)
        if fi is None or fi.type != "text":
            return None
        searcher = prepared.plan.searcher
        analyzer = fi.search_analyzer if form.match.analyzer is None else searcher.find_analyzer(form.match.analyzer)
        if analyzer is None:
            return None
        field_path = _field_of(form.terms)
        if field_path is None:
            return None
        templates = cls(analyzer, field_path, form.match.operator, form.in_must)
        return templates if templates._keep(prepared, text, form) else None

    def add(self, prepared: PreparedSearch, text: str) -> bool:
        """Keep ``prepared`` (planned for ``text``) for texts with as many terms, if its plan is the one
        the swap would build from the text's own terms; returns whether it was kept."""
        return self._keep(prepared, text, _swappable_form(prepared))

    def _keep(self, prepared: PreparedSearch, text: str, form: _Form | None) -> bool:
        terms = self._terms(text)
        if terms is None or form is None or form.in_must != self.in_must:
            return False
        if form.terms != term_query(self.path, terms, self.operator):
            return False
        with self._lock:
            if len(terms) not in self.by_count and len(self.by_count) < _MAX_COUNTS:
                self.by_count[len(terms)] = prepared.kept()
        return True

    def instantiate(self, text: str) -> PreparedSearch | None:
        """The plan of this shape for ``text``, ready to run; ``None`` when there is no template for its
        number of terms or its terms do not fit the swap (repeated terms, several at one position)."""
        terms = self._terms(text)
        if terms is None:
            return None
        template = self.by_count.get(len(terms))
        query = term_query(self.path, terms, self.operator)
        if template is None or query is None:
            return None
        return _swapped(template, text, query, self.in_must)

    def _terms(self, text: str) -> list[str] | None:
        """The text's terms when they are distinct and one per position (else the compiled query is not
        the plain ``term_query``: repeated terms merge into a boosted clause, stacked ones are synonyms)."""
        terms, positions = self.analyzer.terms(text)
        if len(set(terms)) != len(terms) or len(set(positions)) != len(positions):
            return None
        return terms


@dataclass(frozen=True)
class _Form:
    """What a swap replaces in a plan: the ``match`` in the request, and the part of the scoring query
    its terms compiled to (``terms``: the whole query, or its one ``must`` clause when ``in_must``)."""

    match: MatchQuery
    terms: LQuery
    in_must: bool


def _match_of(query: Query | None) -> MatchQuery | None:
    """The ``match`` of a retriever's query that a swap replaces: the query itself, or the one ``must``
    clause of a ``bool`` (no boost, no name) whose other clauses only filter."""
    if type(query) is MatchQuery:
        return query
    if type(query) is not BoolQuery or len(query.must) != 1 or type(query.must[0]) is not MatchQuery:
        return None
    if query.should or query.minimum_should_match is not None or query.boost != 1.0 or query.name is not None:
        return None
    return query.must[0]


def _swappable_form(prepared: PreparedSearch) -> _Form | None:
    """The ``match`` of a plan made of ``Page(TopDocs(Bm25Score))`` (``TopDocs`` pruned or not) with
    nothing else depending on the text, and the part of its compiled query the terms made; ``None`` for
    any other plan."""
    plan, request = prepared.plan, prepared.request
    retriever = request.retriever
    if type(retriever) is not StandardRetriever or (match := _match_of(retriever.query)) is None:
        return None
    if match.fuzzy is not None or match.minimum_should_match is not None or match.name is not None:
        return None
    if plan.named.names or plan.shard_variants or plan.logical is not retriever or plan.physical is None:
        return None
    page = plan.root
    if type(page) is not Page or type(page.child) not in (TopDocs, PrunedTopDocs):
        return None
    top = page.child
    assert isinstance(top, TopDocs)
    scorer = top.child
    if type(scorer) is not Bm25Score or scorer.inputs or scorer.origin is not None or page.origin is not None:
        return None
    if top.origin is None or top.origin.retriever is not retriever or top.origin.written_as is not None:
        return None
    if isinstance(top, PrunedTopDocs) and top.clauses != disjunction_clauses(filtered_disjunction(scorer.query)[0]):
        return None
    query = retriever.query
    # a bool with filters stays a bool around the match's terms (two clauses or more: nothing unwraps it,
    # and its one must clause merges with nothing); a bool of the must clause alone unwraps to it
    if isinstance(query, BoolQuery) and (query.filter or query.must_not):
        compiled = scorer.query
        if type(compiled) is not BoolQ or len(compiled.must) != 1 or compiled.should or compiled.msm != 0:
            return None
        return _Form(match, compiled.must[0], True)
    return _Form(match, scorer.query, False)


def _field_of(query: LQuery) -> str | None:
    """The field of a term query's leaves (the mapped path the analysed terms are looked up in)."""
    if isinstance(query, TermQ):
        return query.field
    if isinstance(query, BoolQ):
        leaves = query.should or query.must
        if leaves and all(isinstance(c, TermQ) for c in leaves):
            return leaves[0].field  # type: ignore[union-attr]
    return None


def _swapped(template: PreparedSearch, text: str, terms: LQuery, in_must: bool) -> PreparedSearch:
    """``template`` with ``text`` as its ``match`` text and ``terms`` as the part of its scoring query the
    text makes, everywhere the plan holds either: the request, the logical retriever, the ranking
    operator's origin, the scorer and the pruned clauses."""
    plan = template.plan
    old = plan.request.retriever
    assert isinstance(old, StandardRetriever) and old.query is not None
    match = _match_of(old.query)
    assert match is not None
    swapped_match = match.model_copy(update={"query": text})
    query = swapped_match if old.query is match else old.query.model_copy(update={"must": (swapped_match,)})
    retriever = old.model_copy(update={"query": query})
    request = plan.request.model_copy(update={"retriever": retriever})
    page = plan.root
    assert isinstance(page, Page) and isinstance(page.child, TopDocs) and page.child.origin is not None
    top, scorer = page.child, page.child.child
    assert isinstance(scorer, Bm25Score) and top.origin is not None
    scoring = terms
    if in_must:
        assert isinstance(scorer.query, BoolQ)
        scoring = dataclasses.replace(scorer.query, must=(terms,))
    changes: dict[str, Any] = {
        "child": _with(scorer, query=scoring),
        "origin": _with(top.origin, retriever=retriever),
    }
    if isinstance(top, PrunedTopDocs):  # its filters are the bool's, which the text does not reach
        changes["clauses"] = disjunction_clauses(filtered_disjunction(scoring)[0])
    root = _with(page, child=_with(top, **changes))
    assert plan.physical is not None
    swapped = _with(plan, request=request, root=root, logical=retriever, physical=plan.physical.replace(root=root))
    return _with(template, request=request, plan=swapped).fresh_run()


_T = TypeVar("_T")


def _with(obj: _T, **changes: Any) -> _T:
    """``dataclasses.replace`` without calling ``__init__`` again (a third of a swap's time went there):
    a copy of the instance's fields with ``changes``. Only for the dataclasses above, which compute
    nothing when built (no ``__post_init__``, no ``init=False`` field, no cached property)."""
    new = object.__new__(type(obj))
    new.__dict__.update(obj.__dict__)
    new.__dict__.update(changes)
    return new
