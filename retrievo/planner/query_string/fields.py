"""The per-field half of ``query_string`` and ``simple_query_string``: field names → Lucene queries.

Elasticsearch's two parsers (``QueryStringQueryParser``, ``SimpleQueryStringQueryParser``) hand every piece
of text they find to one place that knows the mappings: which fields a name or pattern means
(``QueryParserHelper.resolveMappingField``), how a field analyses or normalises the text, and how the
per-field queries combine (a ``dis_max`` over the fields, each boosted by its weight). That place is
:class:`FieldQueries`. Full-text pieces are built as the ``match``/``match_phrase`` DSL queries Elasticsearch's
``MultiMatchQueryParser`` builds per field, compiled by the ordinary DSL compiler (handed in as ``compile_dsl``,
so the one definition of ``match`` serves both); multi-term pieces (prefix, wildcard, fuzzy, regexp) go to
:mod:`retrievo.lucene.multi_term`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from retrievo.errors import BadRequestError, error_cause, error_reason, not_supported, query_shard_failure
from retrievo.index.searcher import FieldInfo, TextAnalyzer
from retrievo.lucene import multi_term
from retrievo.lucene.automata import RegexpSyntaxError
from retrievo.lucene.query import BoolQ, BoostQ, DisMaxQ, LQuery, MatchAllQ, MatchNoneQ, TermQ
from retrievo.retrievers import queries as dsl

if TYPE_CHECKING:
    from retrievo.planner.compile_query import CompileContext

CompileDsl = Callable[[dsl.Query, "CompileContext"], LQuery]

#: Field types a pattern such as ``*`` or ``ti*`` expands to (those with ``TextSearchInfo`` other than NONE).
PATTERN_TYPES = frozenset(
    {"text", "keyword", "boolean", "long", "integer", "short", "byte", "double", "float", "half_float", "date"}
    | {"ip"}  # IpFieldMapper: TextSearchInfo.SIMPLE_MATCH_WITHOUT_TERMS
)
#: Field types whose ``getTextSearchInfo()`` is ``TextSearchInfo.NONE`` (``DenseVectorFieldType``,
#: ``RankFeatureFieldType``, ``RankFeaturesFieldType``): ``getPrefixQuerySingle`` and
#: ``getFuzzyQuerySingle`` answer them as unmapped fields, before any query is tried (the simple
#: parser's ``newPrefixQuery``/``newFuzzyQuery`` do not: there they fail, or under ``lenient`` match nothing).
NO_TEXT_SEARCH_TYPES = frozenset({"dense_vector", "rank_feature", "rank_features"})
#: Token filters that also run on a term being normalised (Lucene's ``Analyzer.normalize``).
NORMALIZING_FILTERS = frozenset({"lowercase", "uppercase", "asciifolding", "cjk_width", "decimal_digit", "elision"})
#: Rewrite methods that keep a multi-term query's constant score (Elasticsearch's default is one of them).
CONSTANT_REWRITES = frozenset({None, "constant_score", "constant_score_blended", "constant_score_boolean"})
_NO_TERMS = "Matching no documents because no terms present"


def is_pattern(name: str) -> bool:
    return "*" in name


def is_match_all_pattern(name: str) -> bool:
    return name == "*"


def parse_weighted(spec: str) -> tuple[str, float]:
    name, caret, boost = spec.partition("^")
    return name, float(boost) if caret else 1.0


def normalize(analyzer: TextAnalyzer | None, text: str) -> str:
    """``Analyzer.normalize``: only the analyzer's normalising token filters (lowercase, folding), no
    tokenizer — what a range bound, a prefix or a fuzzy term goes through."""
    filters = getattr(analyzer, "filters", ())
    for f in filters:
        if getattr(f, "type_name", "") in NORMALIZING_FILTERS and not getattr(f, "preserve_original", False):
            from retrievo.index.analysis.filters import TokenStream

            text = f.apply(TokenStream([text], [1])).terms[0]
    return text


@dataclass
class FieldQueries:
    """What the two parsers need from the index, for one query on one shard."""

    ctx: CompileContext
    compile_dsl: CompileDsl
    #: The resolved default fields and their weights (``fields``, ``default_field`` or the index's).
    weights: dict[str, float]
    lenient: bool
    default_operator: Literal["or", "and"] = "or"
    analyzer: str | None = None
    quote_analyzer: str | None = None
    quote_field_suffix: str | None = None
    #: ``query_string``'s ``default_field`` as the classic parser sees it (``*`` or one name), else ``None``.
    default_field: str | None = None
    tie_breaker: float = 0.0
    analyze_wildcard: bool = False
    allow_leading_wildcard: bool = True
    rewrite: str | None = None
    fuzziness: str = "AUTO"
    fuzzy_prefix_length: int = 0
    fuzzy_max_expansions: int = 50
    fuzzy_transpositions: bool = True
    max_determinized_states: int = 10000
    time_zone: str | None = None
    query_kind: str = "query_string"

    # ------------------------------------------------------------------------------ field resolution

    def resolve(self, name: str, weight: float, *, accept_all_types: bool, suffix: str | None) -> dict[str, float]:
        """``QueryParserHelper.resolveMappingField``: a name or a pattern → mapped fields and weights."""
        searcher = self.ctx.searcher
        if is_pattern(name):
            names = [p for p in searcher.searchable_fields() if fnmatch.fnmatchcase(p, name)]
        else:
            names = [name] if searcher.field_info(name) is not None else []
        out: dict[str, float] = {}
        for path in names:
            if suffix is not None and searcher.field_info(path + suffix) is not None:
                path = path + suffix
            fi = searcher.field_info(path)
            if fi is None:
                continue
            if not accept_all_types and (fi.type not in PATTERN_TYPES or not fi.indexed):
                continue
            out[path] = out.get(path, 1.0) * weight
        return out

    def resolve_all(self, specs: dict[str, float], suffix: str | None = None) -> dict[str, float]:
        """``QueryParserHelper.resolveMappingFields``: every entry resolved, weights multiplied. A pattern
        among the query's fields keeps only fields with text search (unlike a pattern in the query text)."""
        out: dict[str, float] = {}
        for name, weight in specs.items():
            for path, w in self.resolve(name, weight, accept_all_types=not is_pattern(name), suffix=suffix).items():
                out[path] = out.get(path, 1.0) * w
        return out

    def fields_for(self, name: str | None, quoted: bool) -> dict[str, float]:
        """``QueryStringQueryParser.extractMultiFields``: the fields one piece of the query searches."""
        if name is not None:
            if is_match_all_pattern(name) and self.default_field == name:
                return self.weights
            return self.resolve(
                name,
                1.0,
                accept_all_types=not is_match_all_pattern(name),
                suffix=self.quote_field_suffix if quoted else None,
            )
        if quoted and self.quote_field_suffix is not None:
            return self.resolve_all(self.weights, self.quote_field_suffix)
        return self.weights

    # ------------------------------------------------------------------------------------ failures

    def fail(self, reason: str, cause_type: str = "illegal_argument_exception") -> BadRequestError:
        """What ``SearchExecutionContext.toQuery`` makes of a runtime failure while the query is built:
        ``query_shard_exception`` "failed to create query: ...", failing the shard."""
        message = f"failed to create query: {reason}"
        return query_shard_failure(self.ctx.searcher.index_name, message, error_cause(cause_type, reason))

    def not_on_type(self, fi: FieldInfo, kind: str) -> BadRequestError:
        """``MappedFieldType``'s refusals: prefix and wildcard name the ``wildcard`` type too, regexp and
        fuzzy do not."""
        types = "keyword, text and wildcard" if kind in ("prefix", "wildcard") else "keyword and text"
        return self.fail(
            f"Can only use {kind} queries on {types} fields - not on [{fi.path}] which is of type [{fi.type}]"
        )

    # ------------------------------------------------------------------------------------ combining

    def combine(self, queries: list[LQuery], tie: float | None = None) -> LQuery | None:
        """Several fields' queries as one: ``dis_max`` with the query's tie breaker."""
        if not queries:
            return None
        if len(queries) == 1:
            return queries[0]
        return DisMaxQ(tuple(queries), self.tie_breaker if tie is None else tie)

    def _lenient_or_raise(self, err: BadRequestError, path: str) -> LQuery:
        """``newLenientFieldQuery`` under ``lenient``, for every kind of per-field query alike. retrievo's
        own ``not_supported`` refusals always surface: Elasticsearch would have built a query there, so
        matching nothing instead would be a silently different answer."""
        if self.lenient and "is not supported in retrievo" not in error_reason(err):
            return MatchNoneQ(f"failed [{path}] query, caused by {error_reason(err)}")
        raise err

    def _per_field(
        self,
        fields: dict[str, float],
        subject: str,
        build: Callable[[FieldInfo], LQuery | None],
        *,
        tie: float | None = None,
        text_search_only: bool = False,
    ) -> LQuery | None:
        """The loop ``getPrefixQuery``, ``getWildcardQuery``, ``getRegexpQuery`` and ``getFuzzyQuery`` share:
        ``build`` one query per field, boosted by the field's weight (``applyBoost``: never a match-none);
        an unmapped field matches nothing (``text_search_only``: nor does a field without text search,
        prefix and fuzzy), and under ``lenient`` neither does one whose query fails
        (:meth:`_lenient_or_raise`)."""
        if not fields:
            return MatchNoneQ(f"unmapped field [{subject}]")
        out: list[LQuery] = []
        for path, weight in fields.items():
            fi = self._info(path)
            if fi is None or (text_search_only and fi.type in NO_TEXT_SEARCH_TYPES):
                out.append(MatchNoneQ(f"unmapped field [{path}]"))
                continue
            try:
                q = build(fi)
            except BadRequestError as err:
                q = self._lenient_or_raise(err, path)
            if q is not None:
                out.append(q if weight == 1.0 or isinstance(q, MatchNoneQ) else BoostQ(q, weight))
        return self.combine(out, tie)

    @property
    def _classic(self) -> bool:
        """Whether ``QueryStringQueryParser`` (not the simple parser) builds these queries."""
        return self.query_kind == "query_string"

    def _info(self, path: str) -> FieldInfo | None:
        return self.ctx.searcher.field_info(path)

    def _analyzer(self, fi: FieldInfo, quoted: bool = False) -> TextAnalyzer | None:
        name = (self.quote_analyzer or self.analyzer) if quoted else self.analyzer
        if name is not None:
            return self.ctx.searcher.find_analyzer(name)
        return fi.search_analyzer

    # ------------------------------------------------------------------------------------ full text

    def text(
        self, fields: dict[str, float], text: str, *, phrase: bool, slop: int = 0, tie: float | None = None
    ) -> LQuery | None:
        """``MultiMatchQueryParser.parse`` (``best_fields``/``most_fields`` or ``phrase``): one ``match`` or
        ``match_phrase`` per field, boosted by its weight, none for a field where the text has no terms."""
        analyzer = (self.quote_analyzer or self.analyzer) if phrase else self.analyzer
        out: list[LQuery] = []
        for path, weight in fields.items():
            q: dsl.Query
            if phrase:
                q = dsl.MatchPhraseQuery(field=path, query=text, slop=slop, analyzer=analyzer)
            else:
                q = dsl.MatchQuery(
                    field=path, query=text, operator=self.default_operator, analyzer=analyzer, lenient=self.lenient
                )
            try:
                compiled = self.compile_dsl(q, self.ctx)
            except BadRequestError as err:
                if not self.lenient or "is not supported in retrievo" in error_reason(err):
                    raise
                compiled = MatchNoneQ(f"failed [{path}] query, caused by {error_reason(err)}")
            if isinstance(compiled, MatchNoneQ) and compiled.reason == _NO_TERMS:
                continue
            out.append(compiled if weight == 1.0 or isinstance(compiled, MatchNoneQ) else BoostQ(compiled, weight))
        return self.combine(out, tie)

    # ------------------------------------------------------------------------------------ ranges

    def range(self, fields: dict[str, float], lo: str | None, hi: str | None, lo_inc: bool, hi_inc: bool) -> LQuery:
        """``getRangeQuery``: the bounds normalised by each field's analyzer, one range per field."""
        out: list[LQuery] = []
        for path, weight in fields.items():
            fi = self._info(path)
            if fi is None or fi.type not in PATTERN_TYPES:
                out.append(MatchNoneQ(f"unmapped field [{path}]"))
                continue
            an = self._analyzer(fi) if fi.type == "text" else None
            lo_n = None if lo is None else normalize(an, lo)
            hi_n = None if hi is None else normalize(an, hi)
            q = dsl.RangeQuery(
                field=path,
                gte=lo_n if lo_inc else None,
                gt=None if lo_inc else lo_n,
                lte=hi_n if hi_inc else None,
                lt=None if hi_inc else hi_n,
                time_zone=self.time_zone if fi.type == "date" else None,
            )
            try:
                compiled = self.compile_dsl(q, self.ctx)
            except BadRequestError as err:
                compiled = self._lenient_or_raise(err, path)
            out.append(compiled if weight == 1.0 else BoostQ(compiled, weight))
        return self.combine(out) or MatchNoneQ("no fields")

    # ------------------------------------------------------------------------------------ existence

    def exists(self, name: str) -> LQuery:
        return self.compile_dsl(dsl.ExistsQuery(field=name), self.ctx)

    # ------------------------------------------------------------------------------------ multi-term

    def prefix(self, fields: dict[str, float], term: str, *, tie: float | None = None) -> LQuery | None:
        """``getPrefixQuery``: a prefix per field — normalised, or analysed with ``analyze_wildcard``."""
        return self._per_field(
            fields, term, lambda fi: self._prefix_single(fi, term), tie=tie, text_search_only=self._classic
        )

    def _prefix_term(self, fi: FieldInfo, term: str) -> LQuery:
        if self.rewrite not in CONSTANT_REWRITES:
            if fi.type not in ("text", "keyword"):
                raise self.not_on_type(fi, "prefix")
            return multi_term.prefix_query(self.ctx.searcher, fi.path, term, rewrite=self.rewrite)
        return self.compile_dsl(dsl.PrefixQuery(field=fi.path, value=term), self.ctx)

    def _prefix_single(self, fi: FieldInfo, term: str) -> LQuery | None:
        if fi.type != "text":
            return self._prefix_term(fi, term)
        an = self._analyzer(fi)
        if not self.analyze_wildcard:
            return self._prefix_term(fi, normalize(an, term))
        if an is None:
            return self._prefix_term(fi, term)
        terms, positions = an.terms(term)
        if not terms:
            return None
        if len(set(positions)) != len(positions):
            raise not_supported(
                f"[{self.query_kind}] analyze_wildcard on an analyzer that stacks tokens at one position",
                "it needs Lucene's SynonymQuery",
            )
        if len(terms) == 1:
            return self._prefix_term(fi, terms[0])
        occur_must = self.default_operator == "and"
        clauses: list[LQuery] = [TermQ(fi.path, t) for t in terms[:-1]]
        clauses.append(self._prefix_term(fi, terms[-1]))
        return BoolQ(must=tuple(clauses)) if occur_must else BoolQ(should=tuple(clauses))

    def wildcard(self, fields: dict[str, float], pattern: str, *, field_name: str | None) -> LQuery | None:
        """``getWildcardQuery``: ``*`` alone is all documents or an ``exists``; else one wildcard per field."""
        actual = field_name if field_name is not None else self.default_field
        if pattern == "*" and actual is not None:
            if is_match_all_pattern(actual):
                return MatchAllQ()
            return self.exists(actual)
        if pattern == "*" and fields:
            # No field to default to: an ``exists`` per mapped field, left unboosted.
            return self.combine(
                [self.exists(p) if self._info(p) is not None else MatchNoneQ(f"unmapped field [{p}]") for p in fields]
            )
        return self._per_field(fields, pattern, lambda fi: self._wildcard_single(fi, pattern))

    def _wildcard_single(self, fi: FieldInfo, pattern: str) -> LQuery:
        if not self.allow_leading_wildcard and pattern[:1] in ("*", "?"):
            raise QueryParseError("'*' or '?' not allowed as first character in WildcardQuery")
        if fi.type not in ("text", "keyword"):
            raise self.not_on_type(fi, "wildcard")
        an = self._analyzer(fi) if fi.type == "text" else None
        return multi_term.wildcard_query(
            self.ctx.searcher, fi.path, _normalize_pattern(an, pattern), rewrite=self.rewrite
        )

    def regexp(self, fields: dict[str, float], pattern: str) -> LQuery | None:
        """``getRegexpQuery``: one ``RegExp`` (all syntax flags) per field."""
        return self._per_field(fields, pattern, lambda fi: self._regexp_single(fi, pattern))

    def _regexp_single(self, fi: FieldInfo, pattern: str) -> LQuery:
        if fi.type not in ("text", "keyword"):
            raise self.not_on_type(fi, "regexp")
        try:
            return multi_term.regexp_query(
                self.ctx.searcher,
                fi.path,
                pattern,
                flags="ALL",
                max_determinized_states=self.max_determinized_states,
                rewrite=self.rewrite,
            )
        except RegexpSyntaxError as err:
            raise self.fail(str(err)) from None
        except multi_term.TooComplex as err:
            raise self.fail(f"Determinizing automaton would result in more than {err.limit} states.") from None

    def fuzzy(
        self, fields: dict[str, float], term: str, edits: int | None, *, tie: float | None = None
    ) -> LQuery | None:
        """``getFuzzyQuery``: the term normalised per field, ``edits`` edits (``None``: the query's
        ``fuzziness``, ``AUTO`` by default, computed on the term)."""
        return self._per_field(
            fields, term, lambda fi: self._fuzzy_single(fi, term, edits), tie=tie, text_search_only=self._classic
        )

    def _fuzzy_single(self, fi: FieldInfo, term: str, edits: int | None) -> LQuery:
        if fi.type not in ("text", "keyword"):
            raise self.not_on_type(fi, "fuzzy")
        an = self._analyzer(fi) if fi.type == "text" else None
        normalized = normalize(an, term)
        max_edits = edits if edits is not None else multi_term.auto_fuzziness(self.fuzziness, normalized)
        return multi_term.fuzzy_query(
            self.ctx.searcher,
            fi.path,
            normalized,
            max_edits=max_edits,
            prefix_length=self.fuzzy_prefix_length,
            max_expansions=self.fuzzy_max_expansions,
            transpositions=self.fuzzy_transpositions,
        )


class QueryParseError(Exception):
    """Lucene's ``ParseException``: the query text does not parse (Elasticsearch: ``Failed to parse query``).
    ``cause_type`` names what Lucene threw first: a ``ParseException`` or the lexer's ``TokenMgrError``."""

    def __init__(self, message: str, cause_type: str = "parse_exception") -> None:
        super().__init__(message)
        self.cause_type = cause_type


def _normalize_pattern(an: TextAnalyzer | None, pattern: str) -> str:
    """``StringFieldType.normalizedWildcardQuery``: the literal stretches normalised, ``*``/``?``/escapes kept."""
    if an is None:
        return pattern
    out: list[str] = []
    chunk: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c in "*?":
            out.append(normalize(an, "".join(chunk)) if chunk else "")
            chunk = []
            out.append(c)
        elif c == "\\" and i + 1 < len(pattern):
            out.append(normalize(an, "".join(chunk)) if chunk else "")
            chunk = []
            out.append("\\" + normalize(an, pattern[i + 1]))
            i += 1
        else:
            chunk.append(c)
        i += 1
    if chunk:
        out.append(normalize(an, "".join(chunk)))
    return "".join(out)
