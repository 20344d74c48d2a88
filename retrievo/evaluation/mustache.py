"""Mustache search templates, rendered the way Elasticsearch's ``lang-mustache`` module does.

``_rank_eval`` templates (and the ``retrievo eval`` retriever templates) are mustache sources whose
output is JSON, so — as in Elasticsearch, whose default content type for templates is JSON —
``{{var}}`` is JSON-string-escaped and ``{{{var}}}`` / ``{{&var}}`` are not. Supported: variables
with dotted names and list indexes (``{{a.b}}``, ``{{list.0}}``, ``{{.}}``), sections and inverted
sections over lists, objects and booleans, comments, and Elasticsearch's ``{{#toJson}}``,
``{{#join}}`` (with ``delimiter='…'``) and ``{{#url}}`` functions. Partials and delimiter changes
have no meaning without stored templates and are refused rather than rendered wrongly.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from retrievo.errors import BadRequestError, bad_request, not_supported

_TAG = re.compile(r"\{\{(\{[^}]*\}|[^}]*)\}\}")
_JOIN = re.compile(r"join(?:\s+delimiter='([^']*)')?")


def template_error(reason: str) -> BadRequestError:
    """``general_script_exception``: what a template that does not compile produces."""
    return bad_request("general_script_exception", reason)


@dataclass
class _Node:
    kind: str  # "text", "var", "raw", "section", "inverted"
    value: str
    children: list[_Node] = field(default_factory=list)


def _parse(source: str) -> list[_Node]:
    root: list[_Node] = []
    stack: list[tuple[_Node | None, list[_Node]]] = [(None, root)]
    pos = 0
    for match in _TAG.finditer(source):
        if match.start() > pos:
            stack[-1][1].append(_Node("text", source[pos : match.start()]))
        pos = match.end()
        tag = match.group(1)
        if tag.startswith("{"):
            stack[-1][1].append(_Node("raw", tag[1:-1].strip() if tag.endswith("}") else tag[1:].strip()))
            continue
        sigil, name = (tag[:1], tag[1:].strip()) if tag[:1] in "#^/!&>=" else ("", tag.strip())
        if sigil == "!":
            continue
        if sigil in (">", "="):
            what = "partials" if sigil == ">" else "delimiter changes"
            raise not_supported(f"mustache {what} ({{{{{tag}}}}})")
        if sigil in ("#", "^"):
            node = _Node("section" if sigil == "#" else "inverted", name)
            stack[-1][1].append(node)
            stack.append((node, node.children))
        elif sigil == "/":
            open_node = stack[-1][0]
            if open_node is None or open_node.value != name:
                raise template_error(
                    f"Failed to compile inline script [{source}] using lang [mustache]: mismatched section end [{name}]"
                )
            stack.pop()
        else:
            stack[-1][1].append(_Node("raw" if sigil == "&" else "var", name))
    if len(stack) > 1:
        open_section = stack[-1][0]
        assert open_section is not None  # only the root frame has no section node
        raise template_error(
            f"Failed to compile inline script [{source}] using lang [mustache]: "
            f"section [{open_section.value}] is not closed"
        )
    if pos < len(source):
        root.append(_Node("text", source[pos:]))
    return root


_MISSING = object()


def _lookup(name: str, contexts: list[Any]) -> Any:
    if name == ".":
        return contexts[-1]
    first, *rest = name.split(".")
    for ctx in reversed(contexts):
        value = _step(ctx, first)
        if value is not _MISSING:
            break
    else:
        return None
    for part in rest:
        value = _step(value, part)
        if value is _MISSING:
            return None
    return value


def _step(value: Any, part: str) -> Any:
    if isinstance(value, dict):
        return value.get(part, _MISSING)
    if isinstance(value, list) and part.isdigit():
        index = int(part)
        return value[index] if index < len(value) else _MISSING
    return _MISSING


def java_string(value: Any) -> str:
    """``String.valueOf`` of a parsed JSON value, as mustache.java prints it (a missing value is empty)."""
    from retrievo.java_text import java_str

    return "" if value is None else java_str(value)


def _json_escape(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)[1:-1]


def _falsy(value: Any) -> bool:
    return value is None or value is False or value == [] or value == ""


def _render(nodes: list[_Node], contexts: list[Any], out: list[str], escape: bool) -> None:
    for node in nodes:
        if node.kind == "text":
            out.append(node.value)
        elif node.kind in ("var", "raw"):
            text = java_string(_lookup(node.value, contexts))
            out.append(_json_escape(text) if node.kind == "var" and escape else text)
        elif node.kind == "inverted":
            if _falsy(_lookup(node.value, contexts)):
                _render(node.children, contexts, out, escape)
        else:
            _section(node, contexts, out, escape)


def _inner_text(node: _Node) -> str:
    return "".join(child.value for child in node.children if child.kind == "text").strip()


def _section(node: _Node, contexts: list[Any], out: list[str], escape: bool) -> None:
    name = node.value
    if name == "toJson":
        value = _lookup(_inner_text(node) or ".", contexts)
        out.append(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
        return
    join = _JOIN.fullmatch(name)
    if join:
        delimiter = join.group(1) if join.group(1) is not None else ","
        value = _lookup(_inner_text(node) or ".", contexts)
        items = value if isinstance(value, list) else [] if value is None else [value]
        text = delimiter.join(java_string(v) for v in items)
        out.append(_json_escape(text) if escape else text)
        return
    if name == "url":
        inner: list[str] = []
        _render(node.children, contexts, inner, escape=False)
        out.append(urllib.parse.quote("".join(inner), safe=""))
        return
    value = _lookup(name, contexts)
    if _falsy(value):
        return
    if isinstance(value, list):
        for item in value:
            _render(node.children, contexts + [item], out, escape)
    elif value is True:
        _render(node.children, contexts, out, escape)
    else:
        _render(node.children, contexts + [value], out, escape)


def render(source: str, params: dict[str, Any], *, json_escape: bool = True) -> str:
    """Render ``source`` with ``params``; ``{{var}}`` is JSON-escaped unless ``json_escape`` is off."""
    out: list[str] = []
    _render(_parse(source), [params], out, json_escape)
    return "".join(out)
