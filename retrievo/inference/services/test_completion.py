"""``completion_test_service``: Elasticsearch's deterministic completion mock (``TestCompletionServiceExtension``)::

    PUT _inference/completion/completion-id
    {"service": "completion_test_service",
     "service_settings": {"model": "my_model", "api_key": "abc64"}}

Settings are read as the sparse mock reads them (``model`` required, ``hidden_field``,
``should_return_hidden_field``, then ``api_key``; Java casts, unknown keys ignored); GET shows ``model``.
The completion of an input is the input upper-cased (``String.toUpperCase(Locale.ROOT)``: Python's
``str.upper`` applies the same full Unicode case mapping), answered as
``{"completion": [{"result": "..."}]}``.

``streaming_completion_test_service`` answers through Elasticsearch's streaming API (``_stream``, server-sent
events), which retrievo does not serve: creating one is refused with that reason.
"""

from __future__ import annotations

from typing import Any, ClassVar

from retrievo.errors import not_supported

from ..settings_parsing import SettingsReader
from .base import CompletionModel, EndpointModel, InferenceService, ServiceContext
from .test_service_settings import (
    TestTaskSettings,
    read_mock_service_settings,
)


class TestCompletionModel(CompletionModel):
    def __init__(self, model_id: str, task_settings: TestTaskSettings) -> None:
        self.model_id = model_id
        self.task_settings = task_settings

    def complete(self, texts: list[str]) -> list[str]:
        return [text.upper() for text in texts]

    def check_request_task_settings(self, settings: Any, service: str) -> None:
        """The mock's ``infer`` never reads a request's ``task_settings``."""

    def service_settings_view(self) -> dict[str, Any]:
        return {"model": self.model_id}

    def task_settings_view(self) -> dict[str, Any]:
        return self.task_settings.view()


class TestCompletionService(InferenceService):
    name = "completion_test_service"
    task_types: ClassVar[tuple[str, ...]] = ("completion",)
    exact_task_types: ClassVar[bool] = True

    def parse_request_config(
        self,
        *,
        inference_id: str,
        task_type: str,
        service_settings: SettingsReader,
        task_settings: SettingsReader,
        context: ServiceContext,
    ) -> EndpointModel:
        read = read_mock_service_settings(service_settings.remaining)
        return TestCompletionModel(read.model, TestTaskSettings.from_map(task_settings.remaining))


class StreamingCompletionTestService(InferenceService):
    name = "streaming_completion_test_service"
    task_types: ClassVar[tuple[str, ...]] = ("completion",)

    def parse_request_config(
        self,
        *,
        inference_id: str,
        task_type: str,
        service_settings: SettingsReader,
        task_settings: SettingsReader,
        context: ServiceContext,
    ) -> EndpointModel:
        raise not_supported(
            "the [streaming_completion_test_service] service (streamed completions over [_stream])",
            "use [completion_test_service] for Elasticsearch's non-streaming completion mock",
        )
