"""The official client's builder objects → the plain JSON the JSON front end reads.

Code written for a real cluster often builds requests with ``elasticsearch.dsl``: a ``Search``
object, query objects (``Q("match", title="x")``, ``query.Match(...)``, ``q1 & q2``) and the typed
helpers of ``elasticsearch.dsl.types`` (``SortOptions``, ``SourceFilter``, ``RescoreVector``,
``QueryVectorBuilder`` …), placed anywhere inside plain dicts. The 9.x client has no retriever
classes — ``Elasticsearch.search(retriever=...)`` and ``Search.extra(retriever=...)`` take a
mapping — so builder objects mostly appear *inside* retriever dicts.

Rather than a second parser, this module turns each such object into exactly what the client's
dsl serializer (``AttrJSONSerializer``: ``to_dict()`` for dsl objects, lists for ``AttrList``) would
put on the wire. The JSON front end then parses that, so a request built with the builders means the
same thing, and fails with the same Elasticsearch error, as the same request written as JSON.
retrievo's own AST nodes are accepted the same way (their ``to_json()``), so a parsed or generated
tree can be passed back to ``Engine.search``.

Nothing here imports ``elasticsearch`` (it is not a dependency of retrievo): an instance of one of
its classes can only exist once the module defining the class has been loaded, so the classes are
looked up in ``sys.modules``. Objects that are neither builders nor JSON are left alone for the
parser, which reports them as the odd token they are (a ``VALUE_EMBEDDED_OBJECT``), as before.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any, Final

from retrievo.errors import not_supported
from retrievo.retrievers.base import Node
from retrievo.retrievers.search import SearchRequest


class _NotABuilder:
    """The answer of :func:`builder_json` for a value that is no builder object."""

    def __repr__(self) -> str:
        return "NOT_A_BUILDER"


NOT_A_BUILDER: Final = _NotABuilder()

#: Search keyword arguments ``Search.params(...)`` may carry that mean something here; the
#: client forwards ``Search._params`` as keyword arguments of ``Elasticsearch.search``.
_SEARCH_PARAMS: Final = frozenset(
    {
        "size",
        "from_",
        "_source",
        "explain",
        "min_score",
        "sort",
        "track_total_hits",
        "terminate_after",
        "search_after",
        "track_scores",
        "query",
        "knn",
        "retriever",
        "profile",
    }
)


def _dsl_class(module: str, name: str) -> Any:
    """``elasticsearch.dsl`` class ``name`` if its module is loaded (else no instance can exist)."""
    loaded = sys.modules.get(module)
    found = getattr(loaded, name, None) if loaded is not None else None
    return found if isinstance(found, type) else None


def builder_json(obj: Any) -> Any:
    """One builder object as the JSON value the official client would send, or
    :data:`NOT_A_BUILDER`. The result may still hold builder objects (``Search.to_dict`` leaves
    ``types`` helpers inside ``knn``/``sort``); callers normalise it recursively."""
    if isinstance(obj, Node):
        return obj.to_json()
    attr_list = _dsl_class("elasticsearch.dsl.utils", "AttrList")
    if attr_list is not None and isinstance(obj, attr_list):
        return list(obj)  # its items come back as AttrDicts, which the caller's recursion turns to dicts
    field = _dsl_class("elasticsearch.dsl.document_base", "InstrumentedField")
    if field is not None and isinstance(obj, field):
        return str(obj)  # a Document class attribute names its field
    for module, name in (
        ("elasticsearch.dsl.utils", "DslBase"),
        ("elasticsearch.dsl.utils", "AttrDict"),
        ("elasticsearch.dsl.search_base", "Request"),
    ):
        cls = _dsl_class(module, name)
        if cls is not None and isinstance(obj, cls):
            return obj.to_dict()
    return NOT_A_BUILDER


def index_name(index: Any) -> Any:
    """The client accepts a list of index names (``Search`` always keeps one); comma-join it as
    the REST path does. Anything else is returned unchanged for the engine to validate."""
    if isinstance(index, (list, tuple)) and all(isinstance(name, str) for name in index):
        return ",".join(index)
    return index


def _search_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """``Search.params(...)``: the ones that are search arguments here; the rest (``routing``,
    ``preference`` …) would be silently ignored, so they are refused."""
    for name in params:
        if name not in _SEARCH_PARAMS:
            raise not_supported(f"[{name}] search parameter")
    return {("from" if name == "from_" else name): value for name, value in params.items()}


def resolve_request(
    index: Any, body: Any, params: dict[str, Any], *, count: bool = False
) -> tuple[Any, Any, dict[str, Any]]:
    """The ``(index, body, params)`` a search, count or plan call really asks for.

    ``body`` may be an ``elasticsearch.dsl.Search`` (its ``to_dict()``; with ``count`` the count
    body, as ``Search.count()`` sends) or a retrievo :class:`SearchRequest`; either names an
    index, used when the call names none, and a ``Search`` may carry ``Search.params(...)``
    arguments, which explicit keyword arguments override. Index lists become comma lists.
    """
    search_base = _dsl_class("elasticsearch.dsl.search_base", "SearchBase")
    if search_base is not None and isinstance(body, search_base):
        named = body._index
        extra = _search_params(body._params)
        body = body.to_dict(count=True) if count else body.to_dict()
        params = {**extra, **{k: v for k, v in params.items() if v is not None}}
        if index is None and named:
            index = list(named)
    elif isinstance(body, SearchRequest):
        if index is None:
            index = body.index
        body = body.to_json()
    return index_name(index), body, params


__all__ = ["NOT_A_BUILDER", "builder_json", "index_name", "resolve_request"]
