"""Query parameters as Elasticsearch's REST layer reads them.

Readers take the value as it arrives: text from the wire (``"true"``, ``"10"``, ``""`` for a bare
``?flag``) or the Python value ``Engine`` was given (``True``, ``10``); both read the same, and a bad
value is Elasticsearch's ``illegal_argument_exception`` with its wording. Also here: the parameters
every route accepts, the unknown-parameter error (with Elasticsearch's "did you mean" suggestions)
and ``filter_path``.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from typing import Any

from retrievo.errors import illegal_argument
from retrievo.grammar.json.errors import lucene_similarity

#: Accepted by every route: response formatting (``BaseRestHandler.responseParams`` and the REST
#: layer's own). ``pretty``/``human`` are the transport's business; ``error_trace`` is accepted and
#: never adds a stack trace.
COMMON = frozenset({"pretty", "human", "error_trace", "filter_path", "format"})
_TIME_VALUE = re.compile(r"(\d+(?:\.\d+)?)\s*(nanos|micros|ms|s|m|h|d)")
_EXPAND_WILDCARDS = ("open", "closed", "hidden", "none", "all")


def text(value: Any) -> str:
    """A parameter as the text Elasticsearch would see (lists joined with commas, as the client does)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(text(v) for v in value)
    return str(value)


def as_bool(name: str, value: Any, default: bool = False) -> bool:
    """``RestRequest.paramAsBoolean``: ``true``, ``false``, or the bare flag (empty text) as true."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if value in ("", "true"):
        return True
    if value == "false":
        return False
    raise illegal_argument(f"Failed to parse value [{text(value)}] as only [true] or [false] are allowed.")


def as_int(name: str, value: Any, default: int | None = None) -> int | None:
    """``RestRequest.paramAsInt``."""
    if value is None:
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return int(str(value))
    except ValueError:
        raise illegal_argument(f"Failed to parse int parameter [{name}] with value [{text(value)}]") from None


def time_value(name: str, value: Any) -> float | None:
    """``TimeValue.parseTimeValue``: seconds, or ``None`` for no value / ``-1`` (no limit)."""
    if value is None:
        return None
    raw = text(value).strip()
    if raw in ("-1", "0"):
        return None if raw == "-1" else 0.0
    match = _TIME_VALUE.fullmatch(raw)
    if match is None:
        raise illegal_argument(
            f"failed to parse setting [{name}] with value [{raw}] as a time value: unit is missing or unrecognized"
        )
    factor = {"nanos": 1e-9, "micros": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
    return float(match.group(1)) * factor[match.group(2)]


def refresh(value: Any) -> bool:
    """``WriteRequest.RefreshPolicy.parse``: ``true``/``""``/``wait_for`` refresh (one local shard:
    the write is searchable when the call returns either way), ``false`` does not."""
    if value in (None, False, "false"):
        return False
    if value in (True, "true", "wait_for", ""):
        return True
    raise illegal_argument(f"Unknown value for refresh: [{text(value)}].")


def expand_wildcards(value: Any) -> set[str]:
    """``IndicesOptions.WildcardOptions``: which index states a wildcard expands to (``open`` default;
    retrievo's indices are always open and never hidden)."""
    if value is None:
        return {"open"}
    states = {s.strip() for s in text(value).split(",") if s.strip()}
    for state in states:
        if state not in _EXPAND_WILDCARDS:
            raise illegal_argument(f"No valid expand wildcard value [{state}]")
    if "all" in states:
        return {"open", "closed", "hidden"}
    return states - {"none"}


def names(value: Any) -> list[str]:
    """A comma-separated list parameter (or a Python list) as its items."""
    if value is None:
        return []
    return [part for part in text(value).split(",") if part != ""]


# ---------------------------------------------------------------------------- unknown parameters


def unrecognized(path: str, invalid: Iterable[str], candidates: Iterable[str], detail: str = "parameter") -> str:
    """``BaseRestHandler.unrecognized``: names sorted, each with its closest candidates."""
    wanted = sorted(set(invalid))
    pool = sorted(set(candidates))
    message = f"request [{path}] contains unrecognized {detail}{'s' if len(wanted) > 1 else ''}: "
    parts = []
    for name in wanted:
        scored = [(lucene_similarity(name, c), c) for c in pool]
        keys = [c for _, c in sorted((s for s in scored if s[0] > 0.5), key=lambda s: (-s[0], s[1]))]
        part = f"[{name}]"
        if len(keys) == 1:
            part += f" -> did you mean [{keys[0]}]?"
        elif keys:
            part += f" -> did you mean any of [{', '.join(keys)}]?"
        parts.append(part)
    return message + ", ".join(parts)


# ---------------------------------------------------------------------------- filter_path

_MISSING = object()


def _compile(spec: Any) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    includes: list[tuple[str, ...]] = []
    excludes: list[tuple[str, ...]] = []
    for raw in names(spec):
        path = raw.strip()
        target = excludes if path.startswith("-") else includes
        path = path.lstrip("-")
        if path:
            target.append(tuple(seg for seg in path.split(".") if seg))
    return includes, excludes


def _step(segments: tuple[str, ...], key: str) -> list[tuple[str, ...]]:
    """The pattern states left after matching ``key`` (an empty tuple: fully matched)."""
    if not segments:
        return [()]
    head, rest = segments[0], segments[1:]
    if head == "**":
        if not rest:
            return [()]
        return [segments, *_step(rest, key)]
    # only ``*`` is a wildcard in a filter path; other glob characters are literal
    pattern = "".join(".*" if ch == "*" else re.escape(ch) for ch in head)
    if head == key or ("*" in head and re.fullmatch(pattern, key) is not None):
        return [rest]
    return []


def _advance(states: Sequence[tuple[str, ...]], key: str) -> list[tuple[str, ...]]:
    return list(dict.fromkeys(s for state in states for s in _step(state, key)))


def _include(value: Any, states: Sequence[tuple[str, ...]]) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, sub in value.items():
            nxt = _advance(states, str(key))
            if () in nxt:
                out[key] = sub
            elif nxt:
                kept = _include(sub, nxt)
                if kept is not _MISSING:
                    out[key] = kept
        return out if out else _MISSING
    if isinstance(value, list):
        items = [_include(item, states) for item in value if isinstance(item, (dict, list))]
        items = [item for item in items if item is not _MISSING]
        return items if items else _MISSING
    return _MISSING


def _exclude(value: Any, states: Sequence[tuple[str, ...]]) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, sub in value.items():
            nxt = _advance(states, str(key))
            if () in nxt:
                continue
            out[key] = _exclude(sub, nxt) if nxt else sub
        return out
    if isinstance(value, list):
        return [_exclude(item, states) for item in value]
    return value


def filter_path(body: Any, spec: Any) -> Any:
    """``filter_path``: keep the paths listed (``*`` within a name, ``**`` across levels), drop the
    ones prefixed with ``-``; empty objects and arrays left by the inclusion are removed, and a
    body with nothing left is ``{}``. Non-object bodies (text formats) are returned unchanged."""
    if spec is None or not isinstance(body, (dict, list)):
        return body
    includes, excludes = _compile(spec)
    if includes:
        kept = _include(body, includes)
        body = {} if kept is _MISSING else kept
    if excludes:
        body = _exclude(body, excludes)
    return body


def glob_match(name: str, pattern: str) -> bool:
    """An index-name wildcard (only ``*`` is special, as in Elasticsearch's ``Regex.simpleMatch``)."""
    if "*" not in pattern:
        return name == pattern
    return fnmatch.fnmatchcase(name, "".join("*" if ch == "*" else f"[{ch}]" for ch in pattern))
