"""Dotted paths into a hit's ``_source`` and into the search request, read as OpenSearch reads them.

The rerank processor takes its document text and its ``by_field`` scores from ``_source`` through
neural-search's ``ProcessorUtils.getValueFromSource``, and its query text from the request through
OpenSearch's ``ObjectPath.eval``; both split the path with Java's ``String.split("\\.")`` (which drops
trailing empty parts). Their quirks are kept, since they decide what text a model scores:

- a list met half-way maps the rest of the path over its objects (``a.b`` on ``{"a": [{"b": 1},
  {"b": 2}]}`` is ``[1, 2]``; items without the key are skipped, none at all is "missing");
- a list of strings at the end of the path comes back wrapped in another list (``[["x", "y"]]``), so it
  prints as ``[x, y]`` in document text;
- ``ObjectPath`` reads list items by number (``a.0.b``) and answers ``null`` past a scalar.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from retrievo.opensearch.java_errors import JavaFailure

#: A missing value, as opposed to a present JSON ``null`` (``Optional.empty()``).
MISSING: Any = object()


class WrappedList(list[Any]):
    """``List.of(list)``: the one-element list ``getValueFromSource`` returns for a list of strings."""


def split_path(path: str) -> list[str]:
    """Java's ``path.split("\\.")``: trailing empty parts dropped; ``""`` stays one empty part."""
    if path == "":
        return [""]
    parts = path.split(".")
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def value_from_source(source: dict[str, Any], path: str) -> Any:
    """``ProcessorUtils.getValueFromSource``: the value at ``path``, or :data:`MISSING`."""
    keys = split_path(path)
    current: Any = source
    for i, key in enumerate(keys):
        if isinstance(current, dict):
            current = current.get(key)
            if i == len(keys) - 1 and isinstance(current, list) and current and isinstance(current[0], str):
                return WrappedList([current])
        elif isinstance(current, list):
            results = [item[key] for item in current if isinstance(item, dict) and item.get(key) is not None]
            if not results:
                return MISSING
            current = results
        else:
            return MISSING
    return MISSING if current is None else current


def remove_from_source(source: dict[str, Any], path: str) -> None:
    """``ProcessorUtils.removeTargetFieldFromSource``: delete the value, then every object the removal
    left empty, inside out. (OpenSearch stops walking at the first part equal to the last one, so
    ``a.a`` removes the top-level ``a``: kept.)"""
    keys = split_path(path)
    last = keys[-1]
    stack: list[tuple[dict[str, Any], str]] = []
    current = source
    for key in keys:
        stack.append((current, key))
        if key == last:
            break
        current = current[key]
    parent, key = stack.pop()
    parent.pop(key, None)
    while stack:
        parent, key = stack.pop()
        inner = parent.get(key)
        if isinstance(inner, dict) and not inner:
            del parent[key]


def object_path(path: str | None, value: Any) -> Any:
    """OpenSearch's ``ObjectPath.eval``: map keys and list indices along ``path``; ``None`` where the
    path leaves the structure (an index past the end is Java's ``IndexOutOfBoundsException``)."""
    parts = [] if not path else split_path(path)
    current = value
    for part in parts:
        if current is None:
            return None
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list):
            index = _java_int(part)
            if index is None:
                return None
            if not 0 <= index < len(current):
                raise JavaFailure(
                    "index_out_of_bounds_exception", f"Index {index} out of bounds for length {len(current)}"
                )
            current = current[index]
        else:
            return None
    return current


def _java_int(text: str) -> int | None:
    body = text[1:] if text[:1] in "+-" else text
    if not body or not all("0" <= c <= "9" for c in body):
        return None
    number = int(text)
    return number if -(2**31) <= number < 2**31 else None


# ---------------------------------------------------------------------------- numbers

_DECIMAL = re.compile(r"[+-]?(NaN|Infinity|((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)[fFdD]?)")
_HEX = re.compile(r"([+-]?)0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP]([+-]?\d+)[fFdD]?")


def parse_java_double(text: str) -> float | None:
    """``Double.parseDouble``: Java's grammar (``NaN``, ``Infinity``, an ``f``/``d`` suffix, hex
    floats, surrounding control characters and spaces ignored), ``None`` where Java throws."""
    trimmed = text.strip("".join(chr(c) for c in range(0x21)))
    if _DECIMAL.fullmatch(trimmed):
        core = trimmed[:-1] if trimmed[-1] in "fFdD" else trimmed
        if core.lstrip("+-") == "NaN":
            return float("nan")
        if core.lstrip("+-") == "Infinity":
            return float("-inf") if core.startswith("-") else float("inf")
        return float(core)
    hex_match = _HEX.fullmatch(trimmed)
    if hex_match:
        sign, digits, exponent = hex_match.groups()
        return float.fromhex(f"{sign}0x{digits}p{exponent}")
    return None


def is_numeric(value: Any) -> bool:
    """``ProcessorUtils.isNumeric``: a JSON number, or a string ``Double.parseDouble`` accepts."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, str) and parse_java_double(value) is not None


def to_java_float(value: Any) -> np.float32:
    """``getScoreFromSourceMap``: ``Float.parseFloat`` of a string, else ``Number.floatValue()``."""
    if isinstance(value, str):
        number = parse_java_double(value)
    else:
        try:
            number = float(value)
        except OverflowError:  # a BigInteger beyond any double: Java's floatValue() is infinite
            number = float("inf") if value > 0 else float("-inf")
    with np.errstate(over="ignore"):
        return np.float32(number)
