"""OpenSearch search pipelines (``_search/pipeline``): what a pipeline is once validated, and the
registry the catalog keeps them in.

A pipeline holds three ordered lists of processors: request processors rewrite the search body before
it runs, phase-results processors (the ``normalization-processor``) change how a ``hybrid`` query's
sub-query scores are combined, and response processors rewrite the response (the ``rerank``
processor). Every processor carries the keys OpenSearch's ``Pipeline`` reads for all of them
(``tag``, ``description``, ``ignore_failure``).

The registry stores the definition exactly as it was put (``GET`` answers it back, as OpenSearch's
``PipelineConfiguration.getConfigAsMap`` does) beside the parsed pipeline; parsing lives in
:mod:`retrievo.opensearch.pipeline_config`, which the API layer calls before :meth:`SearchPipelines.put`.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from retrievo.json_copy import copy_json

#: The pipeline id that means "no pipeline" (``SearchPipelineService.NOOP_PIPELINE_ID``).
NOOP_PIPELINE_ID = "_none"
#: The id an inline (``search_pipeline`` in the search body) pipeline gets (``AD_HOC_PIPELINE_ID``).
AD_HOC_PIPELINE_ID = "_ad_hoc_pipeline"


class TextSimilarityModels(Protocol):
    """The ML Commons models a ``rerank`` processor's ``ml_opensearch`` scores with."""

    def rerank_scores(self, model_id: str, query: str, texts: Sequence[str]) -> np.ndarray:
        """One raw relevance score per text (OpenSearch's error for a missing or undeployed model)."""
        ...


@dataclass
class PipelineRequest:
    """One search as its processors see it.

    ``body`` is the search body after the request processors (without ``ext``); ``ext`` the parsed
    ``ext`` sections, which processors may consume (the rerank processor removes ``query_context``
    from ``ext.rerank``, as OpenSearch's ``QueryContextSourceFetcher`` does); ``source_map`` prints the
    request the way OpenSearch's ``SearchSourceBuilder.toXContent`` does, for ``query_text_path``;
    ``state`` carries values between a pipeline's request and response processors (``oversample`` →
    ``truncate_hits``), as OpenSearch's ``PipelineProcessingContext`` does; ``models`` scores text pairs.
    """

    body: dict[str, Any]
    ext: dict[str, Any]
    source_map: Callable[[], dict[str, Any]]
    models: TextSimilarityModels | None = None
    state: dict[str, Any] = field(default_factory=dict)


class RequestProcessor(Protocol):
    type: str
    tag: str | None
    description: str | None
    ignore_failure: bool

    def process_request(self, request: PipelineRequest) -> None:
        """Rewrite ``request.body`` in place; raise to fail the search."""


class ResponseProcessor(Protocol):
    type: str
    tag: str | None
    description: str | None
    ignore_failure: bool

    def process_response(self, request: PipelineRequest, response: dict[str, Any]) -> dict[str, Any]:
        """The response as this processor leaves it; raise to fail (the caller keeps the input)."""


@dataclass(frozen=True)
class PhaseResultsProcessor:
    """A phase-results processor: its kind and the parsed configuration the search hook applies."""

    type: str
    tag: str | None
    description: str | None
    ignore_failure: bool
    spec: Any


@dataclass(frozen=True)
class SearchPipeline:
    id: str
    #: The body as it was put, answered back by ``GET``.
    definition: Mapping[str, Any]
    description: str | None = None
    version: int | None = None
    request_processors: tuple[RequestProcessor, ...] = ()
    response_processors: tuple[ResponseProcessor, ...] = ()
    phase_results_processors: tuple[PhaseResultsProcessor, ...] = ()


def _matches(pattern: str, name: str) -> bool:
    """OpenSearch's ``Regex.simpleMatch``: ``*`` is the only wildcard."""
    return fnmatch.fnmatchcase(name, pattern.replace("[", "[[]").replace("?", "[?]"))


class SearchPipelines:
    """The pipelines by id (put replaces, the latest definition wins), safe across request threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pipelines: dict[str, SearchPipeline] = {}
        #: Called with every definition by id before a change takes effect (the catalog persists them
        #: there); if it raises, the change is not made.
        self.on_change: Callable[[dict[str, Any]], None] | None = None

    def put(self, pipeline: SearchPipeline) -> None:
        with self._lock:
            after = {**self._pipelines, pipeline.id: pipeline}
            self._publish(after)
            self._pipelines = after

    def get(self, pipeline_id: str) -> SearchPipeline | None:
        return self._pipelines.get(pipeline_id)

    def find(self, ids: list[str]) -> list[SearchPipeline]:
        """``SearchPipelineService.innerGetPipelines``: every pipeline for no ids, else each id (with
        ``*`` wildcards) in the order asked, missing ones skipped."""
        pipelines = dict(self._pipelines)
        if not ids:
            return list(pipelines.values())
        found: list[SearchPipeline] = []
        for pipeline_id in ids:
            if "*" in pipeline_id:
                found.extend(p for name, p in pipelines.items() if _matches(pipeline_id, name))
            elif pipeline_id in pipelines:
                found.append(pipelines[pipeline_id])
        return found

    def delete(self, pattern: str) -> list[str]:
        """Remove the pipelines ``pattern`` names (``*`` wildcards); the ids removed."""
        with self._lock:
            gone = [name for name in self._pipelines if _matches(pattern, name)]
            if gone:
                after = {name: p for name, p in self._pipelines.items() if name not in gone}
                self._publish(after)
                self._pipelines = after
        return gone

    def restore(self, pipelines: Sequence[SearchPipeline]) -> None:
        """Pipelines read back from a data directory (no change notification: they are already there)."""
        with self._lock:
            self._pipelines = {**self._pipelines, **{p.id: p for p in pipelines}}

    def _publish(self, pipelines: Mapping[str, SearchPipeline]) -> None:
        if self.on_change is not None:
            self.on_change({name: copy_json(dict(p.definition)) for name, p in pipelines.items()})

    def definitions(self) -> dict[str, Any]:
        """Every definition by id (copies)."""
        return {name: copy_json(dict(p.definition)) for name, p in self._pipelines.items()}
