"""``Engine``: a client shaped like the official ``elasticsearch.Elasticsearch``, running locally.

The facade is thin: it checks arguments, finds the index in the catalog (retrievo.catalog: indices,
inference endpoints, persistence) and hands over to the grammar (parsing), then the planner (planning
and execution) or the index (writes); a search body is always parsed before it is planned. Method
names, keyword arguments and response bodies follow the official client, so user code moves between
the two unchanged.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from typing import Any

from retrievo.bulk import run_bulk
from retrievo.catalog import Catalog, validate_index_name
from retrievo.errors import BadRequestError, illegal_argument, not_found_body, not_supported
from retrievo.esql_client import EsqlClient
from retrievo.evaluation.rank_eval import rank_eval
from retrievo.grammar.builders import resolve_request
from retrievo.grammar.json import parse_search
from retrievo.grammar.json.search import parse_source
from retrievo.index.analyze_api import analyze
from retrievo.index.shard import Shard
from retrievo.inference import InferenceClient
from retrievo.multi_search import multi_search
from retrievo.planner.execute import run_search
from retrievo.planner.plan import Plan, build_plan
from retrievo.response import filter_source, shards_header
from retrievo.retrievers.search import SearchRequest

_SEARCH_BODY_KEYS = (
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


class IndicesClient:
    """``engine.indices``: index-level APIs, as ``Elasticsearch.indices``."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    def create(
        self,
        *,
        index: str,
        mappings: dict[str, Any] | None = None,
        settings: dict[str, Any] | None = None,
        aliases: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        if body is not None:
            body = _as_dict(body, "body")
            unknown = set(body) - {"mappings", "settings", "aliases"}
            if unknown:
                raise BadRequestError("parsing_exception", f"unknown key [{sorted(unknown)[0]}] for create index")
            mappings = mappings if mappings is not None else body.get("mappings")
            settings = settings if settings is not None else body.get("settings")
            aliases = aliases if aliases is not None else body.get("aliases")
        if aliases:
            raise not_supported("[aliases]")
        self._catalog.create(index, mappings, settings)
        return {"acknowledged": True, "shards_acknowledged": True, "index": index}

    def delete(self, *, index: str) -> dict[str, Any]:
        self._catalog.delete(index)
        return {"acknowledged": True}

    def exists(self, *, index: str) -> bool:
        """True when every named index exists (the official client returns a truthy HeadApiResponse)."""
        names = [n for n in str(index).split(",") if n]
        return bool(names) and all(n in self._catalog.shards for n in names)

    def get_mapping(self, *, index: str | None = None) -> dict[str, Any]:
        names = self._catalog.resolve(index or "_all")
        return {n: {"mappings": self._catalog.shards[n].mappings.to_json()} for n in names}

    def get_settings(self, *, index: str | None = None) -> dict[str, Any]:
        names = self._catalog.resolve(index or "_all")
        out = {}
        for n in names:
            sh = self._catalog.shards[n]
            out[n] = {"settings": sh.settings.to_json(n, sh.uuid, sh.created_millis)}
        return out

    def flush(self, *, index: str | None = None) -> dict[str, Any]:
        """Persist the named indexes, writes not yet refreshed included, to the engine's data
        directory (``Engine(path=...)``). An engine without one keeps nothing on disk: nothing to do."""
        names = self._catalog.resolve(index or "_all")
        self._catalog.flush(names)
        return {"_shards": {"total": len(names), "successful": len(names), "failed": 0}}

    def refresh(self, *, index: str | None = None) -> dict[str, Any]:
        names = self._catalog.resolve(index or "_all")
        for n in names:
            self._catalog.shards[n].refresh()
        return {"_shards": {"total": len(names), "successful": len(names), "failed": 0}}

    def analyze(
        self,
        *,
        index: str | None = None,
        text: Any = None,
        analyzer: str | None = None,
        field: str | None = None,
        tokenizer: Any = None,
        filter: Any = None,
        char_filter: Any = None,
        normalizer: str | None = None,
        explain: bool | None = None,
        attributes: Any = None,
        body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``_analyze``: the tokens of ``text`` through ``analyzer``, or through ``field``'s analyzer
        in ``index`` (retrievo.index.analyze_api; building an analyzer in the request is refused)."""
        request = {
            "text": text,
            "analyzer": analyzer,
            "field": field,
            "tokenizer": tokenizer,
            "filter": filter,
            "char_filter": char_filter,
            "normalizer": normalizer,
            "explain": explain,
            "attributes": attributes,
        }
        if body is not None:
            for key, value in _as_dict(body, "body").items():
                if request.get(key) is None:
                    request[key] = value
        if index is None:
            return analyze(None, None, request)
        shard = self._catalog.shard(validate_index_name(index))
        return analyze(shard.analysis, shard.mappings, request)


def _as_dict(value: Any, what: str) -> dict[str, Any]:
    if isinstance(value, (str, bytes)):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as e:
            raise BadRequestError(
                "x_content_parse_exception", f"[{what}] is not valid JSON: {e.msg} at line {e.lineno} column {e.colno}"
            ) from None
    if not isinstance(value, Mapping):
        raise BadRequestError("parsing_exception", f"[{what}] must be an object, found [{type(value).__name__}]")
    return dict(value)


def _refresh_requested(refresh: Any) -> bool:
    if refresh in (None, False, "false"):
        return False
    if refresh in (True, "true", "wait_for", ""):
        return True
    raise illegal_argument(f"Unknown value for refresh: [{refresh}].")


class Engine:
    """An in-process Elasticsearch: create indexes, load documents, search with retrievers."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        """``path``: a data directory to open (or create, when missing or empty); the engine then
        persists there — each index when a refresh publishes new writes, index and inference
        endpoint definitions as soon as they change."""
        #: The indices, inference endpoints and data directory behind the API (retrievo.catalog).
        self.catalog = Catalog()
        self.indices = IndicesClient(self.catalog)
        self.inference = InferenceClient(self.catalog.inference)
        self.esql = EsqlClient(self.catalog)
        if path is not None:
            self.catalog.attach(path)

    # ------------------------------------------------------------------ persistence
    @property
    def path(self) -> str | None:
        """The data directory this engine persists to (``Engine(path=...)``), else ``None``."""
        return self.catalog.path

    def save(self, path: str | os.PathLike[str]) -> dict[str, Any]:
        """Write every index (unrefreshed writes included) and the inference endpoint definitions
        to ``path``, replacing what a previous save left there. Atomic: if it fails, the previous
        save at ``path`` still loads. The engine's own data directory, if any, stays its home."""
        return self.catalog.save(path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Engine:
        """An engine holding what :meth:`save` (or an ``Engine(path=...)``) wrote at ``path``.
        Every file is checked against its checksum first; the engine keeps no link to ``path``
        (``Engine(path=...)`` opens a directory to keep persisting there)."""
        engine = cls()
        engine.catalog.restore(path)
        return engine

    # ------------------------------------------------------------------ documents
    def index(
        self,
        *,
        index: str,
        document: Any = None,
        id: str | None = None,
        refresh: Any = None,
        op_type: str | None = None,
        body: Any = None,
    ) -> dict[str, Any]:
        doc = _as_dict(document if document is not None else body, "document")
        if op_type not in (None, "index", "create"):
            raise illegal_argument(f"opType must be 'create' or 'index', found: [{op_type}]")
        shard = self.catalog.shard(index, auto_create=True)
        doc_id, version, created, seq_no = shard.index_document(
            None if id is None else str(id), doc, op_type or "index"
        )
        if _refresh_requested(refresh):
            shard.refresh()
        return self.catalog.write_result(shard, doc_id, version, "created" if created else "updated", seq_no)

    def create(
        self, *, index: str, id: str, document: Any = None, refresh: Any = None, body: Any = None
    ) -> dict[str, Any]:
        return self.index(index=index, id=id, document=document, body=body, refresh=refresh, op_type="create")

    def get(self, *, index: str, id: str, _source: Any = None) -> dict[str, Any]:
        shard = self.catalog.shard(index)
        found = shard.store.get(str(id))
        if found is None:
            raise not_found_body({"_index": index, "_id": str(id), "found": False})
        _, src = found
        body: dict[str, Any] = {
            "_index": index,
            "_id": str(id),
            "_version": shard.store.versions[str(id)],
            "_seq_no": shard.store.seq_no,
            "_primary_term": 1,
            "found": True,
        }
        filtered = filter_source(src, parse_source("_source", _source if _source is not None else True))
        if filtered is not None:
            body["_source"] = filtered
        return body

    def exists(self, *, index: str, id: str) -> bool:
        shard = self.catalog.shards.get(index)
        return shard is not None and shard.store.get(str(id)) is not None

    def delete(self, *, index: str, id: str, refresh: Any = None) -> dict[str, Any]:
        shard = self.catalog.shard(index)
        version, seq_no = shard.delete_document(str(id))
        if version is None:
            result = self.catalog.write_result(shard, str(id), 1, "not_found", seq_no)
            raise not_found_body(result)
        if _refresh_requested(refresh):
            shard.refresh()
        return self.catalog.write_result(shard, str(id), version, "deleted", seq_no)

    def bulk(
        self, *, operations: Any = None, index: str | None = None, refresh: Any = None, body: Any = None
    ) -> dict[str, Any]:
        start = time.perf_counter()
        ops = operations if operations is not None else body
        items, touched = run_bulk(self.catalog, ops, index)
        if _refresh_requested(refresh):
            for shard in touched:
                shard.refresh()
        errors = any("error" in next(iter(item.values())) for item in items)
        return {"errors": errors, "took": int((time.perf_counter() - start) * 1000), "items": items}

    # ------------------------------------------------------------------ search
    def _search_body(self, body: Any, params: dict[str, Any]) -> dict[str, Any]:
        merged = _as_dict(body, "body") if body is not None else {}
        for key, value in params.items():
            if value is None:
                continue
            if key in merged:
                raise ValueError(
                    f"Received multiple values for '{key}', specify parameters using either "
                    f"body or parameters, not both."
                )
            merged[key] = value
        return merged

    def search(
        self,
        *,
        index: str | list[str] | None = None,
        body: Any = None,
        query: Any = None,
        knn: Any = None,
        retriever: Any = None,
        size: int | None = None,
        from_: int | None = None,
        _source: Any = None,
        explain: bool | None = None,
        min_score: float | None = None,
        sort: Any = None,
        track_total_hits: bool | int | None = None,
        terminate_after: int | None = None,
        search_after: Any = None,
        track_scores: bool | None = None,
        profile: bool | None = None,
    ) -> dict[str, Any]:
        # ``body`` may be an elasticsearch.dsl ``Search`` (naming the index); builder objects
        # anywhere inside are turned into JSON by the parser (retrievo.grammar.builders).
        index, body, params = resolve_request(
            index,
            body,
            {
                "query": query,
                "knn": knn,
                "retriever": retriever,
                "size": size,
                "from": from_,
                "_source": _source,
                "explain": explain,
                "min_score": min_score,
                "sort": sort,
                "track_total_hits": track_total_hits,
                "terminate_after": terminate_after,
                "search_after": search_after,
                "track_scores": track_scores,
                "profile": profile,
            },
        )
        req = self._search_body(body, params)
        shard = self.catalog.shard(index)
        return run_search(shard, _parse(shard, req), embed=self.catalog.embed_query, inference=self.catalog.inference)

    def plan(
        self, *, index: str | list[str] | None = None, body: Any = None, esql: Any = None, **search_args: Any
    ) -> Plan:
        """The plan a search would run, printable with ``str()`` (nothing is executed). ``esql``: an
        ES|QL query (text or an ``elasticsearch.esql`` builder) instead of a search body."""
        if esql is not None:
            if index is not None or body is not None or search_args:
                raise TypeError("plan(esql=...) takes no index, body or search parameters (FROM names the index)")
            return self.esql.plan(esql)
        params = {("from" if k == "from_" else k): v for k, v in search_args.items()}
        unknown = set(params) - set(_SEARCH_BODY_KEYS)
        if unknown:
            raise TypeError(f"plan() got unexpected keyword argument(s) {sorted(unknown)}")
        index, body, params = resolve_request(index, body, params)
        shard = self.catalog.shard(index)
        request = _parse(shard, self._search_body(body, params))
        return build_plan(request, shard.searcher(), embed=self.catalog.embed_query, inference=self.catalog.inference)

    def msearch(
        self, *, searches: Any = None, body: Any = None, index: str | list[str] | None = None
    ) -> dict[str, Any]:
        """``_msearch``: header/body pairs (a list, or NDJSON text) searched together; the response has
        ``took`` and ``responses`` (each a search response with ``status``, or an error with its
        ``status``). Query embeddings, rerank pairs and shared filters are batched across the searches
        (retrievo.planner.msearch)."""
        if searches is None and body is None:
            raise ValueError("Empty value passed for parameters 'searches' and 'body', one of them should be set.")
        if searches is not None and body is not None:
            raise ValueError("Cannot set both 'searches' and 'body'")
        items = searches if searches is not None else body
        response, _ = multi_search(self.catalog, items, index)
        return response

    def rank_eval(
        self,
        *,
        requests: Any = None,
        metric: Any = None,
        index: str | list[str] | None = None,
        templates: Any = None,
        max_concurrent_searches: int | None = None,
        search_type: str | None = None,
        body: Any = None,
    ) -> dict[str, Any]:
        """``_rank_eval``: run rated search requests and score them with one metric (precision,
        recall, mean_reciprocal_rank, dcg, expected_reciprocal_rank), Elasticsearch's request and
        response shapes (retrievo.evaluation). Keyword arguments mirror the body, as in the official
        client (``templates`` and ``max_concurrent_searches`` too); ``body=`` is accepted instead."""
        if requests is None and body is None:
            raise ValueError("Empty value passed for parameter 'requests'")
        fields = {
            "requests": requests,
            "metric": metric,
            "templates": templates,
            "max_concurrent_searches": max_concurrent_searches,
        }
        merged = self._search_body(body, fields)
        return rank_eval(self.catalog, merged, index=index, search_type=search_type)

    def count(self, *, index: str | list[str] | None = None, query: Any = None, body: Any = None) -> dict[str, Any]:
        index, body, params = resolve_request(index, body, {"query": query}, count=True)
        req = self._search_body(body, params)
        unknown = set(req) - {"query"}
        if unknown:
            raise BadRequestError("parsing_exception", f"request does not support [{sorted(unknown)[0]}]")
        req.update({"size": 0, "track_total_hits": True})
        shard = self.catalog.shard(index)
        resp = run_search(shard, _parse(shard, req))
        return {"count": resp["hits"]["total"]["value"], "_shards": shards_header()}


def _parse(shard: Shard, body: dict[str, Any]) -> SearchRequest:
    """The search body as a request against ``shard`` (its ``index.max_result_window`` applies)."""
    return parse_search(shard.name, body, max_result_window=shard.settings.max_result_window)
