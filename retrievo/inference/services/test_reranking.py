"""``test_reranking_service``: Elasticsearch's deterministic rerank mock (``TestRerankingServiceExtension``).

Elasticsearch's YAML REST tests create rerank endpoints with this service; reproducing it exactly lets
those tests be ported unchanged::

    PUT _inference/rerank/my-rerank-model
    {"service": "test_reranking_service",
     "service_settings": {"model_id": "my_model", "api_key": "abc64"},
     "task_settings": {}}

Service settings: ``model_id`` (or ``model``; missing -> ``missing model``) and ``api_key`` (missing ->
``missing api_key``); anything else is ignored, as in the mock. Task settings, parsed the Java way
(``Boolean.parseBoolean`` / ``Float.parseFloat`` / ``Integer.parseInt`` of the value's string form,
unknown keys ignored), at PUT and per request (a request's keys override the endpoint's):

* ``should_fail_validation`` -- every call fails with ``validation call intentionally failed based on
  task settings`` (a 500 ``runtime_exception``); only the endpoint's setting counts, as in the mock;
* ``use_text_length`` -- score of input ``j`` = ``1 / len(input_j)`` (Java UTF-16 length, float);
* ``min_score`` -- default: a random float in [-1, 1). The mock draws it from an unseeded RNG;
  retrievo draws it from an RNG seeded with the endpoint id, so it is random across ids but the same
  for one id in every run (and visible in the endpoint's ``task_settings``);
* ``result_diff`` (default 0.2), ``top_n`` (truncates the results), ``hide_top_n`` (the endpoint then
  does not report ``top_n`` to the reranker retriever's top-N check).

Scoring: with ``use_text_length`` as above; else, if **every** input parses as a Java float, the score is
that float (results sorted by score descending, ties in input order); otherwise input ``j`` scores
``min_score + result_diff * (j + 1)`` in float32 -- later inputs score higher -- and ties (only possible
with ``use_text_length`` or ``result_diff: 0``) put the *later* input first, as the mock's stable sort of
its reversed list does. The reranker window is 333 words.

The mock always returns each input's ``text``; here ``text`` is returned unless the request sets
``return_documents: false``, and a request-level ``top_n`` also applies (the mock ignores both).
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from retrievo.errors import ApiError, BadRequestError, api_error, bad_request
from retrievo.java_text import java_str

from ..errors import validation_exception
from ..settings_parsing import SettingsReader
from .base import (
    EndpointModel,
    InferenceService,
    RankedScores,
    RerankModel,
    RerankRuntime,
    RerankSettings,
    ServiceContext,
    java_descending_key,
)

RERANK_WINDOW_SIZE = 333
FAILURE_MESSAGE = "validation call intentionally failed based on task settings"

# Java's FloatingDecimal grammar (Float.parseFloat after trimming chars <= ' ').
_JAVA_DECIMAL = re.compile(r"[+-]?(NaN|Infinity|((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)[fFdD]?)")
_JAVA_HEX = re.compile(r"[+-]?0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?\d+[fFdD]?")


def _number_format(value: str) -> BadRequestError:
    reason = "empty String" if value == "" else f'For input string: "{value}"'
    return bad_request("number_format_exception", reason)


def java_parse_float(text: str) -> np.float32:
    """``Float.parseFloat``; raises ``number_format_exception`` where Java throws."""
    stripped = text.strip("".join(chr(c) for c in range(0x21)))
    if _JAVA_DECIMAL.fullmatch(stripped):
        body = stripped.rstrip("fFdD") if not stripped.endswith(("NaN", "Infinity")) else stripped
        if body.lstrip("+-") == "NaN":
            return np.float32("nan")
        if body.lstrip("+-") == "Infinity":
            return np.float32("-inf" if body.startswith("-") else "inf")
        with np.errstate(over="ignore"):
            return np.float32(float(body))
    if _JAVA_HEX.fullmatch(stripped):
        with np.errstate(over="ignore"):
            return np.float32(float.fromhex(stripped.rstrip("fFdD")))
    raise _number_format(text)


def java_parse_int(text: str) -> int:
    """``Integer.parseInt``."""
    if re.fullmatch(r"[+-]?\d+", text) is None or not -(2**31) <= int(text) <= 2**31 - 1:
        raise _number_format(text)
    return int(text)


def _java_bool(value: Any) -> bool:
    return java_str(value).lower() == "true"


def _random_min_score(inference_id: str) -> np.float32:
    """``random.nextFloat(-1f, 1f)``, from an RNG seeded with the endpoint id."""
    value = np.float32(-1.0 + 2.0 * random.Random(f"test_reranking_service/{inference_id}").random())
    return value if value < 1 else np.nextafter(np.float32(1), np.float32(0))


@dataclass(frozen=True)
class TestRerankSettings(RerankSettings):
    should_fail_validation: bool = False
    use_text_length: bool = False
    min_score: float = 0.0
    result_diff: float = 0.2


def _from_map(settings: Mapping[str, Any]) -> dict[str, Any]:
    """``TestTaskSettings.fromMap``: the keys present, parsed from their string forms."""
    out: dict[str, Any] = {}
    if "should_fail_validation" in settings:
        out["should_fail_validation"] = _java_bool(settings["should_fail_validation"])
    if "use_text_length" in settings:
        out["use_text_length"] = _java_bool(settings["use_text_length"])
    if "min_score" in settings:
        out["min_score"] = float(java_parse_float(java_str(settings["min_score"])))
    if "result_diff" in settings:
        out["result_diff"] = float(java_parse_float(java_str(settings["result_diff"])))
    if "top_n" in settings:
        out["top_n"] = java_parse_int(java_str(settings["top_n"]))
    if "hide_top_n" in settings:
        out["hide_top_n"] = _java_bool(settings["hide_top_n"])
    return out


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class TestRerankingModel(RerankModel):
    pairwise: ClassVar[bool] = False
    default_return_documents: ClassVar[bool] = True

    def __init__(self, model_id: str, settings: TestRerankSettings) -> None:
        super().__init__(settings)
        self.model_id = model_id

    @property
    def test_settings(self) -> TestRerankSettings:
        assert isinstance(self.settings, TestRerankSettings)
        return self.settings

    def request_settings(self, overrides: Mapping[str, Any], service: str) -> RerankSettings:
        """``updatedTaskSettings``: the request's keys replace the endpoint's; unknown keys are ignored."""
        if not overrides:
            return self.settings
        return TestRerankSettings(**{**self.test_settings.__dict__, **_from_map(overrides)})

    def score_request(
        self, query: str, texts: list[str], settings: RerankSettings, runtime: RerankRuntime
    ) -> RankedScores:
        if self.test_settings.should_fail_validation:
            raise api_error("runtime_exception", FAILURE_MESSAGE, status=500)
        assert isinstance(settings, TestRerankSettings)
        n = len(texts)
        if not settings.use_text_length:
            try:
                numbers = np.array([java_parse_float(t) for t in texts], dtype=np.float32)
            except ApiError:
                numbers = None
            if numbers is not None:  # sorted by score descending, ties in input order
                return RankedScores(numbers)
        scores = np.empty(n, dtype=np.float32)
        if settings.use_text_length:
            for j, text in enumerate(texts):
                length = _utf16_length(text)
                scores[j] = np.float32(1) / np.float32(length) if length else np.float32("inf")
        else:
            min_score, diff = np.float32(settings.min_score), np.float32(settings.result_diff)
            for j in range(n):
                scores[j] = min_score + diff * np.float32(j + 1)
        # the mock lists inputs last to first, then stable-sorts by score descending
        reversed_order = list(range(n - 1, -1, -1))
        order = sorted(reversed_order, key=lambda j: java_descending_key(scores[j]))
        return RankedScores(scores, np.array(order, dtype=np.int64))

    def window_words(self, runtime: RerankRuntime) -> int | None:
        return RERANK_WINDOW_SIZE

    def service_settings_view(self) -> dict[str, Any]:
        return {"model_id": self.model_id}

    def task_settings_view(self) -> dict[str, Any]:
        s = self.test_settings
        view: dict[str, Any] = {
            "should_fail_validation": s.should_fail_validation,
            "use_text_length": s.use_text_length,
            "min_score": float(str(np.float32(s.min_score))),
            "result_diff": float(str(np.float32(s.result_diff))),
        }
        if s.top_n is not None:
            view["top_n"] = s.top_n
        view["hide_top_n"] = s.hide_top_n
        return view


class TestRerankingService(InferenceService):
    name = "test_reranking_service"
    task_types = ("rerank",)

    def parse_request_config(
        self,
        *,
        inference_id: str,
        task_type: str,
        service_settings: SettingsReader,
        task_settings: SettingsReader,
        context: ServiceContext,
    ) -> EndpointModel:
        remaining = service_settings.remaining
        model = remaining.pop("model_id", None)
        if model is None:
            model = remaining.pop("model", None)
        if model is None:
            raise validation_exception(["missing model"])
        if remaining.pop("api_key", None) is None:
            raise validation_exception(["missing api_key"])
        remaining.clear()  # the mock ignores everything else
        default_min = _random_min_score(inference_id)
        given = _from_map(task_settings.remaining)
        task_settings.remaining.clear()
        settings = TestRerankSettings(**{"min_score": float(default_min), **given})
        return TestRerankingModel(java_str(model), settings)
