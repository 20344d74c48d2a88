"""Java's ``Float.toString``, for explanation descriptions that must read as Elasticsearch's.

Elasticsearch prints float32 values with the shortest decimal string that round-trips to the same
float (``0.8333334``, ``20.0``, ``1.0E-4``), switching to computerised scientific notation outside
[1e-3, 1e7). Python's ``repr`` of a float64 would print a different string for the same number.
"""

from __future__ import annotations

import numpy as np


def java_float(value: float | np.floating) -> str:
    f = np.float32(value)
    if np.isnan(f):
        return "NaN"
    if np.isinf(f):
        return "Infinity" if f > 0 else "-Infinity"
    if f == 0:
        return "-0.0" if np.signbit(f) else "0.0"
    text = np.format_float_positional(f, unique=True, trim="-")  # shortest round-trip digits
    mag = abs(float(f))
    if 1e-3 <= mag < 1e7:
        return text if "." in text else text + ".0"
    sci = np.format_float_scientific(f, unique=True, trim="-")   # like '1.e-04' or '1.2345e+08'
    mantissa, exp = sci.split("e")
    mantissa = mantissa.rstrip(".")
    if "." not in mantissa:
        mantissa += ".0"
    return f"{mantissa}E{int(exp)}"
