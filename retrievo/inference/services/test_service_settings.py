"""What Elasticsearch's test inference services share: their settings parsing and ``String.hashCode``.

The mocks of ``x-pack/plugin/inference/qa/test-service-plugin`` (``test_service``,
``text_embedding_test_service``, ``completion_test_service``) read their settings with bare Java casts -- ``(String)
map.remove("model")``, ``(Integer) map.remove("dimensions")`` -- and ignore keys they do not know. A
value of the wrong JSON type therefore fails with the JVM's ``ClassCastException`` (a 500), and
missing required values are collected into one ``ValidationException``. Both are reproduced here,
with the Java class each JSON value becomes when Elasticsearch parses a request body into a map.

``task_settings`` hold only ``temperature`` (``TestTaskSettings``, an ``Integer``); the mocks never
read it, and they ignore a request's ``task_settings`` altogether.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from retrievo.errors import ApiError, api_error

from ..errors import validation_exception

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1


def java_hash_code(text: str) -> int:
    """``String.hashCode`` as Java's signed ``int``: ``h = 31 * h + unit`` over UTF-16 code units, in
    32-bit arithmetic; a lone surrogate (a JSON ``\\ud800`` escape) is one unit, as in a Java string."""
    data = text.encode("utf-16-le", "surrogatepass")
    h = 0
    for i in range(0, len(data), 2):
        h = (31 * h + (data[i] | data[i + 1] << 8)) & 0xFFFFFFFF
    return h - 2**32 if h > _INT_MAX else h


def java_class_name(value: Any) -> str:
    """The class a JSON value has in the map Elasticsearch parses a request body into."""
    if isinstance(value, bool):
        return "java.lang.Boolean"
    if isinstance(value, int):
        if _INT_MIN <= value <= _INT_MAX:
            return "java.lang.Integer"
        return "java.lang.Long" if _LONG_MIN <= value <= _LONG_MAX else "java.math.BigInteger"
    if isinstance(value, float):
        return "java.lang.Double"
    if isinstance(value, str):
        return "java.lang.String"
    if isinstance(value, list):
        return "java.util.ArrayList"
    return "java.util.HashMap"


def class_cast(value: Any, target: str) -> ApiError:
    """The JVM's ``ClassCastException`` for ``(target) value`` (all these classes live in ``java.base``)."""
    source = java_class_name(value)
    return api_error(
        "class_cast_exception",
        f"class {source} cannot be cast to class {target} ({source} and {target} are in module java.base of "
        f"loader 'bootstrap')",
        status=500,
    )


def cast_string(value: Any) -> str | None:
    """``(String) value``."""
    if value is None or isinstance(value, str):
        return value
    raise class_cast(value, "java.lang.String")


def cast_integer(value: Any) -> int | None:
    """``(Integer) value``: only a JSON integer that fits Java's ``int``."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and _INT_MIN <= value <= _INT_MAX:
        return value
    raise class_cast(value, "java.lang.Integer")


def cast_boolean(value: Any) -> bool | None:
    """``(Boolean) value``."""
    if value is None or isinstance(value, bool):
        return value
    raise class_cast(value, "java.lang.Boolean")


@dataclass(frozen=True)
class MockServiceSettings:
    """What the sparse and completion mocks read from ``service_settings`` (``TestServiceSettings``)."""

    model: str
    hidden_field: str | None
    return_hidden_field: bool


def read_mock_service_settings(settings: dict[str, Any]) -> MockServiceSettings:
    """``TestServiceSettings.fromMap``: ``model`` (required), ``hidden_field``,
    ``should_return_hidden_field`` and ``api_key`` (required); everything else is ignored (and consumed)."""
    model = cast_string(settings.pop("model", None))
    hidden_field = cast_string(settings.pop("hidden_field", None))
    return_hidden_field = cast_boolean(settings.pop("should_return_hidden_field", None))
    if model is None:
        raise validation_exception(["missing model"])
    require_api_key(settings)
    settings.clear()  # the mock ignores everything else
    return MockServiceSettings(model, hidden_field, bool(return_hidden_field))


def require_api_key(settings: dict[str, Any]) -> None:
    """``TestSecretSettings.fromMap`` over the service settings (after the service settings parsed):
    ``api_key`` is required, a String."""
    if cast_string(settings.pop("api_key", None)) is None:
        raise validation_exception(["missing api_key"])


@dataclass(frozen=True)
class TestTaskSettings:
    """``AbstractTestInferenceService.TestTaskSettings``: an optional integer ``temperature`` no mock reads."""

    temperature: int | None = None

    @classmethod
    def from_map(cls, settings: dict[str, Any]) -> TestTaskSettings:
        """Takes ``temperature`` out of ``settings``; the mocks ignore every other key (it is cleared)."""
        temperature = cast_integer(settings.pop("temperature", None))
        settings.clear()
        return cls(temperature)

    def view(self) -> dict[str, Any]:
        return {} if self.temperature is None else {"temperature": self.temperature}
