"""A deep copy for JSON-shaped values (dicts, lists, scalars), much faster than ``copy.deepcopy``.

Stored ``_source`` documents are copied on the way in (a caller may mutate its dict afterwards)
and on the way out (a caller may mutate a hit). ``copy.deepcopy`` memoises every object it visits,
which made copying one 384-float vector cost more than parsing it; JSON values cannot contain
cycles or shared mutable parts that matter, so no memo is needed. A list of plain scalars (a
vector, a keyword array) is copied at C speed.
"""

from __future__ import annotations

import copy
from typing import Any

_SCALARS = frozenset({str, int, float, bool, type(None)})


def copy_json(value: Any) -> Any:
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dict:
        return {k: copy_json(v) for k, v in value.items()}
    if kind is list:
        if _SCALARS.issuperset(map(type, value)):
            return list(value)
        return [copy_json(v) for v in value]
    return copy.deepcopy(value)
