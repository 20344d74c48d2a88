"""Rerank over HTTP: the ``cohere`` service and the ``hugging_face`` service's ``rerank`` task.

Two wire formats, both widely served by self-hosted rerankers:

* ``cohere`` -- Cohere's ``POST /v1/rerank``: request
  ``{"model", "query", "documents": [...], "top_n", "return_documents": false}``, response
  ``{"results": [{"index", "relevance_score"}, ...]}`` (also spoken by many gateways and local
  servers);
* ``tei`` -- text-embeddings-inference's ``POST /rerank`` (what Hugging Face Inference Endpoints run):
  request ``{"query", "texts": [...], "return_text": false}``, response ``[{"index", "score"}, ...]``.

::

    PUT _inference/rerank/my-cohere
    {"service": "cohere",
     "service_settings": {"model_id": "rerank-english-v3.0",
                          "api_key": "...",                        # sent as a Bearer token, never echoed
                          "url": "http://127.0.0.1:8080/v1/rerank", # default: Cohere's public API
                          "api_format": "cohere",                  # cohere | tei
                          "timeout": 30,                           # seconds per HTTP request
                          "max_retries": 2,                        # on connection errors, 429 and 5xx
                          "batch_size": 96},                       # passages per HTTP request
     "task_settings": {"top_n": 10, "return_documents": false}}

    PUT _inference/rerank/my-tei
    {"service": "hugging_face",
     "service_settings": {"url": "http://127.0.0.1:8080/rerank", "api_key": "..."}}   # tei format

Scores are pairwise, so the registry deduplicates, caches and batches them like a local model's: each
batch is one HTTP request asking for every passage's score (``top_n`` = batch size); ``top_n`` and
``return_documents`` are applied afterwards, locally. Only the standard library is used
(``urllib.request``). Failures are Elasticsearch-shaped ``status_exception``\\ s naming the inference
endpoint, the URL and the HTTP status (or the connection error): a timeout is a 408; retries use
exponential backoff (0.1 s, 0.2 s, 0.4 s ... capped at 2 s, or the server's ``Retry-After`` up to
10 s) and only on connection errors, HTTP 429 and 5xx -- never on timeouts, which would multiply the
wait. ``rate_limit.requests_per_minute`` (Elasticsearch's setting) spaces requests to that endpoint at
least ``60 / requests_per_minute`` seconds apart, as a client-side limiter. The passage
window reported for chunking is Elasticsearch's conservative 300 words.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import numpy as np

from retrievo.errors import ApiError

from ..errors import status_exception
from ..settings_parsing import SettingsReader
from .base import EndpointModel, InferenceService, RerankModel, RerankRuntime, RerankSettings, ServiceContext

API_FORMATS = ("cohere", "tei")
COHERE_DEFAULT_URL = "https://api.cohere.com/v1/rerank"
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_RETRIES = 2
DEFAULT_BATCH_SIZE = {"cohere": 96, "tei": 32}
RETRY_BACKOFF_S = 0.1
MAX_BACKOFF_S = 2.0
MAX_RETRY_AFTER_S = 10.0
_ERROR_BODY_CHARS = 500


@dataclass(frozen=True)
class HttpRerankOptions:
    url: str
    api_format: str
    model_id: str | None = None
    api_key: str | None = field(default=None, repr=False)  # a secret: never echoed or printed
    timeout: float = DEFAULT_TIMEOUT_S
    max_retries: int = DEFAULT_MAX_RETRIES
    batch_size: int = 32
    rate_limit: dict[str, Any] | None = None


class HttpRerankModel(RerankModel):
    """Scores batches of passages with one HTTP request each."""

    def __init__(
        self, inference_id: str, options: HttpRerankOptions, settings: RerankSettings, view_keys: tuple[str, ...]
    ) -> None:
        super().__init__(settings)
        self.inference_id = inference_id
        self.options = options
        self.batch_size = options.batch_size
        self._view_keys = view_keys

    # -- protocol ---------------------------------------------------------------------------------

    def _payload(self, query: str, texts: list[str]) -> dict[str, Any]:
        if self.options.api_format == "tei":
            return {"query": query, "texts": texts, "return_text": False}
        body: dict[str, Any] = {"query": query, "documents": texts, "top_n": len(texts), "return_documents": False}
        if self.options.model_id is not None:
            body = {"model": self.options.model_id, **body}
        return body

    def _parse(self, payload: Any, count: int) -> np.ndarray:
        if self.options.api_format == "tei":
            results, score_key = payload, "score"
        else:
            results = payload.get("results") if isinstance(payload, Mapping) else None
            score_key = "relevance_score"
        if not isinstance(results, list):
            raise self._bad_response(
                "expected "
                + ("a JSON array of results" if score_key == "score" else 'an object with a "results" array')
            )
        scores = np.full(count, np.nan, dtype=np.float32)
        for item in results:
            index = item.get("index") if isinstance(item, Mapping) else None
            score = item.get(score_key) if isinstance(item, Mapping) else None
            if (
                not isinstance(index, int)
                or isinstance(index, bool)
                or not 0 <= index < count
                or not isinstance(score, (int, float))
                or isinstance(score, bool)
            ):
                raise self._bad_response(
                    f'every result needs an "index" in [0, {count}) and a numeric '
                    f'"{score_key}", got {json.dumps(item)[:200]}'
                )
            scores[index] = score
        missing = int(np.isnan(scores).sum())
        if missing:
            raise self._bad_response(f"{missing} of the {count} documents sent have no score")
        return scores

    def score_batch(self, query: str, texts: list[str], runtime: RerankRuntime) -> np.ndarray:
        return self._parse(self._post(self._payload(query, texts)), len(texts))

    # -- HTTP ---------------------------------------------------------------------------------------

    def _respect_rate_limit(self) -> None:
        """Space requests at least 60 / requests_per_minute seconds apart (one limiter per endpoint)."""
        per_minute = (self.options.rate_limit or {}).get("requests_per_minute")
        if not per_minute:
            return
        interval = 60.0 / per_minute
        last = getattr(self, "_last_request_at", None)
        now = time.monotonic()
        if last is not None and now - last < interval:
            time.sleep(interval - (now - last))
        self._last_request_at = time.monotonic()

    def _post(self, body: dict[str, Any]) -> Any:
        data = json.dumps(body).encode("utf-8")
        headers = {"Content-Type": "application/json", "Accept": "application/json", "User-Agent": "retrievo"}
        if self.options.api_key:
            headers["Authorization"] = f"Bearer {self.options.api_key}"
        attempt = 0
        while True:
            self._respect_rate_limit()
            request = urllib.request.Request(self.options.url, data=data, headers=headers, method="POST")
            retry_after: float | None = None
            try:
                with urllib.request.urlopen(request, timeout=self.options.timeout) as response:
                    raw = response.read()
                try:
                    return json.loads(raw.decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    raise self._bad_response(f"the body is not JSON ({exc})") from None
            except urllib.error.HTTPError as exc:
                status = exc.code
                detail = _read_error_body(exc)
                retryable = status == 429 or status >= 500
                if not retryable or attempt >= self.options.max_retries:
                    raise self._status_error(status, detail, attempt) from None
                retry_after = _retry_after(exc.headers.get("Retry-After") if exc.headers else None)
            except TimeoutError:
                raise status_exception(
                    f"Failed to send rerank request for inference entity id [{self.inference_id}] to "
                    f"[{self.options.url}]: request timed out after [{self.options.timeout:g}s]",
                    status=408,
                ) from None
            except (urllib.error.URLError, ConnectionError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                if isinstance(reason, (TimeoutError, socket.timeout)):
                    raise status_exception(
                        f"Failed to send rerank request for inference entity id [{self.inference_id}] to "
                        f"[{self.options.url}]: request timed out after [{self.options.timeout:g}s]",
                        status=408,
                    ) from None
                if attempt >= self.options.max_retries:
                    raise status_exception(
                        f"Failed to send rerank request for inference entity id [{self.inference_id}] to "
                        f"[{self.options.url}] after {attempt + 1} attempt(s): {reason}",
                        status=500,
                    ) from None
            delay = min(RETRY_BACKOFF_S * (2**attempt), MAX_BACKOFF_S)
            if retry_after is not None:
                delay = min(retry_after, MAX_RETRY_AFTER_S)
            time.sleep(delay)
            attempt += 1

    def _status_error(self, status: int, detail: str, retries: int) -> ApiError:
        kind = (
            "an authentication error"
            if status in (401, 403)
            else "a rate limit"
            if status == 429
            else "a server error"
            if status >= 500
            else "an unsuccessful"
        )
        suffix = f" after {retries + 1} attempts" if retries else ""
        message = (
            f"Received {kind} status code for request from inference entity id [{self.inference_id}] "
            f"status [{status}] from [{self.options.url}]{suffix}"
        )
        if detail:
            message += f". Error message: [{detail}]"
        return status_exception(message, status=status if 400 <= status <= 599 else 500)

    def _bad_response(self, what: str) -> ApiError:
        return status_exception(
            f"Failed to parse the rerank response for inference entity id [{self.inference_id}] from "
            f"[{self.options.url}] ({self.options.api_format} format): {what}",
            status=500,
        )

    # -- views ----------------------------------------------------------------------------------------

    def service_settings_view(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "model_id": self.options.model_id,
            "url": self.options.url,
            "api_format": self.options.api_format,
            "timeout": self.options.timeout,
            "max_retries": self.options.max_retries,
            "batch_size": self.options.batch_size,
            "rate_limit": self.options.rate_limit,
        }
        return {key: values[key] for key in self._view_keys if values.get(key) is not None}


def _read_error_body(exc: urllib.error.HTTPError) -> str:
    try:
        text = exc.read().decode("utf-8", errors="replace").strip()
    except Exception:  # noqa: BLE001 - the body is only a hint
        return ""
    return text[:_ERROR_BODY_CHARS] + ("..." if len(text) > _ERROR_BODY_CHARS else "")


def _retry_after(value: str | None) -> float | None:
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


def _read_url(reader: SettingsReader, required: bool) -> str | None:
    url = reader.required_string("url") if required else reader.optional_string("url")
    if url is None:
        return None
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        reader.errors.append(
            f"[{reader.scope}] Invalid url [{url}] received for field [url]. Error: "
            f"expected an absolute http:// or https:// URL"
        )
        return None
    return url


def _read_timeout(reader: SettingsReader) -> float:
    value = reader.remaining.pop("timeout", None)
    if value is None:
        return DEFAULT_TIMEOUT_S
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        reader.errors.append(
            f"[{reader.scope}] Invalid value [{value}]. [timeout] must be a positive number of seconds"
        )
        return DEFAULT_TIMEOUT_S
    return float(value)


def _read_max_retries(reader: SettingsReader) -> int:
    value = reader.remaining.get("max_retries")
    if value == 0 and not isinstance(value, bool):
        reader.remaining.pop("max_retries")
        return 0
    retries = reader.optional_positive_int("max_retries")
    return DEFAULT_MAX_RETRIES if retries is None else retries


def _read_rate_limit(reader: SettingsReader) -> dict[str, Any] | None:
    rate_limit = reader.optional_map("rate_limit")
    if rate_limit is None:
        return None
    inner = SettingsReader(rate_limit, "rate_limit", reader.errors)
    per_minute = inner.optional_positive_int("requests_per_minute")
    for name in inner.leftovers():
        reader.errors.append(f"[rate_limit] does not allow the setting [{name}]")
    return {"requests_per_minute": per_minute} if per_minute is not None else {}


class CohereService(InferenceService):
    """Cohere's rerank API or any server speaking it (``api_format: tei`` for TEI-style servers)."""

    name = "cohere"
    task_types = ("rerank",)
    view_keys = ("model_id", "url", "api_format", "timeout", "max_retries", "batch_size", "rate_limit")

    def parse_request_config(
        self,
        *,
        inference_id: str,
        task_type: str,
        service_settings: SettingsReader,
        task_settings: SettingsReader,
        context: ServiceContext,
    ) -> EndpointModel:
        reader = service_settings
        model_id = reader.optional_string("model_id")
        api_key = reader.optional_string("api_key")
        url = _read_url(reader, required=False)
        api_format = reader.optional_enum("api_format", API_FORMATS) or "cohere"
        options = self._options(reader, url or COHERE_DEFAULT_URL, api_format, model_id, api_key)
        settings = HttpRerankModel.read_task_settings(task_settings)
        return HttpRerankModel(inference_id, options, settings, self.view_keys)

    @staticmethod
    def _options(
        reader: SettingsReader, url: str, api_format: str, model_id: str | None, api_key: str | None
    ) -> HttpRerankOptions:
        timeout = _read_timeout(reader)
        max_retries = _read_max_retries(reader)
        batch_size = reader.optional_positive_int("batch_size") or DEFAULT_BATCH_SIZE[api_format]
        rate_limit = _read_rate_limit(reader)
        reader.raise_if_errors()
        return HttpRerankOptions(url, api_format, model_id, api_key, timeout, max_retries, batch_size, rate_limit)


class HuggingFaceRerank:
    """The ``rerank`` task of the ``hugging_face`` service: a TEI ``/rerank`` URL (Elasticsearch 9.1+)."""

    view_keys = ("url", "timeout", "max_retries", "batch_size", "rate_limit")

    def parse(self, inference_id: str, reader: SettingsReader, task_reader: SettingsReader) -> RerankModel:
        url = _read_url(reader, required=True)
        api_key = reader.optional_string("api_key")
        options = CohereService._options(reader, url or "", "tei", None, api_key)
        settings = HttpRerankModel.read_task_settings(task_reader)
        return HttpRerankModel(inference_id, options, settings, self.view_keys)
