"""How the ES|QL front end reports bad queries, in Elasticsearch's error shapes.

Three kinds of failure, as Elasticsearch's ES|QL has them:

* **Syntax errors** are ``parsing_exception`` with ANTLR's wording and the position first
  (``line 1:14: mismatched input 'LIMT' expecting {'fork', 'fuse', …}``). retrievo adds the offending
  line and a caret under the position, so the error reads on its own.
* **Verification errors** (an unknown column or index, a wrong option) are ``verification_exception``
  listing every problem: ``Found 1 problem\\nline 1:27: Unknown column [titel]``.
* **Outside the subset**: an ES|QL command or function that Elasticsearch runs and retrievo does not
  is ``not supported in retrievo: <NAME>`` at its position (an ``illegal_argument_exception``, like
  retrievo's other "not supported" errors), never a syntax error and never a Python traceback.

Every error carries ``line`` and ``column`` (1-based) as attributes for programs and tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from retrievo.errors import BadRequestError, bad_request

#: ES|QL's source commands and processing commands (what Elasticsearch 9.x parses), so that one
#: outside the subset is named rather than reported as a syntax error.
ESQL_COMMANDS = frozenset(
    {
        "FROM",
        "ROW",
        "SHOW",
        "TS",
        "METRICS",
        "EXPLAIN",
        "SET",
        "PROMQL",
        "CHANGE_POINT",
        "COMPLETION",
        "DISSECT",
        "DROP",
        "ENRICH",
        "EVAL",
        "FORK",
        "FUSE",
        "GROK",
        "INLINESTATS",
        "INLINE",
        "KEEP",
        "LIMIT",
        "LOOKUP",
        "MV_EXPAND",
        "RENAME",
        "RERANK",
        "SAMPLE",
        "SORT",
        "STATS",
        "WHERE",
        "JOIN",
        "MMR",
        "TOP",
        "DEDUP",
        "INSIST",
        "SUBQUERY",
        "TS_INFO",
        "METRICS_INFO",
        "URI_PARTS",
        "USER_AGENT",
        "REGISTERED_DOMAIN",
        "IP_LOCATION",
        "HIGHLIGHT",
    }
)


@dataclass(frozen=True)
class Pos:
    """A 1-based line and column in the query text."""

    line: int
    column: int

    def __str__(self) -> str:
        return f"line {self.line}:{self.column}"


def _caret(text: str, pos: Pos) -> str:
    lines = text.split("\n")
    if not 1 <= pos.line <= len(lines):
        return ""
    line = lines[pos.line - 1].rstrip("\r")
    pad = "".join("\t" if ch == "\t" else " " for ch in line[: pos.column - 1])
    return f"\n{line}\n{pad}^"


def _error(error_type: str, text: str, pos: Pos, message: str, *, caret: bool) -> BadRequestError:
    reason = f"{pos}: {message}" + (_caret(text, pos) if caret else "")
    err = bad_request(error_type, reason)
    err.line, err.column = pos.line, pos.column  # type: ignore[attr-defined]
    return err


def syntax_error(text: str, pos: Pos, message: str) -> BadRequestError:
    """A ``parsing_exception`` at ``pos``, with the line and a caret under the position."""
    return _error("parsing_exception", text, pos, message, caret=True)


def not_supported(text: str, pos: Pos, what: str) -> BadRequestError:
    """Valid ES|QL that retrievo does not run: ``not supported in retrievo: <what>``."""
    return _error("illegal_argument_exception", text, pos, f"not supported in retrievo: {what}", caret=True)


class Problems:
    """Collects verification problems; Elasticsearch reports all of them at once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.items: list[tuple[Pos, str]] = []

    def add(self, pos: Pos, message: str) -> None:
        self.items.append((pos, message))

    def raise_if_any(self) -> None:
        if self.items:
            raise verification_error(self.items)


def verification_error(problems: Iterable[tuple[Pos, str]]) -> BadRequestError:
    """``verification_exception``: ``Found N problem(s)`` then one ``line L:C: message`` per problem."""
    items = list(problems)
    noun = "problem" if len(items) == 1 else "problems"
    reason = f"Found {len(items)} {noun}\n" + "\n".join(f"{pos}: {msg}" for pos, msg in items)
    err = bad_request("verification_exception", reason)
    err.line, err.column = items[0][0].line, items[0][0].column  # type: ignore[attr-defined]
    return err


# ---------------------------------------------------------------- lark exceptions → ES errors

#: How ANTLR (and so Elasticsearch) names the tokens the parser expected.
_TOKEN_NAMES: dict[str, tuple[str, ...]] = {
    "ORDER": ("'asc'", "'desc'"),
    "NULLS_ORDER": ("'first'", "'last'"),
    "LIKE_OP": ("'like'", "'rlike'"),
    "COMPARISON": ("'!='", "'<'", "'<='", "'=='", "'>'", "'>='"),
    "ADD_OP": ("'+'", "'-'"),
    "MUL_OP": ("'%'", "'*'", "'/'"),
    "LPAR": ("'('",),
    "RPAR": ("')'",),
    "LSQB": ("'['",),
    "RSQB": ("']'",),
    "LBRACE": ("'{'",),
    "RBRACE": ("'}'",),
    "COMMA": ("','",),
    "DOT": ("'.'",),
    "VBAR": ("'|'",),
    "COLON": ("':'",),
    "ASSIGN": ("'='",),
    "CAST": ("'::'",),
    "IDENT": ("UNQUOTED_IDENTIFIER",),
    "QUOTED_IDENT": ("QUOTED_IDENTIFIER",),
    "INTEGER": ("INTEGER_LITERAL",),
    "DECIMAL": ("DECIMAL_LITERAL",),
    "STRING": ("QUOTED_STRING",),
    "PARAM": ("PARAM",),
    "INDEX_PATTERN": ("UNQUOTED_SOURCE",),
    "ID_PATTERN": ("ID_PATTERN",),
    "$END": ("<EOF>",),
}


def expected_names(terminals: Iterable[str]) -> str:
    """``{'a', 'b'}`` (or the single name) as ANTLR lists the tokens it expected."""
    names: set[str] = set()
    for term in terminals:
        names.update(_TOKEN_NAMES.get(term, (f"'{term.lower()}'",)))
    ordered = sorted(names, key=lambda n: (not n.startswith("'"), n))
    if len(ordered) == 1:
        return ordered[0]
    return "{" + ", ".join(ordered) + "}"


def end_position(text: str) -> Pos:
    """Where ``<EOF>`` is: just past the last character."""
    lines = text.split("\n")
    return Pos(len(lines), len(lines[-1]) + 1)


def word_at(text: str, pos: Pos) -> str:
    """The identifier-like word starting at ``pos`` (for naming an unsupported command)."""
    lines = text.split("\n")
    if not 1 <= pos.line <= len(lines):
        return ""
    rest = lines[pos.line - 1][pos.column - 1 :]
    word = ""
    for ch in rest:
        if ch.isalnum() or ch == "_":
            word += ch
        else:
            break
    return word
