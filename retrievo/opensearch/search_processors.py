"""OpenSearch's common search processors (the ``search-pipeline-common`` module) that reranking setups
use around a ``rerank`` processor: ``filter_query`` and ``oversample`` (request processors) and
``truncate_hits`` (a response processor).

``oversample`` multiplies the request's ``size`` by ``sample_factor`` (rounding up) and remembers the
original size in the pipeline's per-request state; ``truncate_hits`` cuts the returned page to
``target_size``, or to that remembered size — so a reranker sees more candidates than the caller asked
for and the caller still gets ``size`` hits. ``context_prefix`` keeps several such pairs apart
(``<prefix>.original_size``). ``truncate_hits`` keeps ``hits.total`` and ``max_score`` as they were
(``SearchResponseUtil.replaceHits``). ``filter_query`` turns the query into ``bool`` {``filter``: the
configured query, ``must``: the original query} (only the filter when the request has no query, so
every hit then scores 0, as a filter-only ``bool`` does).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from retrievo.grammar.json import parse_search
from retrievo.opensearch.config_readers import (
    Config,
    read_double,
    read_int,
    read_optional_map,
    read_optional_string,
)
from retrievo.opensearch.java_errors import configuration_error, illegal_argument, illegal_state
from retrievo.opensearch.search_pipelines import PipelineRequest

#: ``SearchService.DEFAULT_SIZE``: the size of a request that sets none.
DEFAULT_SIZE = 10
#: ``OversampleRequestProcessor.ORIGINAL_SIZE``: the state key (after any ``context_prefix``).
ORIGINAL_SIZE = "original_size"


def _context_key(prefix: str | None, name: str) -> str:
    """``ContextUtils.applyContextPrefix``."""
    return f"{prefix}.{name}" if prefix else name


def _java_double_to_int(value: float) -> int:
    """Java's ``(int)`` of a double: NaN is 0, out-of-range values clamp."""
    if math.isnan(value):
        return 0
    if value >= 2**31 - 1:
        return 2**31 - 1
    if value <= -(2**31):
        return -(2**31)
    return int(value)


@dataclass(frozen=True)
class FilterQuery:
    type: str
    tag: str | None
    description: str | None
    ignore_failure: bool
    query: dict[str, Any]

    def process_request(self, request: PipelineRequest) -> None:
        original = request.body.get("query")
        clauses: dict[str, Any] = {"filter": [self.query]}
        if original is not None:
            clauses["must"] = [original]
        request.body["query"] = {"bool": clauses}


@dataclass(frozen=True)
class Oversample:
    type: str
    tag: str | None
    description: str | None
    ignore_failure: bool
    sample_factor: float
    context_prefix: str | None

    def process_request(self, request: PipelineRequest) -> None:
        size = request.body.get("size")
        if size is not None and (isinstance(size, bool) or not isinstance(size, int)):
            return  # not a size: the search parser refuses it with Elasticsearch's message
        original = DEFAULT_SIZE if size is None or size == -1 else size
        request.state[_context_key(self.context_prefix, ORIGINAL_SIZE)] = original
        request.body["size"] = _java_double_to_int(math.ceil(original * self.sample_factor))


@dataclass(frozen=True)
class TruncateHits:
    type: str
    tag: str | None
    description: str | None
    ignore_failure: bool
    #: ``None``: take the size an earlier ``oversample`` remembered.
    target_size: int | None
    context_prefix: str | None

    def process_response(self, request: PipelineRequest, response: dict[str, Any]) -> dict[str, Any]:
        size = self.target_size
        if size is None:
            key = _context_key(self.context_prefix, ORIGINAL_SIZE)
            if key not in request.state:
                raise illegal_state(f"Must specify target_size unless an earlier processor set {key}")
            size = int(request.state[key])
        hits = response.get("hits")
        if isinstance(hits, dict) and len(hits.get("hits", [])) > size:
            return {**response, "hits": {**hits, "hits": list(hits["hits"][:size])}}
        return response


def create_filter_query(tag: str | None, description: str | None, ignore_failure: bool, config: Config) -> FilterQuery:
    """``FilterQueryRequestProcessor.Factory``: the query is parsed (and refused) when the pipeline is put."""
    query = read_optional_map("filter_query", tag, config, "query")
    if query is None:
        raise illegal_argument("Did not specify the query property in processor of type filter_query")
    parse_search("_all", {"query": query})  # OpenSearch parses it with parseInnerQueryBuilder at PUT time
    return FilterQuery("filter_query", tag, description, ignore_failure, query)


def create_oversample(tag: str | None, description: str | None, ignore_failure: bool, config: Config) -> Oversample:
    factor = read_double("oversample", tag, config, "sample_factor")
    if factor < 1.0:
        raise configuration_error("oversample", tag, "sample_factor", "Value must be >= 1.0")
    prefix = read_optional_string("oversample", tag, config, "context_prefix")
    return Oversample("oversample", tag, description, ignore_failure, factor, prefix)


def create_truncate_hits(
    tag: str | None, description: str | None, ignore_failure: bool, config: Config
) -> TruncateHits:
    target = read_int("truncate_hits", tag, config, "target_size", None)
    if target is not None and target < 0:
        raise configuration_error("truncate_hits", tag, "target_size", "Value must be >= 0")
    prefix = read_optional_string("truncate_hits", tag, config, "context_prefix")
    return TruncateHits("truncate_hits", tag, description, ignore_failure, target, prefix)
