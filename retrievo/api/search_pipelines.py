"""OpenSearch's search pipeline API (``PUT/GET/DELETE /_search/pipeline/{id}``) and the hook that runs
a pipeline around ``_search``.

The API answers as OpenSearch's ``RestPutSearchPipelineAction`` & co. do: ``{"acknowledged": true}``
for a put or delete; ``{id: definition}`` for a get (``*`` wildcards and comma lists allowed), 404 with
``{}`` when nothing matches; a delete of a missing pipeline is ``resource_not_found_exception``.

Around a search (``SearchPipelineService.resolvePipeline`` and ``Pipeline``): the pipeline is the one
the ``search_pipeline`` URL parameter names (``_none``: none), else the body's ``search_pipeline`` (a
name, or an inline pipeline object), else the ``index.search.default_pipeline`` of the indices searched
(when they disagree, none). Every search path resolves it: ``_search`` (a scroll too), each search of an
``_msearch`` and of a ``_rank_eval`` (OpenSearch runs each as its own ``SearchRequest``; no URL
parameter or header names a pipeline there, only the body or the default), and ``Engine.plan``. The body's
``ext`` is read here, never by the search parser: ``ext.rerank`` (which OpenSearch's neural-search
plugin always parses) is kept for the rerank processor and otherwise ignored, as OpenSearch ignores it
without a pipeline that reads it; other ``ext`` sections are refused. Request processors rewrite the
body, phase-results processors (``normalization-processor``) rewrite the parsed request, response
processors rewrite the response; a failing processor with ``ignore_failure`` leaves its input as it
was, otherwise the search fails with ``search_pipeline_processing_exception`` around the cause.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from retrievo.api import params as p
from retrievo.api.call import Call, reply
from retrievo.api.resolve import resolve_call_targets
from retrievo.catalog import Catalog
from retrievo.errors import (
    ApiError,
    NotFoundError,
    bad_request,
    illegal_argument,
    not_found,
    not_supported,
    parsing_error,
)
from retrievo.grammar.json import parse_search
from retrievo.json_copy import copy_json
from retrievo.opensearch.java_errors import JavaFailure, processing_failure
from retrievo.opensearch.normalization import apply_normalization
from retrievo.opensearch.pipeline_config import parse_search_pipeline
from retrievo.opensearch.search_pipelines import AD_HOC_PIPELINE_ID, NOOP_PIPELINE_ID, PipelineRequest, SearchPipeline
from retrievo.retrievers.search import SearchRequest

#: Resolved search targets: (index name, the filters of the aliases it was reached through).
Targets = list[tuple[Any, list[Any] | None]]
#: ``ext`` sections OpenSearch (with neural-search) parses; only ``rerank`` is read by retrievo.
_EXT_SECTIONS = ("rerank",)


# ---------------------------------------------------------------------------- the API


def _ack_options(call: Call) -> None:
    for name in ("timeout", "cluster_manager_timeout"):
        p.time_value(name, call.param(name))


def put(call: Call) -> dict[str, Any]:
    """``PUT /_search/pipeline/{id}``: validated as OpenSearch validates it, then stored (replacing)."""
    _ack_options(call)
    if call.body is None:  # RestRequest.contentOrSourceParam
        raise bad_request("parse_exception", "request body or source parameter is required")
    pipeline = parse_search_pipeline(str(call.part("id")), call.body)
    call.catalog.search_pipelines.put(pipeline)
    return {"acknowledged": True}


def get(call: Call) -> Any:
    """``GET /_search/pipeline[/{id}]``."""
    _ack_options(call)
    ids = [i for i in str(call.part("id") or "").split(",") if i]
    found = call.catalog.search_pipelines.find(ids)
    if not found:
        return reply(404, {}, {"content-type": "application/json"})
    return {pipeline.id: copy_json(dict(pipeline.definition)) for pipeline in found}


def delete(call: Call) -> dict[str, Any]:
    """``DELETE /_search/pipeline/{id}`` (``*`` wildcards; ``*`` alone never fails)."""
    _ack_options(call)
    pattern = str(call.part("id"))
    if not call.catalog.search_pipelines.delete(pattern) and pattern != "*":
        raise not_found("resource_not_found_exception", f"pipeline [{pattern}] is missing")
    return {"acknowledged": True}


# ---------------------------------------------------------------------------- around a search


@dataclass
class PipelinedSearch:
    """A search with the pipeline it runs through (``pipeline`` ``None``: no pipeline)."""

    pipeline: SearchPipeline | None
    request: PipelineRequest

    @property
    def body(self) -> dict[str, Any]:
        """The search body as the request processors left it (without ``ext``)."""
        return self.request.body

    def phase(self, *, scroll: bool = False) -> Callable[[SearchRequest, int], SearchRequest] | None:
        """What the phase-results processors do to a parsed request (``None`` when there are none);
        ``scroll``: the search opens a scroll, which a ``hybrid`` query refuses on the shard."""
        if self.pipeline is None or not self.pipeline.phase_results_processors:
            return None
        processors = self.pipeline.phase_results_processors

        def apply(request: SearchRequest, max_result_window: int) -> SearchRequest:
            for processor in processors:
                request = apply_normalization(
                    request, processor.spec, max_result_window=max_result_window, scroll=scroll
                )
            return request

        return apply

    def finish(self, response: dict[str, Any]) -> dict[str, Any]:
        """The response after the response processors (each failure ignored or wrapped)."""
        if self.pipeline is None:
            return response
        for processor in self.pipeline.response_processors:
            try:
                response = processor.process_response(self.request, response)
            except (JavaFailure, ApiError) as err:
                if not processor.ignore_failure:
                    raise processing_failure(err) from None
        return response


def _ext(body: dict[str, Any]) -> dict[str, Any]:
    """``SearchSourceBuilder``'s ``ext`` section: an object of named sections. A non-object
    ``ext.rerank`` reads as an empty map, as ``XContentParser.map()`` reads it there."""
    if "ext" not in body:
        return {}
    value = body.pop("ext")
    if not isinstance(value, dict):
        raise parsing_error(f"Unknown key for a {_token(value)} in [ext].")
    out: dict[str, Any] = {}
    for name, section in value.items():
        if name not in _EXT_SECTIONS:
            raise not_supported(f"[ext.{name}]")
        out[name] = dict(section) if isinstance(section, dict) else {}
    return out


def _token(value: Any) -> str:
    if value is None:
        return "VALUE_NULL"
    if isinstance(value, bool):
        return "VALUE_BOOLEAN"
    if isinstance(value, (int, float)):
        return "VALUE_NUMBER"
    return "START_ARRAY" if isinstance(value, list) else "VALUE_STRING"


def _body_pipeline(body: dict[str, Any]) -> str | dict[str, Any] | None:
    """The body's ``search_pipeline`` (taken out of it), as ``SearchSourceBuilder.parseXContent`` reads
    it since OpenSearch 2.18: an object is an inline pipeline (``searchPipelineSource``), a value is a
    pipeline's name (``parser.text()``: a number or boolean by its text); null and arrays are refused."""
    if "search_pipeline" not in body:
        return None
    value = body.pop("search_pipeline")
    if isinstance(value, dict):
        return value
    if value is None or isinstance(value, list):
        raise parsing_error(f"Unknown key for a {_token(value)} in [search_pipeline].")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _refuse_verbose(value: Any) -> None:
    if p.as_bool("verbose_pipeline", value):
        raise not_supported("[verbose_pipeline]", "retrievo does not report each search processor's results")


def parse_pipeline_keys(body: Any) -> Any:
    """The search body the search parser reads: ``search_pipeline``, ``verbose_pipeline`` and ``ext``
    checked as ``SearchSourceBuilder`` parses them, then taken out (the ``_msearch`` parser's hook: a
    bad one fails the whole request there, as a body that does not parse does)."""
    if not isinstance(body, dict):
        return body
    out = dict(body)
    _refuse_verbose(out.pop("verbose_pipeline", None))
    _ext(out)
    _body_pipeline(out)
    return out


def default_pipeline_id(catalog: Catalog, targets: Targets) -> str:
    """The ``index.search.default_pipeline`` of the indices searched: the first one set wins, a
    different one on another index means none."""
    chosen = NOOP_PIPELINE_ID
    for name, _ in targets:
        shard = catalog.shards.get(name)
        current = None if shard is None else shard.settings.search_default_pipeline
        if current is None:
            continue
        if chosen == NOOP_PIPELINE_ID:
            chosen = current
        elif chosen != current:
            return NOOP_PIPELINE_ID
    return chosen


def _call_default_pipeline_id(call: Call) -> str:
    """:func:`default_pipeline_id` of the call's indices; indices that do not exist mean none (the
    search then fails on them)."""
    if all(shard.settings.search_default_pipeline is None for shard in call.catalog.shards.values()):
        return NOOP_PIPELINE_ID  # nothing to look for: the usual case, without resolving the targets twice
    try:
        targets = resolve_call_targets(call)
    except NotFoundError:
        return NOOP_PIPELINE_ID
    return default_pipeline_id(call.catalog, targets)


def _resolve(
    catalog: Catalog, named: Any, from_body: str | dict[str, Any] | None, default: Callable[[], str]
) -> SearchPipeline | None:
    """``SearchPipelineService.resolvePipeline``. ``named``: the ``search_pipeline`` URL parameter,
    which wins over a name in the body (``request.param("search_pipeline", source.pipeline())``)."""
    if isinstance(from_body, dict):
        if named is not None:
            raise illegal_argument(
                "Both named and inline search pipeline were specified. Please only specify one or the other."
            )
        try:
            return parse_search_pipeline(AD_HOC_PIPELINE_ID, from_body)
        except ApiError as err:
            raise processing_failure(err) from None
    pipeline_id = p.text(named) if named is not None else from_body
    if pipeline_id is None:
        pipeline_id = default()
    if pipeline_id == NOOP_PIPELINE_ID:
        return None
    pipeline = catalog.search_pipelines.get(pipeline_id)
    if pipeline is None:
        raise illegal_argument(f"Pipeline {pipeline_id} is not defined")
    return pipeline


def _begin(
    catalog: Catalog, body: dict[str, Any], named: Any, verbose: Any, default: Callable[[], str]
) -> PipelinedSearch:
    body = dict(body)
    _refuse_verbose(verbose)
    _refuse_verbose(body.pop("verbose_pipeline", None))
    ext = _ext(body)
    pipeline = _resolve(catalog, named, _body_pipeline(body), default)
    state: dict[str, Any] = {}

    def source_map() -> dict[str, Any]:
        # OpenSearch prints the request (SearchSourceBuilder.toXContent) for query_text_path: the
        # request's own printing of its query, ext as it stands now.
        printed = parse_search("_all", request.body, max_result_window=sys.maxsize).to_json()
        return {**printed, "ext": ext} if ext else printed

    request = PipelineRequest(body, ext, source_map, catalog.ml_models, state)
    if pipeline is not None:
        for processor in pipeline.request_processors:
            try:
                processor.process_request(request)
            except (JavaFailure, ApiError) as err:
                if not processor.ignore_failure:
                    raise processing_failure(err) from None
    return PipelinedSearch(pipeline, request)


def begin(call: Call, body: dict[str, Any]) -> PipelinedSearch:
    """The ``_search``'s pipeline resolved and its request processors run (``body`` is not changed)."""
    return _begin(
        call.catalog,
        body,
        call.param("search_pipeline"),
        call.param("verbose_pipeline"),
        lambda: _call_default_pipeline_id(call),
    )


def begin_on(catalog: Catalog, body: dict[str, Any], targets: Targets, named: Any = None) -> PipelinedSearch:
    """The same for a search whose indices are already resolved: an ``_msearch`` item (no URL
    parameter names a pipeline there: ``RestMultiSearchAction`` reads none, so only the body's
    ``search_pipeline`` or the indices' default does) or ``Engine.plan``."""
    return _begin(catalog, body, named, None, lambda: default_pipeline_id(catalog, targets))


def has_pipeline(catalog: Catalog, body: Any, targets: Targets) -> bool:
    """Whether an ``_msearch`` item runs through a search pipeline (nothing runs; an unknown or bad
    pipeline raises, failing that item alone as ``resolvePipeline`` does in its ``SearchRequest``)."""
    if not isinstance(body, dict):
        return default_pipeline_id(catalog, targets) != NOOP_PIPELINE_ID
    rest = dict(body)
    rest.pop("verbose_pipeline", None)
    rest.pop("ext", None)
    from_body = _body_pipeline(rest)
    return _resolve(catalog, None, from_body, lambda: default_pipeline_id(catalog, targets)) is not None
