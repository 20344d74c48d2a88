"""The JSON front end: Elasticsearch search bodies (Python dicts) → the retrievo AST.

Public API::

    parse_query(obj) -> Query                        # one query DSL object
    parse_retriever(obj) -> Retriever                # {"standard": {...}}, via RETRIEVER_PARSERS
    register_retriever(name, parser) -> None         # add a retriever defined outside retrievo
    parse_search(index, body, *, max_result_window=10000) -> SearchRequest

Everything is validated the way Elasticsearch 9 validates it, and fails with Elasticsearch's error
type and wording (``e.status_code``, ``e.body["error"]["type"]``/``["reason"]``), never with a
Python traceback or a pydantic error. Where the wording comes from: ``AbstractQueryBuilder``,
each ``*QueryBuilder.fromXContent``, ``ObjectParser``, ``SearchSourceBuilder.parseXContent``,
``RetrieverBuilder``, ``StandardRetrieverBuilder``, ``SortBuilder``, ``FetchSourceContext``.

Deliberate differences from Elasticsearch, all because we parse dicts rather than JSON text:

* No ``[line:col] `` prefix in reasons (``x_content_parse_exception`` has one in ES), and
  ``query malformed, empty clause found`` has no `` at [line:col]`` suffix. ``{}`` as a query is
  that error (an ``illegal_argument_exception``), not ``match_all``: ES removed that in 6.0.
* Input is first normalised the way the official client serialises it (tuples → lists, dict
  keys → strings, numpy values → lists/numbers, ``datetime`` → ISO text, ``Decimal`` → float,
  ``elasticsearch.dsl`` objects → their ``to_dict()``; see :mod:`retrievo.grammar.builders`).
* A value that cannot be coerced (``"boost": "x"``) is ``x_content_parse_exception``
  ``[<query>] failed to parse field [boost]`` with the Java cause (``For input string: "x"``) in
  ``caused_by``; ES's hand-written parsers let the bare Java exception escape instead.
* ``negative [boost] are not allowed in [...]`` prints the query as written, not ES's ``toString``.
* "Did you mean" uses Lucene's ``LevenshteinDistance`` exactly (similarity > 0.5), over every name
  Elasticsearch registers, as ES does.

Decisions: features Elasticsearch has and retrievo does not (other query types, ``fuzziness``,
``rewrite``, terms lookup,
range ``relation`` other than ``intersects``, script/geo/nested sorts, aggregation types
retrievo lacks (``retrievo/aggregations/registry.py``) and the other unimplemented body keys,
retrievers without a parser) are ``not_supported`` 400s naming the feature; those errors are never
wrapped in ``failed to parse field`` so they stay readable.
Legacy ``range`` ``from``/``to``/``include_lower``/``include_upper`` are mapped to
``gt``/``gte``/``lt``/``lte``. ``from + size`` above ``index.max_result_window`` fails like ES's
query phase (``search_phase_execution_exception`` whose root cause is the
``illegal_argument_exception``). ``profile: true`` returns a profile of retrievo's own operators
(docs/profile.md); ``version`` set to ``false`` (its default) is accepted, ``true`` is
``not_supported``; ``seq_no_primary_term`` shows each hit's ``_seq_no``.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import functools
import uuid
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import pydantic

from retrievo.errors import illegal_argument, parsing_error
from retrievo.grammar.builders import NOT_A_BUILDER, builder_json
from retrievo.grammar.json import retrievers as json_retrievers
from retrievo.grammar.json import search as json_search
from retrievo.grammar.json.queries import parse_top_level_query
from retrievo.grammar.json.retriever_common import RetrieverParser
from retrievo.grammar.json.search import DEFAULT_MAX_RESULT_WINDOW, RETRIEVER_EXCLUSIVE_KEYS
from retrievo.retrievers.queries import Query
from retrievo.retrievers.retriever import Retriever
from retrievo.retrievers.search import SearchRequest

__all__ = [
    "DEFAULT_MAX_RESULT_WINDOW",
    "RETRIEVER_EXCLUSIVE_KEYS",
    "RetrieverParser",
    "parse_query",
    "parse_retriever",
    "parse_search",
    "register_retriever",
]

F = TypeVar("F", bound=Callable[..., Any])


def _key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool) or key is None:
        return {True: "true", False: "false", None: "null"}[key]
    return str(key)


_PLAIN_TYPES = frozenset({str, bool, int, float, type(None)})


def normalize(obj: Any) -> Any:
    """What the official client's JSON serializer would send, as plain JSON-shaped Python."""
    kind = type(obj)
    if kind in _PLAIN_TYPES:  # the exact JSON types first: a decoded body is made of nothing else
        return obj
    if kind is dict:
        return {k if type(k) is str else _key(k): normalize(v) for k, v in obj.items()}
    if obj is None or isinstance(obj, (str, bool, int, float)):
        return obj
    if isinstance(obj, Mapping):
        return {_key(k): normalize(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        if _PLAIN_TYPES.issuperset(map(type, obj)):  # e.g. a query vector: no per-item recursion
            return list(obj)
        return [normalize(v) for v in obj]
    if isinstance(obj, (_dt.date, _dt.datetime, _dt.time)):
        return obj.isoformat()
    if isinstance(obj, decimal.Decimal):
        return float(obj)
    if isinstance(obj, uuid.UUID):
        return str(obj)
    if hasattr(obj, "tolist"):  # numpy arrays and scalars
        return normalize(obj.tolist())
    converted = builder_json(obj)  # elasticsearch.dsl objects and retrievo AST nodes
    return obj if converted is NOT_A_BUILDER else normalize(converted)


def _guarded(fn: F) -> F:
    """Last line of defence: no pydantic error or recursion error leaves the public API."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except pydantic.ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            raise illegal_argument(f"invalid value for [{where}]: {first.get('msg')}") from None
        except RecursionError:
            raise parsing_error("the request is nested too deeply to parse") from None

    return wrapper  # type: ignore[return-value]


@_guarded
def parse_query(obj: Any) -> Query:
    """Parse one query DSL object, e.g. ``{"match": {"title": "x"}}``."""
    return parse_top_level_query(normalize(obj))


@_guarded
def parse_retriever(obj: Any) -> Retriever:
    """Parse one retriever object, e.g. ``{"standard": {"query": {...}}}``."""
    return json_retrievers.parse_retriever(normalize(obj))


def register_retriever(name: str, parser: RetrieverParser) -> None:
    """Register the parser for ``{"<name>": {...}}`` retrievers; retrievo's own are listed in
    :data:`~retrievo.grammar.json.retrievers.RETRIEVER_PARSERS`."""
    json_retrievers.register_retriever(name, parser)


@_guarded
def parse_search(
    index: str, body: dict[str, Any] | None, *, max_result_window: int = DEFAULT_MAX_RESULT_WINDOW
) -> SearchRequest:
    """Parse a search body into a :class:`SearchRequest` for ``index``."""
    return json_search.parse_search(index, normalize(body), max_result_window=max_result_window)
