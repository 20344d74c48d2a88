"""``stored_fields`` as a search body, ``top_hits`` and an ``inner_hits`` read it (what it does to
their ``_source``: :mod:`retrievo.retrievers.fetch_source`).

Kept in its own module so the readers of ``top_hits`` (``retrievo.aggregations``) and of collapse
``inner_hits`` — which the search body's parser imports — can share it without an import cycle.
"""

from __future__ import annotations

from typing import Any

from retrievo.errors import illegal_argument, parsing_error
from retrievo.grammar.json import values as jv
from retrievo.retrievers.search import StoredFields

__all__ = ["parse_stored_fields"]


def parse_stored_fields(key: str, value: Any) -> StoredFields:
    """``StoredFieldsContext.fromXContent``/``fromList``: ``_none_`` alone disables stored fields
    (and with them ``_id`` and ``_source``); ``_none_`` among other names is an error."""
    if isinstance(value, list):
        names: list[str] = []
        for element in value:
            if not jv.is_value(element):
                raise parsing_error(
                    f"Expected [VALUE_STRING] or [START_ARRAY] in [{key}] but found [{jv.token_of(element)}]"
                )
            names.append(jv.java_text(element))
    else:
        names = [jv.java_text(value)]
    if names == ["_none_"]:
        return StoredFields(fetch=False)
    if "_none_" in names:
        raise illegal_argument("cannot combine _none_ with other fields")
    return StoredFields(names=tuple(names))
