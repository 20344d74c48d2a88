"""The architecture map, checked from the source (ARCHITECTURE.md, "Rooms" and the rules under it).

The import graph of ``retrievo/`` is read with ``ast`` — every ``import`` and ``from ... import``,
function-level ones included — so a lazy import cannot hide a cycle. Two kinds of import are left
out of the graph: the parent packages Python runs implicitly on the way to a submodule (an edge to
``retrievo/index/__init__.py`` is not drawn because a module imports ``retrievo.index.shard``), and
imports under ``if TYPE_CHECKING:``, which never run.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "retrievo"

#: Packages below the planner: the query engine, the index and the inference services.
LOWER_LAYERS = ("retrievo.index", "retrievo.lucene", "retrievo.inference")
#: What the lower layers must not import: the AST, its front ends, the planner and everything above.
UPPER_LAYERS = (
    "retrievo.planner",
    "retrievo.retrievers",
    "retrievo.grammar",
    "retrievo.client",
    "retrievo.catalog",
    "retrievo.api",
    "retrievo.server",
    "retrievo.cli",
)


@dataclass
class Module:
    name: str
    path: Path
    tree: ast.Module
    is_package: bool
    #: (imported module, line) for every import that runs.
    imports: list[tuple[str, int]] = field(default_factory=list)


def _module_name(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node except the bodies of ``if TYPE_CHECKING:`` (their ``else`` branches run)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _absolute(module: Module, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.name.split(".")
    if not module.is_package:
        base.pop()
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: Module, known: Collection[str]) -> list[tuple[str, int]]:
    """(retrievo module, line) for each import of ``module`` that runs; ``known``: every module."""
    found = []
    for node in _runtime_nodes(module.tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, node)
            # ``from pkg import sub`` imports the submodule; ``from pkg import name`` runs pkg.
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # ``import a.b.c`` where c is a name
                target = target.rpartition(".")[0]
            if target.startswith("retrievo") and target != module.name:
                found.append((target, node.lineno))
    return found


def _load() -> dict[str, Module]:
    modules: dict[str, Module] = {}
    for path in sorted(ROOT.rglob("*.py")):
        name, is_package = _module_name(path)
        modules[name] = Module(name, path, ast.parse(path.read_text(), str(path)), is_package)
    for module in modules.values():
        module.imports = _imports(module, modules)
    return modules


MODULES = _load()


def _cycles(modules: dict[str, Module]) -> list[list[str]]:
    """One cycle through each strongly connected component of more than one module (Tarjan)."""
    graph = {name: sorted({t for t, _ in m.imports}) for name, m in modules.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return [_cycle_in(graph, set(c)) for c in components]


def _cycle_in(graph: dict[str, list[str]], component: set[str]) -> list[str]:
    """A shortest cycle through the component's first module (breadth-first inside it)."""
    start = min(component)
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in graph[v]:
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [start] + path[::-1][1:] + [start]
                if w in component and w not in came_from:
                    came_from[w] = v
                    nxt.append(w)
        frontier = nxt
    raise AssertionError(f"no cycle found in {sorted(component)}")


def test_no_import_cycles() -> None:
    cycles = _cycles(MODULES)
    assert not cycles, "import cycles in retrievo/:\n" + "\n".join(" -> ".join(c) for c in cycles)


def _within(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def test_lower_layers_do_not_import_upper_layers() -> None:
    found = [
        f"{m.path.relative_to(ROOT.parent)}:{line}: imports {target}"
        for m in MODULES.values()
        if _within(m.name, LOWER_LAYERS)
        for target, line in m.imports
        if _within(target, UPPER_LAYERS)
    ]
    assert not found, "index/, lucene/ and inference/ reach up the flow:\n" + "\n".join(found)


#: Private attributes of another library's objects, read on purpose: (module, attribute) and why.
FOREIGN_PRIVATE = {
    # elasticsearch.dsl's Search keeps the index it targets and its Search.params(...) only in these
    # attributes, with no public accessor; the official client reads them the same way to send it.
    ("retrievo/grammar/builders.py", "_index"),
    ("retrievo/grammar/builders.py", "_params"),
    # elastic_transport's NodeConfig._extras is the slot for what a custom node class needs beyond
    # host and port (its own requests node reads its session auth there): the in-process node's router.
    ("retrievo/client.py", "_extras"),
}


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _defined_names(tree: ast.Module) -> set[str]:
    """Names a module defines itself: functions, classes, parameters, and assigned names and
    attributes (``self._x = ...``, class fields) — a module may use its own private helpers."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Store):
            names.add(node.id if isinstance(node, ast.Name) else node.attr)
    return names


def _is_self(value: ast.expr) -> bool:
    if isinstance(value, ast.Name):
        return value.id in ("self", "cls")
    # super()._x and type(self)._x are the object's own attributes
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in ("super", "type")


def _private_import(m: Module, node: ast.ImportFrom, name: str) -> bool:
    """``from x import _name``, unless ``_name`` is a private submodule of the importer's own package."""
    if not _is_private(name):
        return False
    module = f"{_absolute(m, node)}.{name}"
    package = module.rpartition(".")[0]
    return not (module in MODULES and (m.name + ".").startswith(package + "."))


def _private_access(m: Module) -> list[str]:
    """Where ``m`` reads another module's or object's private name."""
    own = _defined_names(m.tree)
    where = str(m.path.relative_to(ROOT.parent))
    found = []
    for node in ast.walk(m.tree):
        if (
            isinstance(node, ast.Attribute)
            and _is_private(node.attr)
            and not _is_self(node.value)
            and node.attr not in own
            and (where, node.attr) not in FOREIGN_PRIVATE
        ):
            found.append(f"{where}:{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            found += [
                f"{where}:{node.lineno}: {ast.unparse(node)}" for a in node.names if _private_import(m, node, a.name)
            ]
    return found


def test_no_module_reaches_into_private_attributes() -> None:
    found = [line for m in MODULES.values() for line in _private_access(m)]
    assert not found, "access to another module's or object's private names:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "source, allowed",
    [
        ("class _Helper:\n    def __init__(self):\n        self._n = 1\n\nh = _Helper()\nh._n += 1\n", True),
        ("def f(self):\n    return self._x, super()._y, cls.__name__\n", True),
        ("def f(engine):\n    return engine._shards\n", False),
        ("def f(self):\n    return self._engine._shards\n", False),
        ("from retrievo.b import _helper\n", False),
    ],
)
def test_the_private_rule(source: str, allowed: bool) -> None:
    probe = Module("retrievo.a", ROOT / "a.py", ast.parse(source), False)
    assert (not _private_access(probe)) is allowed


@pytest.mark.parametrize(
    "source, expected",
    [
        ("import retrievo.b\n", {"retrievo.b"}),
        ("from retrievo import b\n", {"retrievo.b"}),
        ("from . import b\n", {"retrievo.b"}),
        ("def f():\n    from retrievo.b import thing\n", {"retrievo.b"}),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import retrievo.b\n", set()),
    ],
)
def test_the_graph_sees_every_import_that_runs(source: str, expected: set[str], tmp_path: Path) -> None:
    probe = Module("retrievo.a", tmp_path / "a.py", ast.parse(source), False)
    assert {target for target, _ in _imports(probe, {"retrievo.a", "retrievo.b"})} == expected
