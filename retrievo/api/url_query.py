"""The URI search parameters ``q``, ``df``, ``analyzer``, ``analyze_wildcard``, ``lenient`` and
``default_operator``: a ``query_string`` query built from the URL (``RestActions.urlParamsToQueryBuilder``),
which replaces the body's query, as in Elasticsearch's ``_search`` and ``_count``."""

from __future__ import annotations

from typing import Any

from retrievo.api import params as p
from retrievo.api.call import Call
from retrievo.errors import illegal_argument

#: The parameters that only mean something with ``q``, in the order Elasticsearch names them.
QUERY_STRING_PARAMS = ("df", "analyzer", "analyze_wildcard", "lenient", "default_operator")


def url_query(call: Call) -> dict[str, Any] | None:
    """The ``query_string`` clause the URL asks for, or ``None`` without ``q`` (the others then refused)."""
    q = call.param("q")
    if q is None:
        given = [name for name in QUERY_STRING_PARAMS if call.param(name) is not None]
        if given:
            raise illegal_argument(
                f"request [{call.uri}] contains parameters [{', '.join(given)}] but missing query string parameter 'q'."
            )
        return None
    body: dict[str, Any] = {"query": p.text(q)}
    if call.param("df") is not None:
        body["default_field"] = p.text(call.param("df"))
    if call.param("analyzer") is not None:
        body["analyzer"] = p.text(call.param("analyzer"))
    body["analyze_wildcard"] = p.as_bool("analyze_wildcard", call.param("analyze_wildcard"))
    if call.param("lenient") is not None:
        body["lenient"] = p.as_bool("lenient", call.param("lenient"))
    if call.param("default_operator") is not None:
        body["default_operator"] = p.text(call.param("default_operator"))
    return {"query_string": body}
