"""``more_like_this`` → Lucene: ``MoreLikeThisQueryBuilder.doToQuery`` and ``MoreLikeThisQuery.rewrite``.

Texts are analysed with the first field's search analyzer (or the request's ``analyzer``) and their
terms picked from all the fields at once (``lucene/more_like_this.py``); documents contribute their
term vectors field by field (read back from the index for a stored document, analysed for an
artificial one), each field picking its own terms. The kept terms become ``SHOULD`` term queries with
``minimum_should_match``; liked documents of the index are excluded unless ``include`` is set.
``compile_query`` passes in its error builder (this module may not import it: it imports this one).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from retrievo.errors import BadRequestError, not_supported
from retrievo.index.searcher import TextAnalyzer
from retrievo.lucene import min_should_match
from retrievo.lucene import more_like_this as mlt
from retrievo.lucene.query import BoolQ, ConstQ, DocSetQ, LQuery, MatchNoneQ, TermQ, boosted
from retrievo.retrievers.more_like_this import LikeItem, MoreLikeThisQuery

if TYPE_CHECKING:
    from retrievo.planner.compile_query import CompileContext

ShardFailure = Callable[["CompileContext", str, dict[str, Any]], BadRequestError]
#: ``SUPPORTED_FIELD_TYPES``: text and keyword fields.
SUPPORTED = frozenset({"text", "keyword", "match_only_text"})


def _fail(ctx: CompileContext, failure: ShardFailure, reason: str) -> BadRequestError:
    return failure(ctx, reason, {"type": "illegal_argument_exception", "reason": reason})


def _fields(q: MoreLikeThisQuery, ctx: CompileContext, failure: ShardFailure) -> list[str]:
    if q.fields is None:
        defaults = list(ctx.default_field)
        if defaults == ["*"] and (q.like_texts or q.unlike_texts):
            raise _fail(
                ctx,
                failure,
                "[more_like_this] query cannot infer the field to analyze the free text, you should update the "
                "[index.query.default_field] index setting to a field that exists in the mapping or set the "
                "[fields] option in the query.",
            )
        return defaults
    out = []
    for name in q.fields:
        fi = ctx.searcher.field_info(name)
        if fi is not None and fi.type not in SUPPORTED:
            if q.fail_on_unsupported_field:
                raise _fail(ctx, failure, f"more_like_this only supports text/keyword fields: [{name}]")
            continue
        out.append(name)
    return out


def _analyzer(ctx: CompileContext, q: MoreLikeThisQuery, field: str) -> TextAnalyzer | None:
    """The request's analyzer if the index has it, else the field's search analyzer (``None``: a keyword
    field's, the whole value as one term); an unmapped field analyses with ``standard``."""
    if q.analyzer is not None:
        found = ctx.searcher.find_analyzer(q.analyzer)
        if found is not None:
            return found
    fi = ctx.searcher.field_info(field)
    if fi is None:
        return ctx.searcher.find_analyzer("standard")
    return fi.search_analyzer if fi.type != "keyword" else None


def _tokens(analyzer: TextAnalyzer | None, text: str) -> list[str]:
    return [text] if analyzer is None else analyzer.terms(text)[0]


def _expand(ctx: CompileContext, patterns: tuple[str, ...] | list[str]) -> list[str]:
    """Item fields: patterns resolved to the index's text and keyword fields (term vectors exist for no other)."""
    names: list[str] = []
    for pattern in patterns:
        for path in ctx.searcher.searchable_fields():
            fi = ctx.searcher.field_info(path)
            if fi is not None and fi.type in SUPPORTED and fnmatch.fnmatchcase(path, pattern) and path not in names:
                names.append(path)
    return names


def _values(source: Any, path: str) -> list[str]:
    """A field's values in a document's ``_source`` (dotted paths through objects and arrays)."""
    found: list[Any] = [source]
    for part in path.split("."):
        nxt: list[Any] = []
        for node in found:
            for item in node if isinstance(node, list) else [node]:
                if isinstance(item, dict) and part in item:
                    nxt.append(item[part])
        found = nxt
    flat: list[str] = []
    for value in found:
        for v in value if isinstance(value, list) else [value]:
            if v is not None and not isinstance(v, (dict, list)):
                flat.append("true" if v is True else "false" if v is False else str(v))
    return flat


def _item_vectors(
    ctx: CompileContext, q: MoreLikeThisQuery, item: LikeItem, fields: list[str]
) -> dict[str, dict[str, int]] | None:
    """The term vectors of one item, per field (``None``: the document does not exist)."""
    if item.index is not None and item.index != ctx.searcher.index_name:
        raise not_supported("[more_like_this] documents of another index", "items are read from the searched index")
    wanted = _expand(ctx, item.fields if item.fields else (fields if q.fields is not None else ["*"]))
    if item.doc is not None:
        vectors: dict[str, dict[str, int]] = {}
        for path in wanted:
            counts: dict[str, int] = {}
            for value in _values(item.doc, path) or _parent_values(ctx, item.doc, path):
                for token in _tokens(_field_analyzer(ctx, path), value):  # term vectors: the field's analysis
                    counts[token] = counts.get(token, 0) + 1
            if counts:
                vectors[path] = dict(sorted(counts.items(), key=lambda kv: kv[0].encode()))
        return vectors
    doc = ctx.searcher.by_id.get(item.id or "")
    if doc is None or not ctx.searcher.live[doc]:
        return None
    out = {path: mlt.doc_vector(ctx.searcher.inverted(path), doc) for path in wanted}
    return {k: v for k, v in out.items() if v}


def _parent_values(ctx: CompileContext, doc: dict[str, Any], path: str) -> list[str]:
    """A multi-field (``title.raw``) reads its parent field's values."""
    parent = path.rpartition(".")[0]
    fi = ctx.searcher.field_info(parent) if parent else None
    return _values(doc, parent) if fi is not None and fi.type in SUPPORTED else []


def _field_analyzer(ctx: CompileContext, path: str) -> TextAnalyzer | None:
    fi = ctx.searcher.field_info(path)
    return None if fi is None or fi.type == "keyword" else fi.search_analyzer


def _selection(q: MoreLikeThisQuery) -> mlt.Selection:
    return mlt.Selection(
        max_query_terms=q.max_query_terms,
        min_term_freq=q.min_term_freq,
        min_doc_freq=q.min_doc_freq,
        max_doc_freq=q.max_doc_freq,
        min_word_length=q.min_word_length,
        max_word_length=q.max_word_length,
        stop_words=frozenset(q.stop_words or ()),
    )


def _clauses(terms: list[mlt.ScoreTerm], boost_terms: float) -> list[LQuery]:
    boosts = mlt.term_boosts(terms, boost_terms) if boost_terms != 0 else [1.0] * len(terms)
    return [boosted(TermQ(t.field, t.word), b) for t, b in zip(terms, boosts)]


def _with_msm(clauses: list[LQuery], msm: str) -> LQuery:
    n = min_should_match.calculate(len(clauses), msm) if clauses else 0
    return BoolQ(should=tuple(clauses), msm=n if n > 0 else 0)


def compile_mlt(q: MoreLikeThisQuery, ctx: CompileContext, failure: ShardFailure) -> LQuery:
    fields = _fields(q, ctx, failure)
    if not fields:
        return MatchNoneQ("No query left after rewrite.")
    sel = _selection(q)
    searcher = ctx.searcher
    num_docs = int(searcher.live.sum())

    def doc_freq(field: str, word: str) -> int:
        inv = searcher.inverted(field)
        tid = inv.term_id(word) if inv is not None else None
        return inv.doc_freq(tid) if inv is not None and tid is not None else 0

    like_vectors = [v for v in (_item_vectors(ctx, q, i, fields) for i in q.like_items) if v is not None]
    unlike_vectors = [v for v in (_item_vectors(ctx, q, i, fields) for i in q.unlike_items) if v is not None]
    first = fields[0]
    skip: set[tuple[str, str]] = set()
    for text in q.unlike_texts:  # handleUnlike: only the first field, to be consistent
        skip.update((first, token) for token in _tokens(_analyzer(ctx, q, first), text))
    for vectors in unlike_vectors:
        skip.update((field, term) for field, vector in vectors.items() for term in vector)

    parts: list[LQuery] = []
    if q.like_items:  # mlt.like(Fields...): one queue per field of the liked documents
        clauses: list[LQuery] = []
        for field in sorted({f for vectors in like_vectors for f in vectors}):
            counts: dict[str, int] = {}
            for vectors in like_vectors:
                if field in vectors:
                    mlt.count_vector(vectors[field], field, sel, skip, counts)
            clauses += _clauses(mlt.select_terms(counts, [field], doc_freq, num_docs, sel), q.boost_terms)
        parts.append(_with_msm(clauses, q.minimum_should_match))
    if q.like_texts:  # mlt.like(fields[0], readers): analysed with the first field's analyzer
        counts = {}
        analyzer = _analyzer(ctx, q, first)
        for text in q.like_texts:
            mlt.count_tokens(_tokens(analyzer, text), first, sel, skip, counts)
        terms = mlt.select_terms(counts, fields, doc_freq, num_docs, sel)
        parts.append(_with_msm(_clauses(terms, q.boost_terms), q.minimum_should_match))
    query: LQuery = parts[0] if len(parts) == 1 else BoolQ(should=tuple(parts))
    if q.like_items:
        ids = sorted({i.id for i in q.like_items if i.doc is None and i.id is not None})
        excluded = (ConstQ(DocSetQ("ids", "_id", tuple(ids))),) if ids and not q.include else ()
        query = BoolQ(should=(query,), must_not=excluded)
    return query
