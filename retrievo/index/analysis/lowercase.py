"""Java's ``Character.toLowerCase`` / ``toUpperCase`` applied code point by code point.

Why not ``str.lower()``: Lucene's LowerCaseFilter uses the JVM's *simple* case mapping, one code
point to one code point. Python applies the full mapping (``"İ".lower()`` is two code points) and
the Greek final-sigma rule, and its Unicode tables move with the interpreter. The tables here are
dumped from the JVM that produced the goldens, so offsets and terms match Lucene exactly.
"""

from __future__ import annotations

from ._unicode_tables import LOWER_PAIRS, UPPER_PAIRS

_LOWER_TABLE: dict[int, int] = dict(zip(LOWER_PAIRS[0::2], LOWER_PAIRS[1::2]))
_UPPER_TABLE: dict[int, int] = dict(zip(UPPER_PAIRS[0::2], UPPER_PAIRS[1::2]))


def java_lower(text: str) -> str:
    """Lowercase like ``LowerCaseFilter``; ASCII takes the C fast path (identical result)."""
    if text.isascii():
        return text.lower()
    return text.translate(_LOWER_TABLE)


def java_upper(text: str) -> str:
    """Uppercase like ``UpperCaseFilter`` (simple mapping: 'ß' stays 'ß', no 'SS')."""
    if text.isascii():
        return text.upper()
    return text.translate(_UPPER_TABLE)
