"""Numbers and values printed the way Java prints them, for messages quoted from Elasticsearch.

Elasticsearch's messages embed ``Float.toString`` / ``Double.toString`` / ``String.valueOf`` output
(``0.8333334``, ``1.0E-4``, ``{k=v}``); Python's ``repr`` differs, so every module that quotes a
value in an Elasticsearch-worded message uses these.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import numpy as np


def java_float_str(value: float | np.float32) -> str:
    """``Float.toString``: shortest float32 digits, plain between 1e-3 and 1e7, else ``1.0E-5``."""
    f = np.float32(value)
    if np.isnan(f):
        return "NaN"
    if np.isinf(f):
        return "Infinity" if f > 0 else "-Infinity"
    if f == 0:
        return "-0.0" if np.signbit(f) else "0.0"
    if abs(f) == np.float32(1.4e-45):  # Float.MIN_VALUE: Java prints two digits here
        return "-1.4E-45" if f < 0 else "1.4E-45"
    mantissa, exponent_text = np.format_float_scientific(f, unique=True, trim="-").split("e")
    exponent = int(exponent_text)
    sign = "-" if mantissa.startswith("-") else ""
    digits = mantissa.lstrip("-").replace(".", "")
    if 1e-3 <= abs(float(f)) < 1e7:
        point = exponent + 1
        if point <= 0:
            return f"{sign}0.{'0' * -point}{digits}"
        if point >= len(digits):
            return f"{sign}{digits}{'0' * (point - len(digits))}.0"
        return f"{sign}{digits[:point]}.{digits[point:]}"
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{exponent}"


def java_double_str(value: float) -> str:
    """``Double.toString``: ``1.0``, ``1.5``, ``1.0E7``, ``1.0E-4``, ``NaN``, ``Infinity``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    magnitude = abs(value)
    if 1e-3 <= magnitude < 1e7:
        text = repr(value)
        if "e" in text:
            text = format(Decimal(text), "f")
        return text if "." in text else text + ".0"
    _, digits, exponent = Decimal(repr(magnitude)).normalize().as_tuple()
    digit_text = "".join(map(str, digits))
    mantissa = digit_text[0] + "." + (digit_text[1:] or "0")
    power = len(digit_text) - 1 + int(exponent)
    return ("-" if value < 0 else "") + f"{mantissa}E{power}"


def java_str(value: Any) -> str:
    """``String.valueOf`` of a JSON value as ES holds it (maps print as ``{k=v, k2=v2}``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return java_double_str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}={java_str(item)}" for key, item in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(java_str(item) for item in value) + "]"
    return str(value)
