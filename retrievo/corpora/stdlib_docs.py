"""A real corpus from the running interpreter: docstrings of Python's standard library.

The modules' source files are parsed with :mod:`ast` (nothing is imported, so no module runs), and
every documented module, class, function and method becomes one document. The text belongs to the
Python project and is read at run time from the user's own installation; retrievo ships none of it.
"""

from __future__ import annotations

import ast
import sysconfig
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_SKIP_DIRS = frozenset(
    {
        "test",
        "tests",
        "idlelib",
        "tkinter",
        "turtledemo",
        "lib2to3",
        "ensurepip",
        "site-packages",
        "dist-packages",
        "__pycache__",
        "venv",
        "pydoc_data",
    }
)


def _stdlib_files(root: Path) -> list[Path]:
    files = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if any(part in _SKIP_DIRS or part.startswith(("test", "_")) for part in rel.parts[:-1]):
            continue
        if rel.name.startswith(("test_", "_")) and rel.name != "__init__.py":
            continue
        files.append(path)
    return files


def _module_name(root: Path, path: Path) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _docs_of(module: str, tree: ast.Module) -> Iterator[dict[str, Any]]:
    doc = ast.get_docstring(tree)
    if doc:
        yield {"module": module, "name": module, "qualname": module, "kind": "module", "doc": doc}
    stack: list[tuple[str, ast.AST, str]] = [(module, node, "") for node in tree.body]
    while stack:
        mod, node, owner = stack.pop(0)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name.startswith("_") and node.name != "__init__":
                continue
            qual = f"{owner}.{node.name}" if owner else node.name
            kind = "class" if isinstance(node, ast.ClassDef) else ("method" if owner else "function")
            text = ast.get_docstring(node)
            if text:
                yield {"module": mod, "name": node.name, "qualname": qual, "kind": kind, "doc": text}
            if isinstance(node, ast.ClassDef):
                stack.extend((mod, child, qual) for child in node.body)


def stdlib_documents(limit: int | None = None) -> list[dict[str, Any]]:
    """Documented stdlib objects as documents with ``module``, ``name``, ``qualname``, ``kind``,
    ``summary`` (first line), ``doc`` and ``lines``; deterministic order for one Python version."""
    root = Path(sysconfig.get_paths()["stdlib"])
    out: list[dict[str, Any]] = []
    for path in _stdlib_files(root):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        for doc in _docs_of(_module_name(root, path), tree):
            text = doc["doc"]
            doc["summary"] = text.strip().splitlines()[0] if text.strip() else ""
            doc["lines"] = text.count("\n") + 1
            out.append(doc)
            if limit is not None and len(out) >= limit:
                return out
    return out
