"""ES|QL text → a typed syntax tree of commands and expressions (nothing resolved yet).

The grammar (``esql.lark``) is parsed with lark's LALR parser; this module turns lark's tree into small
frozen dataclasses that keep the position of everything an error may have to point at, substitutes
query parameters (``?``, ``?1``, ``?name``) and turns every lark exception into an
Elasticsearch-shaped error (:mod:`retrievo.grammar.esql.errors`). What the commands *mean* is decided
later, by :mod:`retrievo.grammar.esql.pipeline`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, Tree, UnexpectedCharacters, UnexpectedInput, UnexpectedToken, v_args
from lark.exceptions import VisitError
from lark.tree import Meta

from retrievo.errors import ApiError
from retrievo.grammar.esql.errors import (
    ESQL_COMMANDS,
    Pos,
    end_position,
    expected_names,
    not_supported,
    syntax_error,
    word_at,
)
from retrievo.grammar.esql.syntax_tree import (
    Call,
    Compare,
    EsqlSyntax,
    Field,
    ForkCmd,
    FromCmd,
    FuseCmd,
    InList,
    IsNull,
    KeepCmd,
    LimitCmd,
    Lit,
    Logic,
    MapLit,
    MatchOp,
    Not,
    RerankCmd,
    SortCmd,
    SortItem,
    Unsupported,
    WhereCmd,
)

# ---------------------------------------------------------------- lark → dataclasses


@functools.cache
def _parser() -> Lark:
    grammar = (Path(__file__).with_name("esql.lark")).read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=False)


def _pos(node: Tree | Token) -> Pos:
    if isinstance(node, Token):
        return Pos(node.line or 1, node.column or 1)
    return Pos(node.meta.line, node.meta.column)


def _unquote(raw: str) -> str:
    """An ES|QL string literal's value: triple-quoted strings are raw; others take \\t \\n \\r \\" \\\\."""
    if raw.startswith('"""'):
        return raw[3:-3]
    body, out, i = raw[1:-1], [], 0
    escapes = {"t": "\t", "n": "\n", "r": "\r", '"': '"', "\\": "\\"}
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append(escapes.get(nxt, "\\" + nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _ident(token: Token) -> str:
    raw = str(token)
    if raw.startswith("`"):
        return raw[1:-1].replace("``", "`")
    return raw


class _Params:
    """ES|QL query parameters: a list of values (``?`` in order, ``?1`` by position) or a list of
    ``{name: value}`` objects (``?name``)."""

    def __init__(self, text: str, params: Sequence[Any] | None) -> None:
        self.text = text
        self.positional: list[Any] = []
        self.named: dict[str, Any] = {}
        self.next = 0
        for item in params or ():
            if isinstance(item, dict):
                if len(item) != 1:
                    raise syntax_error(
                        text, Pos(1, 1), f"Cannot parse more than one key:value pair as parameter, found [{item}]"
                    )
                ((name, value),) = item.items()
                self.named[str(name)] = value
            else:
                self.positional.append(item)

    def check_kinds(self, tokens: Sequence[Token]) -> None:
        """One query uses one kind of parameter (anonymous ``?``, positional ``?1`` or named
        ``?name``). Elasticsearch checks this while reading the tokens, before any value is looked
        up, so this runs over all of them, in text order, first."""
        kinds: list[str] = []
        for token in sorted(tokens, key=lambda t: (t.line or 0, t.column or 0)):
            raw = str(token)[1:]
            kind = "anonymous" if raw == "" else "positional" if raw.isdigit() else "named"
            if kind not in kinds:
                kinds.append(kind)
            if len(kinds) > 1:
                other = next(k for k in ("anonymous", "named", "positional") if k in kinds and k != kind)
                raise syntax_error(
                    self.text,
                    _pos(token),
                    f"Inconsistent parameter declaration, use one of "
                    f"positional, named or anonymous params but not a "
                    f"combination of {kind} and {other}",
                )

    def value(self, token: Token) -> Any:
        raw = str(token)[1:]
        pos = _pos(token)
        if raw == "":
            self.next += 1
            index = self.next
        elif raw.isdigit():
            index = int(raw)
        else:
            if raw not in self.named:
                raise syntax_error(self.text, pos, f"Unknown query parameter [{raw}]")
            return _param_value(self.text, pos, self.named[raw])
        if not 1 <= index <= len(self.positional):
            if not self.positional:
                raise syntax_error(self.text, pos, f"Not enough actual parameters {len(self.positional)}")
            raise syntax_error(
                self.text,
                pos,
                f"No parameter is defined for position {index}, did you mean "
                f"any position between 1 and {len(self.positional)}?",
            )
        return _param_value(self.text, pos, self.positional[index - 1])


def _param_value(text: str, pos: Pos, value: Any) -> Any:
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        return list(value)
    if hasattr(value, "tolist"):
        return _param_value(text, pos, value.tolist())
    raise not_supported(text, pos, f"a query parameter of type [{type(value).__name__}]")


def _children(tree: Tree) -> list[Any]:
    """Children without the keyword tokens the grammar keeps (they carry no information here)."""
    return [c for c in tree.children if not (isinstance(c, Token) and c.type in _KEYWORDS)]


_KEYWORDS = frozenset(
    {
        "FROM",
        "METADATA",
        "WHERE",
        "SORT",
        "LIMIT",
        "KEEP",
        "FORK",
        "FUSE",
        "RERANK",
        "SCORE",
        "KEY",
        "GROUP",
        "BY",
        "WITH",
        "ON",
        "AND",
        "OR",
        "IN",
        "IS",
        "NULLS",
        "ASSIGN",
        "COLON",
    }
)


class _Build(Transformer):
    """Bottom-up: lark subtrees → the dataclasses above."""

    def __init__(self, text: str, params: _Params) -> None:
        super().__init__(visit_tokens=False)
        self.text = text
        self.params = params

    def _src(self, meta: Meta) -> str:
        return self.text[meta.start_pos : meta.end_pos]

    # -- names
    def identifier(self, children: list[Token]) -> tuple[str, Pos]:
        return _ident(children[0]), _pos(children[0])

    def qualified_name(self, children: list[tuple[str, Pos]]) -> Field:
        return Field(".".join(name for name, _ in children), children[0][1])

    def id_pattern(self, children: list[Token]) -> tuple[str, Pos]:
        return str(children[0]), _pos(children[0])

    def qualified_pattern(self, children: list[tuple[str, Pos]]) -> tuple[str, Pos]:
        return ".".join(name for name, _ in children), children[0][1]

    def keep_pattern(self, children: list[tuple[str, Pos]]) -> tuple[str, Pos]:
        return children[0]

    # -- values
    def integer(self, children: list[Token]) -> Lit:
        return Lit(int(children[0]), _pos(children[0]))

    def decimal(self, children: list[Token]) -> Lit:
        return Lit(float(children[0]), _pos(children[0]))

    def string(self, children: list[Token]) -> Lit:
        return Lit(_unquote(str(children[0])), _pos(children[0]))

    def true(self, children: list[Token]) -> Lit:
        return Lit(True, _pos(children[0]))

    def false(self, children: list[Token]) -> Lit:
        return Lit(False, _pos(children[0]))

    def null(self, children: list[Token]) -> Lit:
        return Lit(None, _pos(children[0]))

    def param(self, children: list[Token]) -> Lit:
        return Lit(self.params.value(children[0]), _pos(children[0]))

    def array(self, children: list[Any]) -> Lit:
        pos = children[0].pos if children else Pos(1, 1)
        for item in children:
            if not isinstance(item, Lit):  # ``- true``: a sign takes a number only (ES's ``integerValue``)
                line = self.text.split("\n")[item.pos.line - 1]
                column = item.pos.column + 1
                while column <= len(line) and line[column - 1].isspace():
                    column += 1
                at = Pos(item.pos.line, column)
                raise syntax_error(
                    self.text,
                    at,
                    f"mismatched input '{word_at(self.text, at)}' expecting {{DECIMAL_LITERAL, INTEGER_LITERAL}}",
                )
            if isinstance(item.value, list):
                raise not_supported(self.text, item.pos, "nested arrays")
        return Lit([c.value for c in children], pos)

    def signed(self, children: list[Any]) -> Any:
        sign, operand = children
        if isinstance(operand, Lit) and isinstance(operand.value, (int, float)) and not isinstance(operand.value, bool):
            value = -operand.value if str(sign) == "-" else operand.value
            return Lit(value, _pos(sign))
        return Unsupported(f"unary [{sign}]", _pos(sign))

    def map_entry(self, children: list[Any]) -> tuple[str, Any]:
        key, _colon, value = children
        return _unquote(str(key)), value

    def map_expr(self, children: list[tuple[str, Any]]) -> MapLit:
        return MapLit(tuple(children), Pos(1, 1))

    # -- expressions
    @staticmethod
    def _first_pos(node: Any) -> Pos:
        return node.pos if hasattr(node, "pos") else Pos(1, 1)

    def or_expr(self, children: list[Any]) -> Logic:
        parts = _children(Tree("or", children))
        return Logic("or", tuple(parts), self._first_pos(parts[0]))

    def and_expr(self, children: list[Any]) -> Logic:
        parts = _children(Tree("and", children))
        return Logic("and", tuple(parts), self._first_pos(parts[0]))

    def not_expr(self, children: list[Any]) -> Not:
        return Not(children[1], _pos(children[0]))

    @v_args(meta=True)
    def comparison(self, meta: Meta, children: list[Any]) -> Compare:
        left, op, right = children
        return Compare(str(op), left, right, Pos(meta.line, meta.column), self._src(meta))

    @v_args(meta=True)
    def in_list(self, meta: Meta, children: list[Any]) -> InList:
        negated = any(isinstance(c, Token) and c.type == "NOT" for c in children)
        parts = [c for c in children if not isinstance(c, Token)]
        return InList(parts[0], tuple(parts[1:]), negated, Pos(meta.line, meta.column), self._src(meta))

    def assignment(self, children: list[Any]) -> Unsupported:
        raise syntax_error(
            self.text,
            _pos(children[1]),
            "mismatched input '=' expecting {'!=', '<', '<=', '==', '>', '>='} (use == to compare)",
        )

    def is_null(self, children: list[Any]) -> IsNull:
        negated = any(isinstance(c, Token) and c.type == "NOT" for c in children)
        return IsNull(children[0], negated, self._first_pos(children[0]))

    def like(self, children: list[Any]) -> Unsupported:
        op = next(c for c in children if isinstance(c, Token) and c.type == "LIKE_OP")
        return Unsupported(str(op).upper(), _pos(op))

    def match_operator(self, children: list[Any]) -> MatchOp:
        field, _colon, value = children
        return MatchOp(field, value, field.pos)

    def arith(self, children: list[Any]) -> Unsupported:
        op = children[1]
        return Unsupported(f"arithmetic [{op}]", _pos(op))

    def term_expr(self, children: list[Any]) -> Unsupported:
        op = children[1]
        return Unsupported(f"arithmetic [{op}]", _pos(op))

    def cast_expr(self, children: list[Any]) -> Unsupported:
        return Unsupported("casts [::]", _pos(children[1]))

    def star_arg(self, children: list[Token]) -> Unsupported:
        return Unsupported("[*] as an argument", _pos(children[0]))

    @v_args(meta=True)
    def function_call(self, meta: Meta, children: list[Any]) -> Call:
        name = children[0]
        return Call(str(name).upper(), tuple(children[1:]), _pos(name), self._src(meta))

    # -- commands
    def index_name(self, children: list[Token]) -> tuple[str, Pos]:
        raw = str(children[0])
        return (_unquote(raw) if children[0].type == "STRING" else raw), _pos(children[0])

    def metadata(self, children: list[Any]) -> list[tuple[str, Pos]]:
        return [(f.name, f.pos) for f in _children(Tree("m", children))]

    def from_command(self, children: list[Any]) -> FromCmd:
        pos = _pos(children[0])
        parts = _children(Tree("f", children))
        metadata: tuple[tuple[str, Pos], ...] = ()
        if parts and isinstance(parts[-1], list):
            metadata = tuple(parts.pop())
        return FromCmd(tuple(parts), metadata, pos)

    def where_command(self, children: list[Any]) -> WhereCmd:
        return WhereCmd(children[1], _pos(children[0]))

    def sort_item(self, children: list[Any]) -> SortItem:
        expr = children[0]
        order = nulls = None
        for c in children[1:]:
            if isinstance(c, Token) and c.type == "ORDER":
                order = str(c).lower()
            elif isinstance(c, Token) and c.type == "NULLS_ORDER":
                nulls = str(c).lower()
        return SortItem(expr, order, nulls, self._first_pos(expr))

    def sort_command(self, children: list[Any]) -> SortCmd:
        return SortCmd(tuple(_children(Tree("s", children))), _pos(children[0]))

    def limit_command(self, children: list[Any]) -> LimitCmd:
        value = children[1]
        pos = _pos(children[1]) if isinstance(value, Token) else value.pos
        number = int(value) if isinstance(value, Token) else value.value
        if isinstance(number, bool) or not isinstance(number, int):
            raise syntax_error(self.text, pos, f"Invalid value for LIMIT [{number}], expecting a non negative integer")
        if number < 0:
            raise syntax_error(self.text, pos, f"Invalid value for LIMIT [{number}], expecting a non negative integer")
        return LimitCmd(number, _pos(children[0]))

    def keep_command(self, children: list[Any]) -> KeepCmd:
        return KeepCmd(tuple(_children(Tree("k", children))), _pos(children[0]))

    def fork_branch(self, children: list[Any]) -> tuple[Any, ...]:
        return tuple(children)

    def fork_command(self, children: list[Any]) -> ForkCmd:
        branches = [c for c in children if isinstance(c, tuple)]
        return ForkCmd(tuple(branches), tuple(_branch_pos(b) for b in branches), _pos(children[0]))

    def fuse_method(self, children: list[Token]) -> tuple[str, Pos]:
        return str(children[0]), _pos(children[0])

    def fuse_score_by(self, children: list[Any]) -> tuple[str, Any]:
        field = _children(Tree("x", children))[0]
        return "score_by", (field.name, field.pos)

    def fuse_group_by(self, children: list[Any]) -> tuple[str, Any]:
        field = _children(Tree("x", children))[0]
        return "group_by", (field.name, field.pos)

    def fuse_key_by(self, children: list[Any]) -> tuple[str, Any]:
        return "key_by", tuple((f.name, f.pos) for f in _children(Tree("x", children)))

    def fuse_with(self, children: list[Any]) -> tuple[str, Any]:
        return "with", _children(Tree("x", children))[0]

    def fuse_command(self, children: list[Any]) -> FuseCmd:
        pos = _pos(children[0])
        method = method_pos = None
        opts: dict[str, Any] = {}
        for c in children[1:]:
            if isinstance(c, tuple) and isinstance(c[0], str) and c[0] in ("score_by", "group_by", "key_by", "with"):
                if c[0] in opts:
                    raise syntax_error(self.text, pos, f"Only one {c[0].replace('_', ' ').upper()} is allowed")
                opts[c[0]] = c[1]
            elif isinstance(c, tuple):
                method, method_pos = c
        return FuseCmd(
            method, method_pos, opts.get("score_by"), opts.get("key_by"), opts.get("group_by"), opts.get("with"), pos
        )

    def rerank_text(self, children: list[Any]) -> Lit:
        c = children[0]
        return Lit(_unquote(str(c)), _pos(c)) if isinstance(c, Token) else c

    def rerank_command(self, children: list[Any]) -> RerankCmd:
        pos = _pos(children[0])
        parts = _children(Tree("r", children))
        column = None
        if isinstance(parts[0], Field):
            column = (parts[0].name, parts[0].pos)
            parts = parts[1:]
        text = parts[0]
        options = parts[-1] if isinstance(parts[-1], MapLit) else None
        fields = tuple((f.name, f.pos) for f in parts[1:] if isinstance(f, Field))
        if not isinstance(text.value, str):
            raise syntax_error(self.text, text.pos, f"query must be a valid string, found [{text.value}]")
        return RerankCmd(column, text.value, text.pos, fields, options, pos)


def _branch_pos(branch: tuple[Any, ...]) -> Pos:
    return branch[0].pos if branch else Pos(1, 1)


# ---------------------------------------------------------------- errors


def _from_lark(text: str, err: UnexpectedInput) -> ApiError:
    if isinstance(err, UnexpectedToken):
        token = err.token
        expected = set(err.accepts or err.expected or ())
        if token.type == "$END":
            return syntax_error(
                text, end_position(text), f"mismatched input '<EOF>' expecting {expected_names(expected)}"
            )
        pos = Pos(token.line or 1, token.column or 1)
        command_slot = expected & {"FROM", "WHERE", "SORT", "LIMIT"}
        word = word_at(text, pos)
        if command_slot and word.upper() in ESQL_COMMANDS:
            return not_supported(text, pos, word.upper())
        return syntax_error(text, pos, f"mismatched input '{token}' expecting {expected_names(expected)}")
    if isinstance(err, UnexpectedCharacters):
        pos = Pos(err.line, err.column)
        char = text.split("\n")[pos.line - 1][pos.column - 1 : pos.column]
        allowed = set(err.allowed or ())
        word = word_at(text, pos)
        if allowed & {"WHERE", "FROM"} and word.upper() in ESQL_COMMANDS:
            return not_supported(text, pos, word.upper())
        if char == '"':
            return syntax_error(
                text,
                pos,
                f"token recognition error at: '\"' (an unterminated string?) expecting {expected_names(allowed)}",
            )
        return syntax_error(text, pos, f"token recognition error at: '{char}' expecting {expected_names(allowed)}")
    return syntax_error(text, Pos(getattr(err, "line", 1) or 1, getattr(err, "column", 1) or 1), str(err))


#: ``ExpressionBuilder.MAX_EXPRESSION_DEPTH``: how deeply Elasticsearch nests expressions.
MAX_EXPRESSION_DEPTH = 400
#: Tree levels around an expression that Elasticsearch does not count: ``start``, the command, and
#: the identifier under a field name.
_UNCOUNTED_LEVELS = 3


def _check_expression_depth(text: str, tree: Tree) -> None:
    """Elasticsearch's ``parsing_exception`` for expressions nested past :data:`MAX_EXPRESSION_DEPTH`,
    found without recursion (deeper trees would otherwise exhaust Python's stack)."""
    limit = MAX_EXPRESSION_DEPTH + _UNCOUNTED_LEVELS
    stack: list[tuple[Tree, int, Tree]] = [(tree, 1, tree)]
    while stack:
        node, depth, parent = stack.pop()
        if depth > limit:
            tokens: list[str] = []
            todo: list[Any] = [parent]
            while todo:  # ``ctx.getParent().getText()``: its tokens, no whitespace
                item = todo.pop()
                if isinstance(item, Tree):
                    todo.extend(reversed(item.children))
                else:
                    tokens.append(str(item))
            raise syntax_error(
                text,
                _pos(parent),
                f"ESQL statement exceeded the maximum expression depth allowed ({MAX_EXPRESSION_DEPTH}): "
                f"[{''.join(tokens)}]",
            )
        stack.extend((child, depth + 1, node) for child in node.children if isinstance(child, Tree))


def parse_syntax(text: str, params: Sequence[Any] | None = None) -> EsqlSyntax:
    """Parse ES|QL ``text`` into commands; raises Elasticsearch-shaped errors only."""
    if not isinstance(text, str):
        raise syntax_error(str(text), Pos(1, 1), f"query must be a string, found [{type(text).__name__}]")
    if not text.strip():
        raise syntax_error(text, Pos(1, 1), "mismatched input '<EOF>' expecting 'from'")
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as err:
        raise _from_lark(text, err) from None
    _check_expression_depth(text, tree)
    query_params = _Params(text, params)
    query_params.check_kinds(list(tree.scan_values(lambda v: isinstance(v, Token) and v.type == "PARAM")))
    try:
        built = _Build(text, query_params).transform(tree)
    except VisitError as err:
        if isinstance(err.orig_exc, ApiError):
            raise err.orig_exc from None
        raise
    source, *commands = built.children
    return EsqlSyntax(text, source, tuple(commands))
