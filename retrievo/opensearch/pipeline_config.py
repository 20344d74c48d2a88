"""A search pipeline definition read the way OpenSearch reads it when it is put.

OpenSearch validates a pipeline at ``PUT`` time by building it (``SearchPipelineService.validatePipeline``
→ ``PipelineWithMetrics.create``): the top-level keys, then each processor through its factory, every
value read by ``ConfigurationUtils`` (:mod:`retrievo.opensearch.config_readers`). The processor types in
one list item are built in the order Java's ``HashMap`` yields them.

A processor retrievo does not implement is refused by name (``not supported in retrievo``) rather
than stored and ignored; a type OpenSearch does not know is OpenSearch's ``Invalid processor type``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from retrievo.errors import not_supported
from retrievo.java_order import hashmap_order
from retrievo.json_copy import copy_json
from retrievo.opensearch.config_readers import Config, read_bool, read_int, read_optional_list, read_optional_string
from retrievo.opensearch.java_errors import JavaFailure, class_cast, illegal_argument, parse_exception
from retrievo.opensearch.normalization import parse_normalization_processor
from retrievo.opensearch.rerank_processor import create_rerank_processor
from retrievo.opensearch.search_pipelines import (
    PhaseResultsProcessor,
    RequestProcessor,
    ResponseProcessor,
    SearchPipeline,
)
from retrievo.opensearch.search_processors import create_filter_query, create_oversample, create_truncate_hits

#: Bytes a pipeline id may take in UTF-8 (``SearchPipelineService.MAX_PIPELINE_ID_BYTES``).
MAX_PIPELINE_ID_BYTES = 512


# ---------------------------------------------------------------------------- processors

ProcessorFactory = Callable[[str | None, str | None, bool, Config], Any]

#: Processors OpenSearch (core, neural-search, ml-commons) offers that retrievo does not implement.
_UNSUPPORTED = {
    "request_processors": (
        "script",
        "neural_query_enricher",
        "neural_sparse_two_phase_processor",
        "agentic_query_translator",
        "ml_inference",
    ),
    "response_processors": (
        "rename_field",
        "collapse",
        "sort",
        "split",
        "explanation_response_processor",
        "agentic_context",
        "ml_inference",
        "retrieval_augmented_generation",
        "personalize_search_ranking",
    ),
    "phase_results_processors": ("score-ranker-processor",),
}


def _normalization_factory(tag: str | None, description: str | None, ignore_failure: bool, config: Config) -> Any:
    """The ``normalization-processor`` reads its whole object itself (its keys checked there); it
    never ignores a failure (neural-search's processor answers ``isIgnoreFailure() == false``)."""
    for key in config.unread():
        config.remove(key)
    spec = parse_normalization_processor(config.original)
    return PhaseResultsProcessor("normalization-processor", tag, description, False, spec)


_FACTORIES: dict[str, dict[str, ProcessorFactory]] = {
    "request_processors": {"filter_query": create_filter_query, "oversample": create_oversample},
    "response_processors": {"rerank": create_rerank_processor, "truncate_hits": create_truncate_hits},
    "phase_results_processors": {"normalization-processor": _normalization_factory},
}


def _read_processors(section: str, configs: list[Any] | None) -> list[Any]:
    processors: list[Any] = []
    factories = _FACTORIES[section]
    for item in configs or []:
        if not isinstance(item, dict):
            raise class_cast(item, "java.util.Map").as_api_error()
        for ptype in hashmap_order(list(item), 16):
            if ptype not in factories:
                if ptype in _UNSUPPORTED[section]:
                    raise not_supported(f"the [{ptype}] search processor")
                raise illegal_argument(f"Invalid processor type {ptype}").as_api_error()
            raw = item[ptype]
            if not isinstance(raw, dict):
                raise class_cast(raw, "java.util.Map").as_api_error()
            config = Config(raw)
            tag = read_optional_string(None, None, config, "tag")
            ignore_failure = read_bool(None, None, config, "ignore_failure", False)
            description = read_optional_string(None, tag, config, "description")
            try:
                processors.append(factories[ptype](tag, description, ignore_failure, config))
            except JavaFailure as failure:
                raise failure.as_api_error() from None
            left = config.unread()
            if left:
                name = ptype if tag is None else f"{ptype}:{tag}"
                raise parse_exception(
                    f"processor [{name}] doesn't support one or more provided configuration parameters: "
                    f"[{', '.join(left)}]"
                )
    return processors


def parse_search_pipeline(pipeline_id: str, body: Any) -> SearchPipeline:
    """The pipeline ``body`` defines, or the error OpenSearch answers its ``PUT`` with."""
    size = len(pipeline_id.encode("utf-8", "surrogatepass"))
    if size > MAX_PIPELINE_ID_BYTES:
        raise illegal_argument(
            f"Search Pipeline id [{pipeline_id}] exceeds maximum length of {MAX_PIPELINE_ID_BYTES} UTF-8 bytes "
            f"(actual: {size} bytes)"
        ).as_api_error()
    if not isinstance(body, dict):
        body = {}  # XContentParser.map() reads anything but an object as an empty map
    config = Config(body)
    description = read_optional_string(None, None, config, "description")
    version = read_int(None, None, config, "version", None)
    sections: dict[str, list[Any]] = {}
    for section in ("request_processors", "response_processors", "phase_results_processors"):
        sections[section] = _read_processors(section, read_optional_list(None, None, config, section))
    left = config.unread()
    if left:
        raise parse_exception(
            f"pipeline [{pipeline_id}] doesn't support one or more provided configuration parameters "
            f"[{', '.join(left)}]"
        )
    request: tuple[RequestProcessor, ...] = tuple(sections["request_processors"])
    response: tuple[ResponseProcessor, ...] = tuple(sections["response_processors"])
    phase: tuple[PhaseResultsProcessor, ...] = tuple(sections["phase_results_processors"])
    return SearchPipeline(pipeline_id, copy_json(body), description, version, request, response, phase)
