"""Lucene's ``SimpleQueryParser``: the forgiving syntax behind ``simple_query_string``.

A character scanner, not a grammar: ``+`` and ``|`` set the operation joining the next piece to what
came before, ``-`` negates the next piece, ``"…"`` (``~N``) is a phrase, ``(…)`` a sub-query, a trailing
``*`` a prefix, ``~N`` after a term a fuzzy term; an operator the ``flags`` switch off is an ordinary
character, and anything unbalanced is ignored rather than an error. The query tree is grown exactly as
Lucene's ``buildQueryTree`` grows it (a change of operation wraps what came before in a new boolean),
since the shape decides the scores.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from retrievo.lucene.query import BoolQ, LQuery, MatchAllQ, MatchNoneQ
from retrievo.planner.query_string.fields import FieldQueries

AND_OPERATOR = 1 << 0
NOT_OPERATOR = 1 << 1
OR_OPERATOR = 1 << 2
PREFIX_OPERATOR = 1 << 3
PHRASE_OPERATOR = 1 << 4
PRECEDENCE_OPERATORS = 1 << 5
ESCAPE_OPERATOR = 1 << 6
WHITESPACE_OPERATOR = 1 << 7
FUZZY_OPERATOR = 1 << 8
NEAR_OPERATOR = 1 << 9
#: ``LevenshteinAutomata.MAXIMUM_SUPPORTED_DISTANCE``.
MAX_EDITS = 2
_SPACES = " \t\n\r"


@dataclass
class _Bool:
    """A boolean being grown (Lucene rebuilds an immutable ``BooleanQuery`` each time)."""

    clauses: list[tuple[str, LQuery | _Bool]] = field(default_factory=list)


Node = LQuery | _Bool


@dataclass
class _State:
    data: str
    start: int
    end: int
    top: Node | None = None
    current: str | None = None
    previous: str | None = None
    nots: int = 0

    def __post_init__(self) -> None:
        self.index = self.start


def to_lucene(node: Node) -> LQuery:
    if not isinstance(node, _Bool):
        return node
    must = tuple(to_lucene(q) for o, q in node.clauses if o == "must")
    should = tuple(to_lucene(q) for o, q in node.clauses if o == "should")
    must_not = tuple(to_lucene(q) for o, q in node.clauses if o == "must_not")
    return BoolQ(must=must, should=should, must_not=must_not)


class SimpleParser:
    def __init__(self, fq: FieldQueries, flags: int, default_operator: str) -> None:
        self.fq = fq
        self.flags = flags
        self.default_occur = "must" if default_operator == "and" else "should"

    def on(self, flag: int) -> bool:
        return bool(self.flags & flag)

    def parse(self, text: str) -> LQuery:
        """``SimpleQueryParser.parse``: ``*`` is every document, nothing found is no document."""
        if text.strip() == "*":
            return MatchAllQ()
        state = _State(text, 0, len(text))
        self.parse_sub_query(state)
        if state.top is None:
            return MatchNoneQ("empty string passed to query parser")
        return to_lucene(state.top)

    def parse_sub_query(self, state: _State) -> None:
        data = state.data
        while state.index < state.end:
            c = data[state.index]
            if c == "(" and self.on(PRECEDENCE_OPERATORS):
                self.consume_sub_query(state)
            elif c == ")" and self.on(PRECEDENCE_OPERATORS):
                state.index += 1
            elif c == '"' and self.on(PHRASE_OPERATOR):
                self.consume_phrase(state)
            elif c == "+" and self.on(AND_OPERATOR):
                if state.current is None and state.top is not None:
                    state.current = "must"
                state.index += 1
            elif c == "|" and self.on(OR_OPERATOR):
                if state.current is None and state.top is not None:
                    state.current = "should"
                state.index += 1
            elif c == "-" and self.on(NOT_OPERATOR):
                state.nots += 1
                state.index += 1
                continue
            elif c in _SPACES and self.on(WHITESPACE_OPERATOR):
                state.index += 1
            else:
                self.consume_token(state)
            state.nots = 0

    def consume_sub_query(self, state: _State) -> None:
        data = state.data
        state.index += 1
        start = state.index
        precedence = 1
        escaped = False
        while state.index < state.end:
            if not escaped:
                c = data[state.index]
                if c == "\\" and self.on(ESCAPE_OPERATOR):
                    escaped = True
                    state.index += 1
                    continue
                if c == "(":
                    precedence += 1
                elif c == ")":
                    precedence -= 1
                    if precedence == 0:
                        break
            escaped = False
            state.index += 1
        if state.index == state.end:
            state.index = start  # no closing parenthesis: the opening one is ignored
        elif state.index == start:
            state.current = None
            state.index += 1
        else:
            sub = _State(data, start, state.index)
            self.parse_sub_query(sub)
            self.build_tree(state, sub.top)
            state.index += 1

    def consume_phrase(self, state: _State) -> None:
        data = state.data
        state.index += 1
        start = state.index
        copied: list[str] = []
        escaped = False
        has_slop = False
        while state.index < state.end:
            if not escaped:
                c = data[state.index]
                if c == "\\" and self.on(ESCAPE_OPERATOR):
                    escaped = True
                    state.index += 1
                    continue
                if c == '"':
                    if state.end > state.index + 1 and data[state.index + 1] == "~" and self.on(NEAR_OPERATOR):
                        state.index += 1
                        if state.end > state.index + 1:
                            has_slop = True
                    break
            escaped = False
            copied.append(data[state.index])
            state.index += 1
        if state.index == state.end:
            state.index = start  # no closing quote: the opening one is ignored
        elif state.index == start:
            state.current = None
            state.index += 1
        else:
            slop = self.parse_fuzziness(state) if has_slop else 0
            self.build_tree(state, self.phrase("".join(copied), slop))
            state.index += 1

    def consume_token(self, state: _State) -> None:
        data = state.data
        copied: list[str] = []
        escaped = False
        prefix = False
        fuzzy = False
        while state.index < state.end:
            if not escaped:
                c = data[state.index]
                if c == "\\" and self.on(ESCAPE_OPERATOR):
                    escaped = True
                    prefix = False
                    state.index += 1
                    continue
                if self.token_finished(state):
                    break
                if copied and c == "~" and self.on(FUZZY_OPERATOR):
                    fuzzy = True
                    break
                prefix = bool(copied) and c == "*" and self.on(PREFIX_OPERATOR)
            escaped = False
            copied.append(data[state.index])
            state.index += 1
        if not copied:
            return
        branch: LQuery | None
        if fuzzy and self.on(FUZZY_OPERATOR):
            token = "".join(copied)
            edits = min(self.parse_fuzziness(state), MAX_EDITS)
            branch = self.fq.text(self.fq.weights, token, phrase=False) if edits == 0 else self.fuzzy(token, edits)
        elif prefix:
            branch = self.fq.prefix(self.fq.weights, "".join(copied[:-1]))
        else:
            branch = self.fq.text(self.fq.weights, "".join(copied), phrase=False)
        self.build_tree(state, branch)

    def fuzzy(self, token: str, edits: int) -> LQuery | None:
        return self.fq.fuzzy(self.fq.weights, token, edits)

    def phrase(self, text: str, slop: int) -> LQuery | None:
        fields = self.fq.weights
        if self.fq.quote_field_suffix is not None:
            fields = self.fq.resolve_all(fields, self.fq.quote_field_suffix)
        return self.fq.text(fields, text, phrase=True, slop=slop)

    def token_finished(self, state: _State) -> bool:
        c = state.data[state.index]
        return (
            (c == '"' and self.on(PHRASE_OPERATOR))
            or (c == "|" and self.on(OR_OPERATOR))
            or (c == "+" and self.on(AND_OPERATOR))
            or (c in "()" and self.on(PRECEDENCE_OPERATORS))
            or (c in _SPACES and self.on(WHITESPACE_OPERATOR))
        )

    def parse_fuzziness(self, state: _State) -> int:
        """``parseFuzziness``: the digits after ``~`` up to the token's end; ``~`` alone is 2."""
        if state.data[state.index] != "~":
            return 0
        text: list[str] = []
        while state.index < state.end:
            state.index += 1
            if state.index < state.end:
                if self.token_finished(state):
                    break
                text.append(state.data[state.index])
        spec = "".join(text)
        if not spec:
            return 2
        try:
            value = int(spec) if spec.lstrip("+-").isdigit() and spec.isascii() else 0
        except ValueError:
            value = 0
        if value > 2**31 - 1 or value < -(2**31):
            value = 0
        return max(value, 0)

    def build_tree(self, state: _State, branch: Node | None) -> None:
        """``buildQueryTree``."""
        if branch is None:
            return
        if state.nots % 2 == 1:
            branch = _Bool([("must_not", branch), ("should", MatchAllQ())])
        if state.top is None:
            state.top = branch
        else:
            if state.current is None:
                state.current = self.default_occur
            if state.previous != state.current:
                state.top = _Bool([(state.current, state.top)])
            assert isinstance(state.top, _Bool)
            state.top = _Bool([*state.top.clauses, (state.current, branch)])
            state.previous = state.current
        state.current = None
