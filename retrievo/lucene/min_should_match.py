"""Elasticsearch's ``minimum_should_match`` arithmetic (``Queries.calculateMinShouldMatch``).

Supports an integer, ``-N``, ``P%``, ``-P%`` and conditional specs such as ``"3<90%"`` or
``"2<-25% 9<-3"``. Percentages are computed in float32 and truncated toward zero, as Java does.
"""

from __future__ import annotations

import re

import numpy as np

from retrievo.errors import BadRequestError, bad_request


def _bad(spec: str) -> BadRequestError:
    return bad_request("illegal_argument_exception", f"failed to parse [minimum_should_match] value [{spec}]")


def calculate(optional_clauses: int, spec: int | str) -> int:
    """How many of ``optional_clauses`` SHOULD clauses must match; never negative."""
    text = str(spec).strip()
    if "<" in text:
        text = re.sub(r"\s*<\s*", "<", text)
        result = optional_clauses
        for part in text.split():
            pieces = part.split("<")
            if len(pieces) != 2:
                raise _bad(str(spec))
            try:
                upper = int(pieces[0])
            except ValueError:
                raise _bad(str(spec)) from None
            if optional_clauses <= upper:
                return result
            result = calculate(optional_clauses, pieces[1])
        return result
    result = optional_clauses
    try:
        if "%" in text:
            percent = int(text[:-1]) if text.endswith("%") else int(text)
            calc = np.float32(np.float32(result * percent) * np.float32(np.float32(1) / np.float32(100)))
            result = result + int(calc) if calc < 0 else int(calc)
        else:
            calc_i = int(text)
            result = result + calc_i if calc_i < 0 else calc_i
    except ValueError:
        raise _bad(str(spec)) from None
    return max(result, 0)
