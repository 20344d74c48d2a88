"""What a service is and what it builds.

A *service* (``sentence_transformers``, ``elasticsearch``, ...) turns the body of
``PUT _inference/<task_type>/<id>`` into an :class:`EndpointModel` -- Elasticsearch's ``Model``:
validated settings plus the ability to run the endpoint's task. Adding a service is one subclass of
:class:`InferenceService` plus one entry in :data:`retrievo.inference.services.SERVICES`; adding a
task type is one :class:`EndpointModel` subclass here plus one entry in
:data:`retrievo.inference.task_types.TASK_TYPES`.

Services read their settings through :class:`~retrievo.inference.settings_parsing.SettingsReader`
and must consume every key they accept; the registry rejects whatever is left over.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..settings_parsing import SettingsReader
from .model_loading import LoadedModelCache


@dataclass(frozen=True)
class ServiceContext:
    """Shared resources a service may use while building models (scoped to one registry)."""

    model_cache: LoadedModelCache


class EndpointModel(ABC):
    """A validated endpoint configuration that can run its task."""

    @abstractmethod
    def service_settings_view(self) -> dict[str, Any]:
        """``service_settings`` as GET/PUT echo them: defaults filled in, secrets omitted."""

    def task_settings_view(self) -> dict[str, Any]:
        return {}

    def release(self) -> None:
        """Give back loaded resources (the endpoint was deleted)."""


class TextEmbeddingModel(EndpointModel):
    """A model for the ``text_embedding`` task: texts in, dense float32 vectors out."""

    batch_size: int = 32

    @abstractmethod
    def encode(self, texts: list[str], input_type: str | None) -> np.ndarray:
        """One model invocation for one batch: a float32 ``(len(texts), dims)`` array."""

    def cache_variant(self, input_type: str | None) -> str:
        """Distinguishes cached vectors when ``input_type`` changes what the model computes."""
        return ""


class InferenceService(ABC):
    """Parses endpoint configurations for one ``service`` name."""

    name: ClassVar[str]
    task_types: ClassVar[tuple[str, ...]]

    @abstractmethod
    def parse_request_config(self, *, inference_id: str, task_type: str,
                             service_settings: SettingsReader, task_settings: SettingsReader,
                             context: ServiceContext) -> EndpointModel:
        """Validate the settings (raising Elasticsearch-shaped errors) and build the model.

        Loading weights is not done here: models load lazily on first use.
        """
