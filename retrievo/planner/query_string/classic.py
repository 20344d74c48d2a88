"""Lucene's classic ``QueryParser`` grammar (``QueryParser.jj``) with Elasticsearch's overrides.

A recursive-descent twin of the JavaCC parser: the same productions (``Query``, ``Clause``, ``Term``,
``MultiTerm``), the same lookaheads (runs of plain terms are analysed together, as ``splitOnWhitespace``
is false), and the same clause bookkeeping (``QueryParserBase.addClause``: how ``AND``/``OR``/``NOT``/
``+``/``-`` and the default operator make a clause required, optional or prohibited). Where the Java
parser calls ``getFieldQuery``/``getRangeQuery``/``getPrefixQuery``/… it calls :class:`FieldQueries`,
which does what ``QueryStringQueryParser`` overrides them to do.
"""

from __future__ import annotations

import retrievo.planner.query_string.classic_lexer as lx
from retrievo.java_text import java_float_str
from retrievo.lucene import multi_term
from retrievo.lucene.query import BoolQ, BoostQ, LQuery, MatchAllQ, TermQ
from retrievo.planner.query_string.fields import FieldQueries, QueryParseError

CONJ_NONE, CONJ_AND, CONJ_OR = 0, 1, 2
MOD_NONE, MOD_NOT, MOD_REQ = 0, 10, 11
MUST, SHOULD, MUST_NOT, FILTER = "must", "should", "must_not", "filter"

Clause = tuple[str, LQuery]

#: Tokens after which a run of terms stops (``QueryParser.disallowedPostMultiTerm``).
_DISALLOWED_POST_MULTI_TERM = frozenset({lx.COLON, lx.STAR, lx.FUZZY_SLOP, lx.CARAT, lx.AND, lx.OR})
#: What may start ``Conjunction() Modifiers() Clause()``.
_CLAUSE_FIRST = frozenset(
    {
        lx.AND,
        lx.OR,
        lx.NOT,
        lx.PLUS,
        lx.MINUS,
        lx.BAREOPER,
        lx.LPAREN,
        lx.STAR,
        lx.QUOTED,
        lx.TERM,
        lx.PREFIXTERM,
        lx.WILDTERM,
        lx.REGEXPTERM,
        lx.RANGEIN_START,
        lx.RANGEEX_START,
        lx.NUMBER,
    }
)
#: JavaCC's ``tokenImage``: literal tokens quoted, named ones in angle brackets.
_TOKEN_IMAGES = {
    lx.PLUS: '"+"',
    lx.MINUS: '"-"',
    lx.LPAREN: '"("',
    lx.RPAREN: '")"',
    lx.COLON: '":"',
    lx.STAR: '"*"',
    lx.CARAT: '"^"',
    lx.RANGEIN_START: '"["',
    lx.RANGEEX_START: '"{"',
    lx.RANGE_TO: '"TO"',
    lx.RANGEIN_END: '"]"',
    lx.RANGEEX_END: '"}"',
    lx.AND: "<AND>",
    lx.OR: "<OR>",
    lx.NOT: "<NOT>",
    lx.BAREOPER: "<BAREOPER>",
    lx.QUOTED: "<QUOTED>",
    lx.TERM: "<TERM>",
    lx.FUZZY_SLOP: "<FUZZY_SLOP>",
    lx.PREFIXTERM: "<PREFIXTERM>",
    lx.WILDTERM: "<WILDTERM>",
    lx.REGEXPTERM: "<REGEXPTERM>",
    lx.NUMBER: "<NUMBER>",
    lx.RANGE_QUOTED: "<RANGE_QUOTED>",
    lx.RANGE_GOOP: "<RANGE_GOOP>",
}
_ESCAPED = frozenset('\\+-!():^[]"{}~*?|&/')


def escape(text: str) -> str:
    """``QueryParser.escape``: every syntax character preceded by a backslash."""
    return "".join("\\" + c if c in _ESCAPED else c for c in text)


def discard_escape_char(text: str) -> str:
    """``QueryParserBase.discardEscapeChar``: ``\\x`` → ``x``, ``\\uXXXX`` → the character."""
    out: list[str] = []
    escaped = False
    multiplier = 0
    code = 0
    for c in text:
        if multiplier > 0:
            digit = int(c, 16) if c in "0123456789abcdefABCDEF" else -1
            if digit < 0:
                raise QueryParseError(f"Non-hex character in Unicode escape sequence: {c}")
            code += digit * multiplier
            multiplier >>= 4
            if multiplier == 0:
                out.append(chr(code))
                code = 0
        elif escaped:
            if c == "u":
                multiplier = 16 * 16 * 16
            else:
                out.append(c)
            escaped = False
        elif c == "\\":
            escaped = True
        else:
            out.append(c)
    if multiplier > 0:
        raise QueryParseError("Truncated unicode escape sequence.")
    if escaped:
        raise QueryParseError("Term can not end with escape character.")
    return "".join(out)


def java_float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


class ClassicParser:
    """One parse of one query text (Lucene's parser is stateful too)."""

    def __init__(self, text: str, fq: FieldQueries, *, default_and: bool, phrase_slop: int, phrase_type: bool) -> None:
        self.text = text
        self.fq = fq
        self.default_and = default_and
        self.phrase_slop = phrase_slop
        #: ``type: phrase``: every unquoted run of text is searched as a phrase.
        self.phrase_type = phrase_type
        self._source = lx.tokenize(text)
        self.tokens: list[lx.Token] = []
        self.pos = 0

    # ---------------------------------------------------------------------------------- tokens

    def peek(self, ahead: int = 0) -> lx.Token:
        """The token ``ahead`` of the current one, read from the text only now (``<EOF>`` repeats)."""
        while len(self.tokens) <= self.pos + ahead and (not self.tokens or self.tokens[-1].kind != lx.EOF):
            try:
                self.tokens.append(next(self._source))
            except lx.LexicalError as err:
                raise QueryParseError(str(err), "token_mgr_error") from None
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def take(self, *kinds: str) -> lx.Token:
        token = self.peek()
        if token.kind not in kinds:
            raise self.unexpected(token)
        self.pos += 1
        return token

    def unexpected(self, token: lx.Token) -> QueryParseError:
        """JavaCC's ``ParseException`` message, up to its list of expected tokens (left out)."""
        if token.kind == lx.EOF:
            return QueryParseError(f'Encountered "<EOF>" at line 1, column {token.column}.')
        image = token.image.replace("\\", "\\\\").replace('"', '\\"')
        return QueryParseError(
            f'Encountered " {_TOKEN_IMAGES.get(token.kind, token.kind)} "{image} "" at line 1, column {token.column}.'
        )

    # ---------------------------------------------------------------------------------- grammar

    def parse(self) -> LQuery | None:
        """``TopLevelQuery(field)``: unfielded text searches the default field (``default_field`` or
        ``*``) by name, or, with ``fields``, the resolved fields (no name)."""
        q = self.query(self.fq.default_field)
        self.take(lx.EOF)
        return q

    def _multi_term_ahead(self) -> bool:
        return (
            self.peek().kind == lx.TERM
            and self.peek(1).kind == lx.TERM
            and self.peek(2).kind not in _DISALLOWED_POST_MULTI_TERM
        )

    def query(self, field: str | None) -> LQuery | None:
        clauses: list[Clause] = []
        first: LQuery | None = None
        if self._multi_term_ahead():
            first = self.multi_term(field, clauses)
        else:
            mods = self.modifiers()
            q = self.clause(field)
            self.add_clause(clauses, CONJ_NONE, mods, q)
            if mods == MOD_NONE:
                first = q
        while True:
            if self._multi_term_ahead():
                self.multi_term(field, clauses)
            elif self.peek().kind in _CLAUSE_FIRST:
                conj = self.conjunction()
                mods = self.modifiers()
                q = self.clause(field)
                self.add_clause(clauses, conj, mods, q)
            else:
                break
        if len(clauses) == 1 and first is not None:
            return first
        return self.boolean(clauses)

    def conjunction(self) -> int:
        kind = self.peek().kind
        if kind == lx.AND:
            self.pos += 1
            return CONJ_AND
        if kind == lx.OR:
            self.pos += 1
            return CONJ_OR
        return CONJ_NONE

    def modifiers(self) -> int:
        kind = self.peek().kind
        if kind == lx.PLUS:
            self.pos += 1
            return MOD_REQ
        if kind in (lx.MINUS, lx.NOT):
            self.pos += 1
            return MOD_NOT
        return MOD_NONE

    def clause(self, field: str | None) -> LQuery | None:
        if self.peek().kind in (lx.TERM, lx.STAR) and self.peek(1).kind == lx.COLON:
            token = self.take(lx.TERM, lx.STAR)
            self.take(lx.COLON)
            field = "*" if token.kind == lx.STAR else discard_escape_char(token.image)
        if self.peek().kind == lx.LPAREN:
            self.pos += 1
            q = self.query(field)
            self.take(lx.RPAREN)
            boost = None
            if self.peek().kind == lx.CARAT:
                self.pos += 1
                boost = self.take(lx.NUMBER)
            return self.handle_boost(q, boost)
        return self.term(field)

    def term(self, field: str | None) -> LQuery | None:
        token = self.peek()
        boost: lx.Token | None = None
        slop: lx.Token | None = None
        if token.kind in (lx.RANGEIN_START, lx.RANGEEX_START):
            return self.range(field)
        if token.kind == lx.QUOTED:
            self.pos += 1
            boost, slop = self.boost_and_slop()
            return self.handle_boost(self.quoted(field, token, slop), boost)
        term = self.take(lx.TERM, lx.STAR, lx.PREFIXTERM, lx.WILDTERM, lx.REGEXPTERM, lx.NUMBER, lx.BAREOPER)
        boost, slop = self.boost_and_slop()
        return self.handle_boost(self.bare(field, term, slop), boost)

    def boost_and_slop(self) -> tuple[lx.Token | None, lx.Token | None]:
        boost = slop = None
        if self.peek().kind == lx.CARAT:
            self.pos += 1
            boost = self.take(lx.NUMBER)
            if self.peek().kind == lx.FUZZY_SLOP:
                slop = self.take(lx.FUZZY_SLOP)
        elif self.peek().kind == lx.FUZZY_SLOP:
            slop = self.take(lx.FUZZY_SLOP)
            if self.peek().kind == lx.CARAT:
                self.pos += 1
                boost = self.take(lx.NUMBER)
        return boost, slop

    def range(self, field: str | None) -> LQuery | None:
        start = self.take(lx.RANGEIN_START, lx.RANGEEX_START)
        goop1 = self.take(lx.RANGE_GOOP, lx.RANGE_QUOTED, lx.RANGE_TO)
        self.take(lx.RANGE_TO)
        goop2 = self.take(lx.RANGE_GOOP, lx.RANGE_QUOTED, lx.RANGE_TO)
        end = self.take(lx.RANGEIN_END, lx.RANGEEX_END)
        boost = None
        if self.peek().kind == lx.CARAT:
            self.pos += 1
            boost = self.take(lx.NUMBER)
        lo = self._bound(goop1)
        hi = self._bound(goop2)
        q = self.fq_range(field, lo, hi, start.kind == lx.RANGEIN_START, end.kind == lx.RANGEIN_END)
        return self.handle_boost(q, boost)

    @staticmethod
    def _bound(goop: lx.Token) -> str | None:
        if goop.kind == lx.RANGE_QUOTED:
            return discard_escape_char(goop.image[1:-1])
        if goop.image == "*":
            return None
        return discard_escape_char(goop.image)

    def multi_term(self, field: str | None, clauses: list[Clause]) -> LQuery | None:
        words = [self.take(lx.TERM).image]
        while self.peek().kind == lx.TERM and self.peek(1).kind not in _DISALLOWED_POST_MULTI_TERM:
            words.append(self.take(lx.TERM).image)
        q = self.field_query(field, discard_escape_char(" ".join(words)))
        self.add_multi_term_clauses(clauses, q)
        return q

    # ---------------------------------------------------------------------------------- clauses

    def add_clause(self, clauses: list[Clause], conj: int, mods: int, q: LQuery | None) -> None:
        """``QueryParserBase.addClause``."""
        if clauses and conj == CONJ_AND:
            occur, prev = clauses[-1]
            if occur != MUST_NOT:
                clauses[-1] = (MUST, prev)
        if clauses and self.default_and and conj == CONJ_OR:
            occur, prev = clauses[-1]
            if occur != MUST_NOT:
                clauses[-1] = (SHOULD, prev)
        if q is None:
            return
        if not self.default_and:
            prohibited = mods == MOD_NOT
            required = mods == MOD_REQ
            if conj == CONJ_AND and not prohibited:
                required = True
        else:
            prohibited = mods == MOD_NOT
            required = not prohibited and conj != CONJ_OR
        if required and not prohibited:
            clauses.append((MUST, q))
        elif not prohibited:
            clauses.append((SHOULD, q))
        else:
            clauses.append((MUST_NOT, q))

    def add_multi_term_clauses(self, clauses: list[Clause], q: LQuery | None) -> None:
        """``QueryParserBase.addMultiTermClauses``: a boolean of plain terms is spliced in as it is."""
        if q is None:
            return
        if isinstance(q, BoolQ) and not q.filter and not q.msm and all(isinstance(c, TermQ) for c in q.clauses()):
            clauses.extend((MUST, c) for c in q.must)
            clauses.extend((SHOULD, c) for c in q.should)
            clauses.extend((MUST_NOT, c) for c in q.must_not)
            return
        occur = MUST if self.default_and else SHOULD
        if isinstance(q, BoolQ):
            clauses.extend((occur, c) for c in q.clauses())
        else:
            clauses.append((occur, q))

    def boolean(self, clauses: list[Clause]) -> LQuery | None:
        """``getBooleanQuery`` (none for no clauses) with Elasticsearch's ``fixNegativeQueryIfNeeded``."""
        return build_boolean(clauses)

    @staticmethod
    def handle_boost(q: LQuery | None, boost: lx.Token | None) -> LQuery | None:
        if boost is None or q is None:
            return q
        value = java_float(boost.image)
        return BoostQ(q, 1.0 if value is None else value)

    # ---------------------------------------------------------------------------------- leaves

    def bare(self, field: str | None, term: lx.Token, slop: lx.Token | None) -> LQuery | None:
        """``handleBareTokenQuery``."""
        image = term.image[:1] if term.kind == lx.BAREOPER else term.image
        if term.kind in (lx.STAR, lx.WILDTERM):
            return self.fq.wildcard(self.fq.fields_for(field, False), image, field_name=field)
        if term.kind == lx.PREFIXTERM:
            return self.fq.prefix(self.fq.fields_for(field, False), discard_escape_char(image[:-1]))
        if term.kind == lx.REGEXPTERM:
            return self.fq.regexp(self.fq.fields_for(field, False), image[1:-1])
        text = discard_escape_char(image)
        if slop is not None:
            return self.fuzzy(field, text, slop)
        return self.field_query(field, text)

    def fuzzy(self, field: str | None, text: str, slop: lx.Token) -> LQuery | None:
        """``handleBareFuzzy`` with Elasticsearch's ``getFuzzyDistance``: ``~`` alone is the query's
        ``fuzziness``; ``~N`` (or ``~AUTO``, ``~AUTO:3,6``) is ``Fuzziness.fromString``, whose refusals
        (``fuzziness cannot be [x].``) fail the query."""
        spec = slop.image[1:]
        edits: int | None = None
        if spec:
            edits = multi_term.auto_fuzziness(self.fuzziness_from_string(spec), text)
        return self.fq.fuzzy(self.fq.fields_for(field, False), text, edits)

    def fuzziness_from_string(self, spec: str) -> str:
        """``Fuzziness.fromString``: ``AUTO``, ``AUTO:low,high`` or an edit count of 0, 1 or 2."""
        upper = spec.upper()
        if upper == "AUTO":
            return "AUTO"
        if upper.startswith("AUTO:"):
            limits = upper[5:].split(",")
            if len(limits) != 2:
                raise self.fq.fail("failed to find low and high distance values", "parse_exception")
            try:
                low, high = int(limits[0]), int(limits[1])
            except ValueError:
                raise self.fq.fail(f'failed to parse [{upper}] as a "auto:int,int"', "parse_exception") from None
            if low < 0 or high < 0 or low > high:
                reason = f"fuzziness wrongly configured [{upper}]. Must be 0 < lower value <= higher value."
                raise self.fq.fail(reason, "parse_exception")
            return f"AUTO:{low},{high}"
        value = java_float(spec.strip().rstrip("fFdD") if spec.strip()[-1:] in "fFdD" else spec)
        if value is None:
            raise self.fq.fail(f"fuzziness cannot be [{spec}].")
        if value % 1 > 0:
            raise self.fq.fail(f"fuzziness needs to be one of 0.0, 1.0 or 2.0 but was {java_float_str(value)}")
        if int(value) not in (0, 1, 2):
            raise self.fq.fail(f"Valid edit distances are [0, 1, 2] but was [{int(value)}]")
        return str(int(value))

    def quoted(self, field: str | None, term: lx.Token, slop: lx.Token | None) -> LQuery | None:
        """``handleQuotedTerm``: the phrase's own ``~N`` or the query's ``phrase_slop``."""
        s = self.phrase_slop
        if slop is not None:
            value = java_float(slop.image[1:])
            if value is not None:
                s = int(value)
        text = discard_escape_char(term.image[1:-1])
        if field == "_exists_":
            return self.fq.exists(text)
        fields = self.fq.fields_for(field, True)
        if not fields:
            return _unmapped(field)
        return self.fq.text(fields, text, phrase=True, slop=s)

    def field_query(self, field: str | None, text: str) -> LQuery | None:
        """``QueryStringQueryParser.getFieldQuery`` for unquoted text: ``_exists_``, the one-sided
        ranges ``>``/``>=``/``<``/``<=`` after a field name, a date term with a time zone, else a
        ``match`` per field (a ``match_phrase`` for ``type: phrase``)."""
        if field == "_exists_":
            return self.fq.exists(text)
        if field is not None and len(text) > 1:
            if text[0] == ">":
                if len(text) > 2 and text[1] == "=":
                    return self.fq_range(field, text[2:], None, True, True)
                return self.fq_range(field, text[1:], None, False, True)
            if text[0] == "<":
                if len(text) > 2 and text[1] == "=":
                    return self.fq_range(field, None, text[2:], True, True)
                return self.fq_range(field, None, text[1:], True, False)
            fi = self.fq.ctx.searcher.field_info(field)
            if fi is not None and fi.type == "date" and self.fq.time_zone is not None:
                return self.fq_range(field, text, text, True, True)
        fields = self.fq.fields_for(field, False)
        if not fields:
            return _unmapped(field)
        if self.phrase_type:
            return self.fq.text(fields, text, phrase=True, slop=self.phrase_slop)
        return self.fq.text(fields, text, phrase=False)

    def fq_range(self, field: str | None, lo: str | None, hi: str | None, lo_inc: bool, hi_inc: bool) -> LQuery:
        lo = None if lo == "*" else lo
        hi = None if hi == "*" else hi
        fields = self.fq.fields_for(field, False)
        if not fields:
            return _unmapped(field)
        return self.fq.range(fields, lo, hi, lo_inc, hi_inc)


def _unmapped(field: str | None) -> LQuery:
    from retrievo.lucene.query import MatchNoneQ

    return MatchNoneQ(f"unmapped fields [{field}]")


def build_boolean(clauses: list[Clause]) -> LQuery | None:
    if not clauses:
        return None
    must = tuple(q for o, q in clauses if o == MUST)
    should = tuple(q for o, q in clauses if o == SHOULD)
    must_not = tuple(q for o, q in clauses if o == MUST_NOT)
    filt: tuple[LQuery, ...] = ()
    if must_not and not must and not should:
        filt = (MatchAllQ(),)  # Queries.fixNegativeQueryIfNeeded
    return BoolQ(must=must, should=should, filter=filt, must_not=must_not)
