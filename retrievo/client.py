"""``Engine``: the official ``elasticsearch`` client, wired to retrievo in-process.

:class:`Engine` *is* an :class:`elasticsearch.Elasticsearch`. Every API method, ``options()``,
``elasticsearch.helpers`` and ``elasticsearch.dsl`` work as against a cluster; the only difference is
the transport node: :class:`InProcessNode` hands each request to :class:`retrievo.api.router.Router`
in the same process (no socket) and returns the bytes and headers Elasticsearch would send. So the
REST API is the contract: the client serialises the request, the router answers with Elasticsearch's
body and status, and the client raises its own ``elasticsearch.NotFoundError`` & co for errors.

retrievo's extras sit beside the client's API: :meth:`Engine.plan`, :meth:`Engine.save`,
:meth:`Engine.load`, :attr:`Engine.path` and :attr:`Engine.catalog`. :class:`AsyncEngine` is the
same over :class:`elasticsearch.AsyncElasticsearch`, running the router in a worker thread.
"""

from __future__ import annotations

import asyncio
import gc
import json
import json.encoder
import os
import threading
import time
from collections.abc import Mapping
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from elastic_transport import ApiResponseMeta, AsyncTransport, BaseAsyncNode, BaseNode, HttpHeaders, NodeConfig
from elastic_transport import Transport as _Transport
from elastic_transport._node import NodeApiResponse
from elastic_transport.client_utils import DEFAULT, DefaultType
from elasticsearch import AsyncElasticsearch, Elasticsearch
from elasticsearch._sync.client.esql import EsqlClient as _OfficialEsql
from elasticsearch._sync.client.inference import InferenceClient as _OfficialInference
from elasticsearch.serializer import JsonSerializer, NdjsonSerializer

from retrievo import xcontent
from retrievo.api.types import RestRequest, RestResponse
from retrievo.catalog import Catalog

if TYPE_CHECKING:
    from retrievo.planner.plan import Plan

#: Where the client believes it connects; nothing listens there (``.invalid`` never resolves).
HOST = "retrievo.invalid"
PORT = 9200
_CATALOG_KEY = "retrievo.catalog"
_ROUTER_KEY = "retrievo.router"

#: The standard library's C JSON encoder factory (what ``json.dumps`` runs), ``None`` without the C module.
_C_MAKE_ENCODER: Any = getattr(json.encoder, "c_make_encoder", None)

#: The search body keys :meth:`Engine.plan` also takes as keyword arguments.
_PLAN_KEYS = (
    "query",
    "knn",
    "retriever",
    "size",
    "from",
    "_source",
    "explain",
    "min_score",
    "sort",
    "track_total_hits",
    "terminate_after",
    "search_after",
    "track_scores",
)


# ---------------------------------------------------------------------------------------------- wire


def encode_body(body: Any) -> bytes:
    """A :class:`RestResponse` body as the bytes on the wire: JSON unless it is text or bytes."""
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return xcontent.dumps(body)


def _builder_default(data: Any, fallback: Any) -> Any:
    """A builder object's JSON; other values the client's serializer knows (dates, numpy …); else
    the ``x_content_parse_exception`` Elasticsearch answers for a value JSON cannot hold."""
    from retrievo.errors import bad_request
    from retrievo.grammar.builders import NOT_A_BUILDER, builder_json

    value = builder_json(data)
    if value is not NOT_A_BUILDER:
        return value
    try:
        return fallback(data)
    except TypeError:
        raise bad_request(
            "x_content_parse_exception", f"cannot write a [{type(data).__name__}] as JSON: {data!r}"
        ) from None


class BuilderJsonSerializer(JsonSerializer):
    """The client's JSON serializer, also writing ``elasticsearch.dsl`` objects (``Q(...)``,
    ``Search``, ``types`` helpers) and retrievo's AST nodes the way their ``to_dict()`` /
    ``to_json()`` spell them, so a request built with builders means what its JSON means."""

    def default(self, data: Any) -> Any:
        return _builder_default(data, super().default)

    def json_loads(self, data: bytes) -> Any:
        """``json.loads`` with Python's cyclic garbage collector held off while it builds the value.

        A response is one fresh tree of containers, none of them garbage: a 10k-item ``_bulk``
        response is ~30k dicts, enough to set off dozens of young collections and a few full ones
        (each walking every object of the process) while it is read; a tenth of a bulk load's time
        went there. The collector resumes after (one someone else switched off stays off)."""
        paused = gc.isenabled()
        if paused:
            gc.disable()
        try:
            return xcontent.plain_loads(data) if isinstance(data, bytes) else json.loads(data)
        finally:
            if paused:
                gc.enable()


class BuilderNdjsonSerializer(NdjsonSerializer):
    """:class:`BuilderJsonSerializer` for the NDJSON bodies of ``bulk`` and ``msearch``."""

    def __init__(self) -> None:
        super().__init__()
        self._encoders = threading.local()

    def default(self, data: Any) -> Any:
        return _builder_default(data, super().default)

    def json_dumps(self, data: Any) -> bytes:
        """One NDJSON line: the bytes ``json.dumps`` gives with the base class's settings (no ASCII
        escaping, compact separators, circular check, NaN allowed, this ``default``), from one C
        encoder per thread.

        ``json.dumps`` builds a ``JSONEncoder`` and its C encoder for every call: two lines a
        document, so a 10k-document bulk paid that 20k times, half of its serialising. The encoder is
        kept per thread (its markers dict, the circular check's, is only in use during one call) and
        dropped after a failure (which may leave marks in it)."""
        encode = getattr(self._encoders, "encode", None)
        if encode is None:
            if _C_MAKE_ENCODER is None:
                return super().json_dumps(data)
            encode = _C_MAKE_ENCODER({}, self.default, encode_basestring, None, ":", ",", False, False, True)
            self._encoders.encode = encode
        try:
            return "".join(encode(data, 0)).encode("utf-8", "surrogatepass")
        except BaseException:
            self._encoders.encode = None
            raise


def _serializers() -> dict[str, Any]:
    return {"application/json": BuilderJsonSerializer(), "application/x-ndjson": BuilderNdjsonSerializer()}


def rest_request(method: str, target: str, body: bytes | None, headers: Mapping[str, str] | None = None) -> RestRequest:
    """The :class:`RestRequest` for an HTTP request target (``/books/_search?size=3``)."""
    split = urlsplit(target)
    params = dict(parse_qsl(split.query, keep_blank_values=True))
    lowered = {k.lower(): v for k, v in (headers or {}).items()}
    return RestRequest(method=method.upper(), path=split.path or "/", params=params, body=body, headers=lowered)


def response_headers(response: RestResponse, request: RestRequest) -> HttpHeaders:
    """What Elasticsearch sends back: the product header, a content type, the route's headers."""
    headers = HttpHeaders({"X-Elastic-Product": "Elasticsearch"})
    if response.body is not None:
        if isinstance(response.body, str | bytes):
            headers["content-type"] = "text/plain; charset=UTF-8"
        else:
            # Elasticsearch answers a compatible-with request in the same media type.
            accept = request.headers.get("accept", "")
            vnd = accept.startswith("application/vnd.elasticsearch+json")
            headers["content-type"] = accept if vnd else "application/json"
    for name, value in response.headers.items():
        headers[name] = value
    return headers


def _router_of(config: NodeConfig) -> Any:
    try:
        return config._extras[_ROUTER_KEY]
    except KeyError:
        raise ValueError("an in-process node needs a retrievo router; create it with Engine()") from None


class InProcessNode(BaseNode):
    """A transport node that answers by calling retrievo's router in this process."""

    _CLIENT_META_HTTP_CLIENT = ("rt", "retrievo")

    def __init__(self, config: NodeConfig) -> None:
        super().__init__(config)
        self._router = _router_of(config)

    def perform_request(
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: HttpHeaders | None = None,
        request_timeout: DefaultType | float | None = DEFAULT,
    ) -> NodeApiResponse:
        start = time.perf_counter()
        sent = self.headers.copy()
        if headers:
            sent.update(headers)
        request = rest_request(method, self.path_prefix + target if self.path_prefix else target, body, sent)
        response = self._router.handle(request)
        data = b"" if method == "HEAD" else encode_body(response.body)
        meta = ApiResponseMeta(
            status=response.status,
            http_version="1.1",
            headers=response_headers(response, request),
            duration=time.perf_counter() - start,
            node=self.config,
        )
        self._log_request(method, target, sent, body, meta=meta, response=data)
        return NodeApiResponse(meta, data)


class AsyncInProcessNode(BaseAsyncNode):
    """The asyncio twin of :class:`InProcessNode`: the router runs in a worker thread."""

    _CLIENT_META_HTTP_CLIENT = ("rt", "retrievo")

    def __init__(self, config: NodeConfig) -> None:
        super().__init__(config)
        self._sync = InProcessNode(config)

    async def perform_request(  # type: ignore[override]
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: HttpHeaders | None = None,
        request_timeout: DefaultType | float | None = DEFAULT,
    ) -> NodeApiResponse:
        return await asyncio.to_thread(self._sync.perform_request, method, target, body, headers, request_timeout)

    async def close(self) -> None:  # type: ignore[override]
        self._sync.close()


def _node_config(catalog: Catalog) -> NodeConfig:
    from retrievo.api.router import Router

    return NodeConfig("http", HOST, PORT, _extras={_CATALOG_KEY: catalog, _ROUTER_KEY: Router(catalog)})


def _catalog_of(transport: _Transport | AsyncTransport) -> Catalog:
    for node in transport.node_pool.all():
        catalog = node.config._extras.get(_CATALOG_KEY)
        if isinstance(catalog, Catalog):
            return catalog
    raise ValueError("this transport is not connected to a retrievo catalog")


def _client_kwargs(catalog: Catalog, node_class: type[BaseNode], kwargs: dict[str, Any]) -> dict[str, Any]:
    taken = {"hosts", "cloud_id", "node_class", "node_pool_class"} & set(kwargs)
    if taken:
        raise TypeError(f"Engine() connects in-process; it takes no {sorted(taken)}")
    # Retrying cannot change an in-process answer; an explicit max_retries still applies.
    kwargs.setdefault("max_retries", 0)
    if "serializer" not in kwargs:
        kwargs["serializers"] = {**_serializers(), **kwargs.get("serializers", {})}
    return {"hosts": [_node_config(catalog)], "node_class": node_class, **kwargs}


# ---------------------------------------------------------------------------------------------- extras


class EsqlClient(_OfficialEsql):
    """``engine.esql``: the official ES|QL client plus retrievo's :meth:`parse` and :meth:`plan`."""

    def __init__(self, client: Any, catalog: Catalog) -> None:
        from retrievo.esql_client import EsqlRunner

        super().__init__(client)
        self._local = EsqlRunner(catalog)

    def parse(self, query: Any, *, params: Any = None) -> Any:
        """The :class:`~retrievo.grammar.esql.EsqlQuery` a query parses into (nothing runs)."""
        return self._local.parse(query, params=params)

    def plan(self, query: Any, *, params: Any = None, filter: Any = None) -> Plan:
        """The plan ``query`` would run (printable with ``str()``; nothing is executed)."""
        return self._local.plan(query, params=params, filter=filter)

    def query(self, *args: Any, **kwargs: Any) -> Any:
        """The official ``esql.query``; an ``elasticsearch.esql`` builder that cannot render is
        Elasticsearch's ``illegal_argument_exception`` rather than a bare ``ValueError``."""
        from retrievo.esql_client import query_text

        query = kwargs.get("query")
        if query is None and kwargs.get("body") is None:
            query_text(None)  # Elasticsearch's "[query] is required", not the client's ValueError
        if query is not None and not isinstance(query, str):
            kwargs["query"] = query_text(query)
        return super().query(*args, **kwargs)


class InferenceClient(_OfficialInference):
    """``engine.inference``: the official inference client plus retrievo's cache statistics."""

    def __init__(self, client: Any, catalog: Catalog) -> None:
        super().__init__(client)
        self._catalog = catalog

    @property
    def registry(self) -> Any:
        """The :class:`~retrievo.inference.InferenceRegistry` behind the endpoints."""
        return self._catalog.inference

    def cache_stats(self) -> dict[str, Any]:
        """retrievo extension: embedding cache hits, misses, model calls and sizes; rerank counters
        (model calls, pairs scored, tokens, cache hits and misses) under ``"rerank"``."""
        return dict(self._catalog.inference.cache_stats())


def _resolve_search(kwargs: dict[str, Any], *, count: bool = False) -> dict[str, Any]:
    """``body=`` may be an ``elasticsearch.dsl.Search`` or a retrievo ``SearchRequest``: the index
    it names and its body, as retrievo's engine always took them."""
    body = kwargs.get("body")
    if isinstance(body, Mapping):
        kwargs["body"] = dict(body)  # the client merges keyword arguments into it: not into the caller's
        return kwargs
    if body is None or isinstance(body, str | bytes):
        return kwargs
    from retrievo.errors import bad_request
    from retrievo.grammar.builders import resolve_request

    index, body, params = resolve_request(kwargs.pop("index", None), body, {}, count=count)
    if not isinstance(body, Mapping):
        raise bad_request("parsing_exception", f"[body] must be an object, found [{type(body).__name__}]")
    body = dict(body)
    for name, value in params.items():  # Search.params(...): explicit keyword arguments win
        if ("from_" if name == "from" else name) not in kwargs:
            body[name] = value
    kwargs["body"] = body
    if index is not None:
        kwargs["index"] = index
    return kwargs


class _Extras:
    """retrievo's own methods, shared by :class:`Engine` and :class:`AsyncEngine`."""

    _catalog: Catalog

    @property
    def catalog(self) -> Catalog:
        """The indices, inference endpoints and data directory behind the API (retrievo.catalog)."""
        return self._catalog

    @property
    def path(self) -> str | None:
        """The data directory this engine persists to (``Engine(path=...)``), else ``None``."""
        return self._catalog.path

    def save(self, path: str | os.PathLike[str]) -> dict[str, Any]:
        """Write every index (unrefreshed writes included) and the inference endpoint definitions
        to ``path``, replacing what a previous save left there. Atomic: if it fails, the previous
        save at ``path`` still loads. The engine's own data directory, if any, stays its home."""
        return self._catalog.save(path)

    def plan(
        self,
        *,
        index: str | list[str] | None = None,
        body: Any = None,
        esql: Any = None,
        search_pipeline: str | None = None,
        **search_args: Any,
    ) -> Plan:
        """The plan a search would run, printable with ``str()`` (nothing is executed). ``esql``: an
        ES|QL query (text or an ``elasticsearch.esql`` builder) instead of a search body.

        The search is planned as its OpenSearch search pipeline makes it run: the one
        ``search_pipeline`` names (``"_none"``: none), else the body's ``search_pipeline``, else the
        index's ``index.search.default_pipeline``. Its request processors rewrite the body and its
        ``normalization-processor`` turns a ``hybrid`` query into the ``HybridFuse`` it runs as. A
        pipeline with response processors is refused: they reorder the hits after the search, which
        a plan cannot show (plan with ``search_pipeline="_none"`` to see the search they start from)."""
        from retrievo.api import search_pipelines
        from retrievo.errors import not_supported
        from retrievo.esql_client import EsqlRunner
        from retrievo.grammar.builders import resolve_request
        from retrievo.grammar.json import parse_search
        from retrievo.planner.plan import build_plan
        from retrievo.query_rules.resolve import apply_query_rules

        catalog = self._catalog
        if esql is not None:
            if index is not None or body is not None or search_pipeline is not None or search_args:
                raise TypeError("plan(esql=...) takes no index, body or search parameters (FROM names the index)")
            return EsqlRunner(catalog).plan(esql)
        params = {("from" if k == "from_" else k): v for k, v in search_args.items()}
        unknown = set(params) - set(_PLAN_KEYS)
        if unknown:
            raise TypeError(f"plan() got unexpected keyword argument(s) {sorted(unknown)}")
        index, body, params = resolve_request(index, body, params)
        merged = _search_body(body, params)
        shard = catalog.shard(index)
        pipelined = search_pipelines.begin_on(catalog, merged, [(shard.name, None)], named=search_pipeline)
        if pipelined.pipeline is not None and pipelined.pipeline.response_processors:
            raise not_supported(
                f"a plan through search pipeline [{pipelined.pipeline.id}], which has response processors",
                "they reorder the hits after the search, which a plan cannot show; plan with search_pipeline='_none'",
            )
        window = shard.settings.max_result_window
        request = parse_search(shard.name, pipelined.body, max_result_window=window)
        request = apply_query_rules(request, catalog.query_rules)
        phase = pipelined.phase()
        if phase is not None:
            request = phase(request, window)
        return build_plan(
            request,
            shard.searcher(),
            embed=catalog.embed_query,
            inference=catalog.inference,
            max_terms_count=shard.settings.max_terms_count,
            default_field=shard.settings.default_field,
        )


def _search_body(body: Any, params: dict[str, Any]) -> dict[str, Any]:
    from retrievo.api.call import body_object

    merged = {} if body is None else body_object(body, "body")
    for key, value in params.items():
        if value is None:
            continue
        if key in merged:
            raise ValueError(
                f"Received multiple values for '{key}', specify parameters using either body or parameters, not both."
            )
        merged[key] = value
    return merged


# ---------------------------------------------------------------------------------------------- clients


class Engine(_Extras, Elasticsearch):
    """An in-process Elasticsearch: the official client, answered by retrievo without a network.

    ``Engine()`` keeps everything in memory; ``Engine(path=...)`` opens a data directory (creating
    it when missing or empty) and persists there — each index when a refresh publishes new writes,
    index and inference endpoint definitions as soon as they change. Other keyword arguments are the
    client's (``request_timeout``, ``headers``, ``max_retries`` …); ``hosts`` is not one of them.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, **kwargs: Any) -> None:
        transport = kwargs.get("_transport")
        if transport is not None:  # options() copies share the transport, and so the catalog
            if path is not None:
                raise TypeError("Engine(path=...) cannot be combined with _transport")
            super().__init__(**kwargs)
            self._catalog = _catalog_of(transport)
            self._attach_extras()
            return
        catalog = Catalog()
        super().__init__(**_client_kwargs(catalog, InProcessNode, kwargs))
        self._catalog = catalog
        self._attach_extras()
        if path is not None:
            catalog.attach(path)

    def _attach_extras(self) -> None:
        self.esql = EsqlClient(self, self._catalog)
        self.inference = InferenceClient(self, self._catalog)

    def search(self, *args: Any, **kwargs: Any) -> Any:
        """The official ``search``; ``body`` may also be an ``elasticsearch.dsl.Search`` or a
        retrievo ``SearchRequest`` (the index it names applies when the call names none)."""
        return super().search(*args, **_resolve_search(kwargs))

    def count(self, *args: Any, **kwargs: Any) -> Any:
        """The official ``count``; ``body`` may also be an ``elasticsearch.dsl.Search``."""
        return super().count(*args, **_resolve_search(kwargs, count=True))

    @classmethod
    def load(cls, path: str | os.PathLike[str], **kwargs: Any) -> Engine:
        """An engine holding what :meth:`save` (or an ``Engine(path=...)``) wrote at ``path``.
        Every file is checked against its checksum first; the engine keeps no link to ``path``
        (``Engine(path=...)`` opens a directory to keep persisting there)."""
        engine = cls(**kwargs)
        engine.catalog.restore(path)
        return engine


class AsyncEngine(_Extras, AsyncElasticsearch):
    """:class:`Engine` for asyncio code: an :class:`elasticsearch.AsyncElasticsearch` whose node runs
    retrievo's router in a worker thread."""

    def __init__(self, path: str | os.PathLike[str] | None = None, **kwargs: Any) -> None:
        transport = kwargs.get("_transport")
        if transport is not None:
            if path is not None:
                raise TypeError("AsyncEngine(path=...) cannot be combined with _transport")
            super().__init__(**kwargs)
            self._catalog = _catalog_of(transport)
            return
        catalog = Catalog()
        super().__init__(**_client_kwargs(catalog, AsyncInProcessNode, kwargs))
        self._catalog = catalog
        if path is not None:
            catalog.attach(path)

    @classmethod
    def load(cls, path: str | os.PathLike[str], **kwargs: Any) -> AsyncEngine:
        """An async engine holding what :meth:`Engine.save` wrote at ``path`` (see :meth:`Engine.load`)."""
        engine = cls(**kwargs)
        engine.catalog.restore(path)
        return engine
