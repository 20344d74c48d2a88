"""Nested boosts multiply into one (float32), and a boost of 1 disappears (Lucene ``BoostQuery``)."""

from __future__ import annotations

import numpy as np

from retrievo.lucene.query import BoostQ, LQuery

NAME = "collapse_boosts"
#: The only node type the rule changes (the rewrite driver tries it on no other).
APPLIES_TO = BoostQ


def apply(q: LQuery) -> LQuery:
    if not isinstance(q, BoostQ):
        return q
    if q.boost == 1.0:
        return q.query
    if isinstance(q.query, BoostQ):
        return BoostQ(q.query.query, float(np.float32(np.float32(q.query.boost) * np.float32(q.boost))))
    return q
