"""Java's ``Character.toLowerCase`` / ``toUpperCase`` applied code point by code point.

Why not ``str.lower()``: Lucene's LowerCaseFilter uses the JVM's *simple* case mapping, one code
point to one code point. Python applies the full mapping (``"İ".lower()`` is two code points) and
the Greek final-sigma rule, and its Unicode tables move with the interpreter. The tables here are
dumped from the JVM that produced the goldens, so offsets and terms match Lucene exactly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._unicode_tables import LOWER_PAIRS, UPPER_PAIRS

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

LOWER_TABLE: dict[int, int] = dict(zip(LOWER_PAIRS[0::2], LOWER_PAIRS[1::2]))
_UPPER_TABLE: dict[int, int] = dict(zip(UPPER_PAIRS[0::2], UPPER_PAIRS[1::2]))


_LOWER_BMP: npt.NDArray[np.uint16] | None = None  # built on first use (numpy loads lazily)


def _lower_bmp_table() -> npt.NDArray[np.uint16]:
    global _LOWER_BMP
    if _LOWER_BMP is None:
        import numpy as np

        table = np.arange(0x10000, dtype=np.uint16)
        for cp, lo in LOWER_TABLE.items():
            if cp <= 0xFFFF:  # BMP characters lowercase to BMP characters
                table[cp] = lo
        _LOWER_BMP = table
    return _LOWER_BMP


def java_lower(text: str) -> str:
    """Lowercase like ``LowerCaseFilter``.

    ASCII uses ``str.lower`` (identical there). Long BMP-only strings go through a numpy lookup
    table, about ten times faster than ``str.translate`` with a dict; the rest use ``translate``.
    """
    if text.isascii():
        return text.lower()
    if len(text) >= 48:
        data = text.encode("utf-16-le", "surrogatepass")
        if len(data) == 2 * len(text):
            import numpy as np

            units = np.frombuffer(data, dtype=np.uint16)
            out = _lower_bmp_table()[units].tobytes().decode("utf-16-le", "surrogatepass")
            if len(out) == len(text):  # else a surrogate pair was spelled as two code points
                return out
    return text.translate(LOWER_TABLE)


def java_upper(text: str) -> str:
    """Uppercase like ``UpperCaseFilter`` (simple mapping: 'ß' stays 'ß', no 'SS')."""
    if text.isascii():
        return text.upper()
    return text.translate(_UPPER_TABLE)
