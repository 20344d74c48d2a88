"""One inference endpoint: its identity, task type, service, built model and chunking settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .chunking import ChunkingSettings
from .services.base import EndpointModel


@dataclass(frozen=True)
class Endpoint:
    """What ``PUT _inference/<task_type>/<inference_id>`` stored.

    ``serial`` is unique per created endpoint (also across delete and re-create of one id); caches
    key on it so that a re-created endpoint never sees its predecessor's results.
    """

    inference_id: str
    task_type: str
    service: str
    model: EndpointModel
    chunking_settings: ChunkingSettings | None
    preconfigured: bool
    serial: int

    @property
    def cache_namespace(self) -> tuple[str, int]:
        return (self.inference_id, self.serial)

    def to_dict(self) -> dict[str, Any]:
        """The endpoint as ``GET _inference`` lists it; empty ``task_settings`` are not shown."""
        body: dict[str, Any] = {
            "inference_id": self.inference_id,
            "task_type": self.task_type,
            "service": self.service,
            "service_settings": self.model.service_settings_view(),
        }
        task_settings = self.model.task_settings_view()
        if task_settings:
            body["task_settings"] = task_settings
        if self.chunking_settings is not None:
            body["chunking_settings"] = self.chunking_settings.to_dict()
        return body
