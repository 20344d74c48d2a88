"""The ``_msearch`` request: header/body pairs, read and parsed before anything is planned.

The request is Elasticsearch's: header/body pairs as a list (what the official client's
``msearch(searches=[...])`` takes) or as NDJSON text. As in Elasticsearch, a request that does not
*parse* (a bad header key, invalid JSON, a body the search parser rejects) fails as a whole, before
anything runs; the errors Elasticsearch only raises when a search runs (request validation, the
query phase's result window) fail that one search and are kept on its item. A header's ``routing`` and
``search_type`` (else the request's URL parameters, as ``RestMultiSearchAction`` defaults them) go on
its parsed request: the search covers only the shards its routing values lead to, and
``dfs_query_then_fetch`` scores with the index's statistics.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from retrievo import xcontent
from retrievo.errors import ApiError, bad_request, illegal_argument, not_supported, validation_error
from retrievo.grammar.builders import NOT_A_BUILDER, builder_json, index_name
from retrievo.grammar.json import parse_search
from retrievo.grammar.json.search import result_window_error
from retrievo.index.routing import preference_shards, routing_values
from retrievo.retrievers.search import SearchRequest

#: Header keys Elasticsearch reads (``MultiSearchRequest.readMultiLineFormat``) that cannot change
#: what a local search returns: accepted, their values checked.
_BOOLEAN_HEADER_KEYS = frozenset(
    {
        "request_cache",
        "requestCache",
        "ccs_minimize_roundtrips",
        "ccsMinimizeRoundtrips",
        "allow_partial_search_results",
    }
)
_STRING_HEADER_KEYS: frozenset[str] = frozenset()
_SEARCH_TYPES = frozenset({"query_then_fetch", "dfs_query_then_fetch"})
#: Header keys that set how this search's index expression resolves (``IndicesOptions.fromMap``),
#: by their snake_case name; they override the request's parameters of the same name.
_INDEX_OPTION_KEYS = {
    "expand_wildcards": "expand_wildcards",
    "expandWildcards": "expand_wildcards",
    "ignore_unavailable": "ignore_unavailable",
    "ignoreUnavailable": "ignore_unavailable",
    "allow_no_indices": "allow_no_indices",
    "allowNoIndices": "allow_no_indices",
}
_WILDCARD_STATES = frozenset({"open", "closed", "hidden", "none", "all"})
#: Header keys retrievo cannot honour.
_UNSUPPORTED_HEADER_KEYS = frozenset({"ignore_throttled", "ignoreThrottled"})
#: Errors the search parser raises that Elasticsearch only raises when the search runs (request
#: validation, the query phase): they fail that one search, not the whole request.
_PER_SEARCH_PARSE_ERRORS = frozenset({"action_request_validation_exception", "search_phase_execution_exception"})


@dataclass(frozen=True)
class MultiSearchItem:
    """One search of an ``_msearch`` request: the index its header names (else the request's) and
    its parsed body, or the error that fails this search alone once it runs."""

    index: str | None
    request: SearchRequest | None
    error: ApiError | None = None
    #: The search body as sent (an object or ``None``), for a search that runs over several indices.
    body: Any = None
    #: The header's index options (``ignore_unavailable``, ``allow_no_indices``, ``expand_wildcards``).
    options: dict[str, Any] = field(default_factory=dict)
    #: The search's ``routing`` (its header's, else the request's): comma-separated values.
    routing: str | None = None
    #: The search's ``search_type`` (its header's, else the request's).
    search_type: str | None = None
    #: The search's ``preference`` (its header's, else the request's): ``_shards:…`` limits its shards.
    preference: str | None = None

    def against(self, index: str, max_result_window: int) -> SearchRequest:
        """The request as it runs on ``index``: its own error if it had one, then the query phase's
        check of ``from + size`` against that index's ``index.max_result_window``."""
        if self.error is not None:
            raise self.error
        assert self.request is not None
        window = self.request.from_ + self.request.size
        if window > max_result_window:
            raise result_window_error(index, window, max_result_window)
        return self.request


def parse_msearch(
    searches: Any,
    default_index: Any = None,
    prepare: Callable[[Any], Any] | None = None,
    *,
    routing: str | None = None,
    search_type: str | None = None,
    preference: str | None = None,
) -> list[MultiSearchItem]:
    """Every search of an ``_msearch`` request, parsed; ``default_index`` is the request's own
    index (a name, a comma list, or a list of names as the client takes them). ``prepare``: the
    body the parser reads, from the body as sent (the item keeps the body as sent). ``routing`` and
    ``search_type``: the request's, for searches whose header names none."""
    default = index_name(default_index)
    pairs = _read_pairs(searches)
    targets = [_header_index(header, default) for header, _ in pairs]  # every header before any body
    items = []
    for (index, options, shard_options), (_, body) in zip(targets, pairs):
        item_routing = shard_options.get("routing", routing)
        item_type = shard_options.get("search_type", search_type)
        item_preference = shard_options.get("preference", preference)
        try:
            # the result window is checked once the index is known (MultiSearchItem.against)
            parsed = body if prepare is None else prepare(body)
            request = parse_search(index or "_all", parsed, max_result_window=sys.maxsize)
        except ApiError as err:
            if err.error not in _PER_SEARCH_PARSE_ERRORS:
                raise
            items.append(MultiSearchItem(index, None, err, body, options, item_routing, item_type, item_preference))
        else:
            request = with_routing(request, item_routing, item_type, item_preference)
            items.append(MultiSearchItem(index, request, None, body, options, item_routing, item_type, item_preference))
    return items


def with_routing(
    request: SearchRequest, routing: str | None, search_type: str | None, preference: str | None = None
) -> SearchRequest:
    """A search's ``routing`` values (comma-separated), ``search_type`` and ``preference`` on its parsed
    request."""
    values = routing_values(routing)
    dfs = search_type == "dfs_query_then_fetch"
    preferred = preference_shards(preference)
    if not values and not dfs and preferred is None:
        return request
    return request.model_copy(update={"routing": values, "dfs": dfs, "preferred_shards": preferred})


def _json_line(line: str | bytes, what: str) -> Any:
    try:
        return xcontent.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise bad_request("x_content_parse_exception", f"[{what}] is not valid JSON: {e}") from None


def _ndjson_pairs(text: str | bytes) -> list[tuple[Any, Any]]:
    """NDJSON as Elasticsearch reads it: every line ends with a newline (``\\r\\n`` too); an empty
    header line is an empty header; a header with no body after it is ignored."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise bad_request("x_content_parse_exception", f"msearch body is not UTF-8: {e}") from None
    if text and not text.endswith("\n"):
        raise illegal_argument("The msearch request must be terminated by a newline [\n]")
    lines = [line.rstrip("\r") for line in text.split("\n")[:-1]]
    pairs = []
    for i in range(0, len(lines) - 1, 2):
        header = _json_line(lines[i], "header") if lines[i].strip() else {}
        pairs.append((header, _json_line(lines[i + 1], "search body") if lines[i + 1].strip() else None))
    return pairs


def _item_json(item: Any, what: str) -> Any:
    """One list element as the client would send it: dicts as they are, text as JSON, builder
    objects (``elasticsearch.dsl``, retrievo's AST) as their JSON."""
    if isinstance(item, (str, bytes)):
        return _json_line(item, what) if item.strip() else ({} if what == "header" else None)
    if isinstance(item, dict):
        return item
    converted = builder_json(item)
    return item if converted is NOT_A_BUILDER else converted


def _read_pairs(searches: Any) -> list[tuple[Any, Any]]:
    """(header, body) pairs: a list alternating headers and bodies, or NDJSON."""
    if isinstance(searches, (str, bytes)):
        pairs = _ndjson_pairs(searches)
    elif isinstance(searches, Sequence):
        items = list(searches)
        pairs = [
            (_item_json(items[i], "header"), _item_json(items[i + 1], "search body"))
            for i in range(0, len(items) - 1, 2)
        ]
    else:
        raise illegal_argument(
            f"[searches] must be a list of headers and bodies or NDJSON text, found [{type(searches).__name__}]"
        )
    if not pairs:
        raise validation_error("no requests added")
    return pairs


def _check_boolean(value: Any) -> None:
    if isinstance(value, bool) or value in ("true", "false"):
        return
    raise illegal_argument(f"Failed to parse value [{value}] as only [true] or [false] are allowed.")


def _header_index(header: Any, default: str | None) -> tuple[str | None, dict[str, Any], dict[str, str]]:
    """The index a header names (its ``index``/``indices``, else the request's), its index options
    and its ``routing``/``search_type``, its other keys checked."""
    if not isinstance(header, dict):
        raise bad_request("parsing_exception", f"msearch header must be an object, found [{header!r}]")
    index = default
    options: dict[str, Any] = {}
    shard_options: dict[str, str] = {}
    for key, value in header.items():
        if key in ("index", "indices"):
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                index = ",".join(value)
            elif isinstance(value, str):
                index = value
            else:
                raise illegal_argument(f"[{key}] must be a string or an array of strings, found [{value!r}]")
        elif key in ("search_type", "searchType"):
            if value not in _SEARCH_TYPES:
                raise illegal_argument(f"No search type for [{value}]")
            shard_options["search_type"] = value
        elif key in ("routing", "preference"):
            if not isinstance(value, (str, int)) or isinstance(value, bool):
                raise illegal_argument(f"[{key}] must be a string, found [{value!r}]")
            shard_options[key] = str(value)
        elif key in _BOOLEAN_HEADER_KEYS:
            _check_boolean(value)
        elif key in _STRING_HEADER_KEYS:
            if not isinstance(value, (str, int)):
                raise illegal_argument(f"[{key}] must be a string, found [{value!r}]")
        elif key in _INDEX_OPTION_KEYS:
            options[_INDEX_OPTION_KEYS[key]] = _index_option(key, value)
        elif key in _UNSUPPORTED_HEADER_KEYS:
            raise not_supported(f"[{key}] in the msearch metadata section")
        else:
            raise illegal_argument(f"key [{key}] is not supported in the metadata section")
    return index, options, shard_options


def _index_option(key: str, value: Any) -> Any:
    """A header's index option, checked as ``IndicesOptions.fromMap`` reads it."""
    if key not in ("expand_wildcards", "expandWildcards"):
        _check_boolean(value)
        return value
    states = value if isinstance(value, list) else str(value).split(",")
    for state in states:
        if not isinstance(state, str) or state.strip() not in _WILDCARD_STATES:
            raise illegal_argument(f"No valid expand wildcard value [{state}]")
    return ",".join(s.strip() for s in states)
