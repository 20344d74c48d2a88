"""Plain-text tables for a terminal: search hits, ES|QL results, evaluation scores.

Cells are one line each (newlines and runs of whitespace folded, long text cut with an ellipsis),
so a table stays a table however long the documents are.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

SNIPPET_WIDTH = 80
_SPACE = re.compile(r"\s+")


def cell(value: Any, width: int = SNIPPET_WIDTH) -> str:
    """``value`` on one line of at most ``width`` characters (``-`` for null/absent)."""
    if value is None:
        return "-"
    if isinstance(value, float):
        text = f"{value:.6g}" if abs(value) < 1e6 else repr(value)
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = _SPACE.sub(" ", text).strip()
    if len(text) > width:
        text = text[: width - 1].rstrip() + "…"
    return text


def render(headers: Sequence[str], rows: Sequence[Sequence[str]], *, right: Sequence[bool] = ()) -> str:
    """Columns padded to their widest cell; ``right[i]`` right-aligns column ``i`` (numbers)."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]
    align = list(right) + [False] * (len(headers) - len(right))

    def line(cells: Sequence[str]) -> str:
        parts = [c.rjust(w) if a else c.ljust(w) for c, w, a in zip(cells, widths, align)]
        return "  ".join(parts).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out.extend(line(row) for row in rows)
    return "\n".join(out)


def field_value(source: Any, path: str) -> Any:
    """The value at dotted ``path`` of a ``_source`` (objects and arrays walked; dotted keys such
    as ``{"a.b": 1}`` found too, as Elasticsearch reads them)."""
    if not isinstance(source, dict):
        return None
    if path in source:
        return source[path]
    head, _, rest = path.partition(".")
    while rest:
        if head in source:
            value = source[head]
            if isinstance(value, list):
                found = [field_value(v, rest) for v in value]
                found = [f for f in found if f is not None]
                return found or None
            return field_value(value, rest)
        more, _, rest = rest.partition(".")
        head = f"{head}.{more}"
    return None


def hits_table(response: dict[str, Any], show: Sequence[str]) -> str:
    """Rank, ``_id``, ``_score`` and the ``show`` fields of each hit, with a summary line."""
    hits = response.get("hits", {})
    rows = []
    for rank, hit in enumerate(hits.get("hits", []), 1):
        score = hit.get("_score")
        row = [str(rank), cell(hit.get("_id"), 40), "-" if score is None else f"{score:.6g}"]
        for path in show:
            value = field_value(hit.get("_source"), path)
            if value is None and path in hit.get("fields", {}):
                value = hit["fields"][path]
            row.append(cell(value))
        rows.append(row)
    total = hits.get("total")
    if isinstance(total, dict):
        total_text = f"{total.get('value')}" + ("+" if total.get("relation") == "gte" else "")
    else:
        total_text = "?" if total is None else str(total)
    summary = f"{len(rows)} hit(s) shown of {total_text}, took {response.get('took', 0)} ms"
    if not rows:
        return summary
    table = render(["rank", "_id", "_score", *show], rows, right=[True, False, True])
    return table + "\n" + summary


def esql_table(response: dict[str, Any]) -> str:
    """An ES|QL response (``columns`` and row-major ``values``) as a table."""
    columns = [c["name"] for c in response.get("columns", [])]
    rows = [[cell(v) for v in row] for row in response.get("values", [])]
    numeric = [c.get("type") in ("double", "float", "long", "integer") for c in response.get("columns", [])]
    summary = f"{len(rows)} row(s), took {response.get('took', 0)} ms"
    if not columns:
        return summary
    return render(columns, rows, right=numeric) + "\n" + summary
