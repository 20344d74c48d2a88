"""Walking and rebuilding operator trees without mutating them.

Plan rules are pure functions, so they never edit an operator in place: they build a new operator
with ``dataclasses.replace`` and new children, which keeps every declared field (the ``origin`` the
planner attached, ``shared``). Operators keep their children in different fields (``child``,
``children_ops``, ``inputs``); :func:`with_children` hides that. A plan can be a DAG —
the shared-subtree rule puts one operator under several parents — so :func:`transform` memoises by
identity and a shared operator stays shared after a rewrite.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any, cast

from retrievo.planner.operators.base import Operator


def with_children(op: Operator, children: tuple[Operator, ...]) -> Operator:
    """A copy of ``op`` with new children (``op`` itself when they are the very same objects)."""
    old = op.children()
    if len(old) == len(children) and all(a is b for a, b in zip(old, children)):
        return op
    if hasattr(op, "children_ops"):
        return updated(op, children_ops=children)
    if hasattr(op, "inputs"):
        return updated(op, inputs=children)
    if hasattr(op, "child"):
        (child,) = children
        return updated(op, child=child)
    raise TypeError(f"{type(op).__name__} has no children to replace")  # pragma: no cover


def updated(op: Operator, **changes: Any) -> Operator:
    """``dataclasses.replace`` for an operator whose class is known only at run time: the fields named
    belong to that class (``limit`` of a windowed operator, ``fanout`` of a fusion), not to every operator."""
    return cast(Operator, replace(cast(Any, op), **changes))


def transform(root: Operator, fn: Callable[[Operator], Operator]) -> Operator:
    """Rebuild the tree bottom-up, applying ``fn`` to every operator after its children.

    Each distinct operator is rewritten once (by identity), so a sub-tree shared by several parents
    is still one object afterwards.
    """
    memo: dict[int, Operator] = {}

    def visit(op: Operator) -> Operator:
        done = memo.get(id(op))
        if done is not None:
            return done
        kids = tuple(visit(c) for c in op.children())
        new = fn(with_children(op, kids))
        memo[id(op)] = new
        return new

    return visit(root)


def rebuild(root: Operator, fn: Callable[[Operator, Operator], Operator]) -> Operator:
    """:func:`transform` for rules that decide by the *original* operator: ``fn(original, rebuilt)``
    gets the operator as it was (to look it up in what the rule computed beforehand) and as rebuilt
    with its new children."""
    memo: dict[int, Operator] = {}

    def visit(op: Operator) -> Operator:
        done = memo.get(id(op))
        if done is not None:
            return done
        new = fn(op, with_children(op, tuple(visit(c) for c in op.children())))
        memo[id(op)] = new
        return new

    return visit(root)


def walk(root: Operator, distinct: bool = True) -> Iterator[Operator]:
    """Operators in pre-order; with ``distinct`` a shared operator is yielded once."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        op = stack.pop()
        if distinct:
            if id(op) in seen:
                continue
            seen.add(id(op))
        yield op
        stack.extend(reversed(op.children()))


def parents(root: Operator) -> dict[int, list[Operator]]:
    """For every operator (by identity), the operators that have it as a child (one entry per edge)."""
    out: dict[int, list[Operator]] = {}
    for op in walk(root):
        for c in op.children():
            out.setdefault(id(c), []).append(op)
    return out
