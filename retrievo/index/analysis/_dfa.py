"""A tiny regular-expression → DFA compiler over a small integer alphabet.

Why not Python's ``re``: JFlex scanners pick, at each position, the *longest* match over all rules
and break ties by rule order. A backtracking engine returns the first alternative that matches,
which differs from longest-match in exactly the corner cases (emoji vs. word, keycaps, format
characters) that Lucene's StandardTokenizer is known for. Building the automaton ourselves gives
JFlex's semantics by construction; the grammar stays readable as data in ``standard_tokenizer``.

The alphabet is the set of character *classes* (small ints), not characters, so the DFA is tiny.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Sym:
    """One input symbol drawn from ``classes``."""

    classes: frozenset[int]


@dataclass(frozen=True, slots=True)
class Seq:
    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Alt:
    options: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Star:
    inner: Node


Node = Sym | Seq | Alt | Star


def seq(*parts: Node) -> Node:
    return Seq(tuple(parts))


def alt(*options: Node) -> Node:
    return Alt(tuple(options))


def star(inner: Node) -> Node:
    return Star(inner)


def plus(inner: Node) -> Node:
    return Seq((inner, Star(inner)))


def opt(inner: Node) -> Node:
    return Alt((inner, Seq(())))


@dataclass(frozen=True, slots=True)
class Dfa:
    """``trans[state][cls]`` is the next state (0 = dead); ``accept[state]`` is rule index + 1.

    State 1 is the start state. A state accepting several rules reports the lowest-numbered one,
    which is JFlex's tie-break for equally long matches.
    """

    trans: tuple[tuple[int, ...], ...]
    accept: tuple[int, ...]
    start_classes: frozenset[int]


class _Nfa:
    def __init__(self) -> None:
        self.eps: list[list[int]] = []
        self.moves: list[list[tuple[frozenset[int], int]]] = []
        self.accept: dict[int, int] = {}

    def state(self) -> int:
        self.eps.append([])
        self.moves.append([])
        return len(self.eps) - 1

    def build(self, node: Node, start: int) -> int:
        """Adds ``node`` starting at ``start``; returns its end state (Thompson construction)."""
        if isinstance(node, Sym):
            end = self.state()
            self.moves[start].append((node.classes, end))
            return end
        if isinstance(node, Seq):
            cur = start
            for part in node.parts:
                cur = self.build(part, cur)
            return cur
        if isinstance(node, Alt):
            end = self.state()
            for option in node.options:
                s = self.state()
                self.eps[start].append(s)
                self.eps[self.build(option, s)].append(end)
            return end
        if isinstance(node, Star):
            loop = self.state()
            self.eps[start].append(loop)
            inner_start = self.state()
            self.eps[loop].append(inner_start)
            self.eps[self.build(node.inner, inner_start)].append(loop)
            return loop
        raise TypeError(f"not a regex node: {node!r}")

    def closure(self, states: Iterable[int]) -> frozenset[int]:
        seen = set(states)
        stack = list(seen)
        while stack:
            for nxt in self.eps[stack.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return frozenset(seen)


def compile_rules(rules: Sequence[Node], n_classes: int) -> Dfa:
    """Subset construction for the union of ``rules`` (earlier rules win ties)."""
    nfa = _Nfa()
    root = nfa.state()
    for index, rule in enumerate(rules):
        s = nfa.state()
        nfa.eps[root].append(s)
        nfa.accept[nfa.build(rule, s)] = index + 1
    closures: dict[frozenset[int], frozenset[int]] = {}

    def closure(targets: frozenset[int]) -> frozenset[int]:
        found = closures.get(targets)
        if found is None:
            found = closures[targets] = nfa.closure(targets)
        return found

    start = closure(frozenset([root]))
    ids: dict[frozenset[int], int] = {frozenset(): 0, start: 1}
    order = [frozenset(), start]
    trans: list[list[int]] = [[0] * n_classes, [0] * n_classes]
    todo = [start]
    while todo:
        current = todo.pop()
        by_class: dict[int, set[int]] = {}
        for s in current:
            for classes, target in nfa.moves[s]:
                for cls in classes:
                    by_class.setdefault(cls, set()).add(target)
        row = trans[ids[current]]
        for cls, targets in by_class.items():
            nxt = closure(frozenset(targets))
            if nxt not in ids:
                ids[nxt] = len(order)
                order.append(nxt)
                trans.append([0] * n_classes)
                todo.append(nxt)
            row[cls] = ids[nxt]
    accept = [min((nfa.accept[s] for s in states if s in nfa.accept), default=0) for states in order]
    start_classes = frozenset(c for c in range(n_classes) if trans[1][c])
    return Dfa(tuple(tuple(r) for r in trans), tuple(accept), start_classes)
