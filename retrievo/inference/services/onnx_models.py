"""The ``metarank`` service: ONNX cross-encoders and bi-encoders run as Metarank runs them.

Metarank's own Hub models (``metarank/ce-msmarco-MiniLM-L6-v2``, ``metarank/all-MiniLM-L6-v2``) are ONNX
exports with a tokenizer, not sentence-transformers checkpoints, so they run here with onnxruntime and
the Hugging Face ``tokenizers`` library, the way Metarank 0.7.x runs them (``OnnxSession``,
``OnnxCrossEncoder``, ``OnnxBiEncoder`` in metarank/metarank)::

    PUT _inference/rerank/msmarco
    {"service": "metarank",
     "service_settings": {"model": "metarank/ce-msmarco-MiniLM-L6-v2",   # Hub id, file:///dir or a dir
                          "model_file": "pytorch_model.onnx",            # Metarank's default
                          "tokenizer_file": "tokenizer.json"}}           # Metarank's default

    PUT _inference/text_embedding/minilm
    {"service": "metarank",
     "service_settings": {"model": "metarank/all-MiniLM-L6-v2", "dim": 384}}   # dim is required, as in Metarank

``retrievo serve --config`` with a Metarank configuration creates these endpoints from its
``inference:`` section (:mod:`retrievo.server.metarank_config`).

What Metarank computes, and so what this computes:

* Tokenizer: ``tokenizer.json`` loaded as DJL's ``HuggingFaceTokenizer`` loads it with
  ``padding=true, truncation=true``: longest-first truncation to the file's own truncation length, or
  512 when it has none (DJL's ``modelMaxLength``; a longer one is capped to 512), padding to the longest
  sequence of the batch, special tokens added; lower-casing is whatever the file's normalizer does.
  Metarank before 0.7.10 read a ``vocab.txt`` instead (config key ``vocabFile``, DJL's
  ``BertFullTokenizer(vocab, lowerCase=true)``); a ``vocab_file`` here builds the same uncased BERT
  WordPiece tokenizer (``tokenizers.BertWordPieceTokenizer(vocab, lowercase=True)``) with the same
  truncation and padding (Metarank then did not truncate: a pair over 512 tokens failed there). With
  no ``tokenizer_file`` given and no ``tokenizer.json`` present, a ``vocab.txt`` beside the model is used.
* Cross-encoder: (query, text) pairs encoded together (token type 0 for the query, 1 for the text);
  the score is the first output's column 0 -- the raw logit, no sigmoid.
* Bi-encoder: the first output (``[batch, tokens, hidden]``) mean-pooled over each text's
  attention-mask length (sums in double precision, as Metarank's ``avgpool``), the first ``dim``
  components kept, no normalisation. A ``dim`` larger than the model's hidden size is an error, where
  Metarank fails with an index error.

Files come from a local directory or the Hub: the local Hugging Face cache first, the Hub only when
online (Metarank downloads ``https://huggingface.co/<id>/resolve/main/<file>``, the same files).
Sessions are shared by every endpoint with the same files (:data:`ONNX_SESSIONS`).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from retrievo.errors import ApiError

from ..errors import status_exception
from ..settings_parsing import SettingsReader
from .base import (
    CONSERVATIVE_DEFAULT_WINDOW_WORDS,
    EndpointModel,
    InferenceService,
    RerankModel,
    RerankRuntime,
    RerankSettings,
    ServiceContext,
    TextEmbeddingModel,
    whitespace_tokens,
    window_words_for_tokens,
)
from .lazy_model import LazyModel
from .model_loading import cached_repo_id, hub_cache_dir, hub_reachable, model_unavailable

#: Metarank's defaults (``EncoderConfig``): the ONNX file and the tokenizer file of a model repository.
DEFAULT_MODEL_FILE = "pytorch_model.onnx"
DEFAULT_TOKENIZER_FILE = "tokenizer.json"
#: The vocabulary Metarank before 0.7.10 read (its ``vocabFile`` default).
LEGACY_VOCAB_FILE = "vocab.txt"
#: DJL ``HuggingFaceTokenizer``'s ``modelMaxLength`` default: the truncation length when the tokenizer
#: file sets none, and the cap on one it sets.
DJL_MODEL_MAX_LENGTH = 512

# ModelHandle's patterns: ``ns/name`` on the Hub, ``file://`` + an absolute path on disk.
_HUB_HANDLE = re.compile(r"[a-zA-Z0-9\-]+/[0-9A-Za-z\-_]+")
_LOCAL_HANDLE = re.compile(r"file:///?(/.+)|file:(/.+)")

ONNX_REMEDY = (
    "To use a Metarank model offline, point its model ([model] in a Metarank configuration, "
    "[service_settings.model] here) at a local directory (file:///dir) holding the ONNX file and its "
    "tokenizer, or set HF_HOME to a Hugging Face cache that already contains the repository"
)


def _onnx_missing(model: str, exc: ImportError) -> ApiError:
    return status_exception(
        f"Could not load model [{model}]: the onnxruntime and tokenizers packages are needed to run ONNX "
        f"models ({exc}); install them with: pip install 'retrievo[models]'"
    )


@dataclass(frozen=True)
class OnnxModelSpec:
    """Which files make up one model: ``model`` as configured and the file names inside it."""

    model: str
    model_file: str = DEFAULT_MODEL_FILE
    tokenizer_file: str | None = None  # None: tokenizer.json, else vocab.txt when that is absent
    vocab_file: str | None = None

    def local_dir(self) -> Path | None:
        """The directory for a ``file://`` handle or an existing path, else ``None`` (a Hub id)."""
        match = _LOCAL_HANDLE.fullmatch(self.model)
        if match:
            return Path(match.group(1) or match.group(2))
        path = Path(self.model).expanduser()
        if path.is_dir() or self.model.startswith(("/", "./", "../", "~")):
            return path
        return None

    def hub_id(self) -> str | None:
        return self.model if self.local_dir() is None and _HUB_HANDLE.fullmatch(self.model) else None

    def validate(self) -> None:
        if self.local_dir() is None and self.hub_id() is None:
            raise status_exception(
                f"cannot parse model handle '{self.model}': expected a Hugging Face id <namespace>/<name>, "
                f"file:///<absolute path> or a local directory"
            )


def _hub_file(repo_id: str, filename: str, *, download: bool) -> str | None:
    """The local path of ``filename`` in Hub repository ``repo_id``: from the cache, or downloaded."""
    from huggingface_hub import hf_hub_download

    cached = cached_repo_id(repo_id) or repo_id
    try:
        return str(hf_hub_download(cached, filename, local_files_only=True))
    except Exception:  # noqa: BLE001 - not cached (or no such file): maybe downloadable
        if not download:
            return None
    try:
        return str(hf_hub_download(repo_id, filename))
    except Exception:  # noqa: BLE001 - the caller words the error
        return None


def _offline() -> bool:
    return any(
        os.environ.get(v, "").strip().lower() in ("1", "true", "yes", "on")
        for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def locate_file(spec: OnnxModelSpec, filename: str, *, download: bool = True) -> str | None:
    """The path of one file of the model, or ``None`` when it is not there (nor downloadable)."""
    local = spec.local_dir()
    if local is not None:
        path = local / filename
        return str(path) if path.is_file() else None
    hub_id = spec.hub_id()
    if hub_id is None:
        return None
    return _hub_file(hub_id, filename, download=download and not _offline() and hub_reachable())


def has_onnx_model(spec: OnnxModelSpec) -> bool:
    """Whether the ONNX file is already on this machine (a directory, or the Hub cache)."""
    return locate_file(spec, spec.model_file, download=False) is not None


@dataclass(frozen=True)
class _Files:
    model: str
    tokenizer: str | None
    vocab: str | None


def _resolve_files(spec: OnnxModelSpec) -> _Files:
    where = str(spec.local_dir()) if spec.local_dir() is not None else f"{hub_cache_dir()} or the Hugging Face Hub"
    model_path = locate_file(spec, spec.model_file)
    if model_path is None:
        raise model_unavailable(spec.model, f"its file [{spec.model_file}] was not found in {where}", ONNX_REMEDY)
    if spec.vocab_file is not None:
        vocab = locate_file(spec, spec.vocab_file)
        if vocab is None:
            raise model_unavailable(spec.model, f"its file [{spec.vocab_file}] was not found in {where}", ONNX_REMEDY)
        return _Files(model_path, None, vocab)
    tokenizer = locate_file(spec, spec.tokenizer_file or DEFAULT_TOKENIZER_FILE)
    if tokenizer is not None:
        return _Files(model_path, tokenizer, None)
    if spec.tokenizer_file is None:
        vocab = locate_file(spec, LEGACY_VOCAB_FILE)
        if vocab is not None:
            return _Files(model_path, None, vocab)
    missing = spec.tokenizer_file or f"{DEFAULT_TOKENIZER_FILE}] or [{LEGACY_VOCAB_FILE}"
    raise model_unavailable(spec.model, f"its file [{missing}] was not found in {where}", ONNX_REMEDY)


def _tokenizer(files: _Files, model: str) -> Any:
    """A ``tokenizers.Tokenizer`` set up as DJL's ``HuggingFaceTokenizer(padding=true, truncation=true)``."""
    try:
        from tokenizers import BertWordPieceTokenizer, Tokenizer
    except ImportError as exc:
        raise _onnx_missing(model, exc) from None
    tokenizer: Any
    if files.tokenizer is not None:
        tokenizer = Tokenizer.from_file(files.tokenizer)
    else:  # DJL's BertFullTokenizer(vocab, lowerCase = true): BERT's uncased WordPiece
        tokenizer = BertWordPieceTokenizer(files.vocab, lowercase=True)
    truncation = tokenizer.truncation or {}
    stride = int(truncation.get("stride", 0) or 0)
    max_length = int(truncation.get("max_length", -1) or -1)
    if max_length <= 0 or max_length > DJL_MODEL_MAX_LENGTH:
        max_length = DJL_MODEL_MAX_LENGTH
    tokenizer.enable_truncation(max_length, stride=stride, strategy="longest_first")
    padding = tokenizer.padding or {}
    tokenizer.enable_padding(
        pad_id=int(padding.get("pad_id", 0)),
        pad_type_id=int(padding.get("pad_type_id", 0)),
        pad_token=str(padding.get("pad_token", "[PAD]")),
        pad_to_multiple_of=padding.get("pad_to_multiple_of"),
    )
    return tokenizer


class OnnxRuntime:
    """One loaded ONNX session and its tokenizer; thread-safe (onnxruntime and tokenizers both are)."""

    def __init__(self, files: _Files, model: str) -> None:
        try:
            import onnxruntime  # type: ignore[import-untyped]
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise _onnx_missing(model, exc) from None
        self.tokenizer = _tokenizer(files, model)
        try:
            self.session = onnxruntime.InferenceSession(files.model, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - a broken file is the user's model problem
            raise model_unavailable(
                model, f"[{files.model}] is not a loadable ONNX model ({exc})", ONNX_REMEDY
            ) from None
        self.inputs = {i.name for i in self.session.get_inputs()}
        truncation = self.tokenizer.truncation or {}
        self.max_length = int(truncation.get("max_length", DJL_MODEL_MAX_LENGTH))
        # the same tokenizer without truncation or padding: lengths before truncation (TEI's truncate=false)
        self.counter = Tokenizer.from_str(self.tokenizer.to_str())
        self.counter.no_truncation()
        self.counter.no_padding()

    def pair_lengths(self, pairs: Sequence[tuple[str, str]]) -> list[int]:
        """Tokens of each encoded (query, text) pair before truncation, special tokens included."""
        return [len(e.ids) for e in self.counter.encode_batch([(q, t) for q, t in pairs])]

    def _run(self, encodings: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
        ids = np.asarray([e.ids for e in encodings], dtype=np.int64)
        mask = np.asarray([e.attention_mask for e in encodings], dtype=np.int64)
        types = np.asarray([e.type_ids for e in encodings], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        outputs = self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})
        return np.asarray(outputs[0]), mask

    def cross(self, pairs: Sequence[tuple[str, str]]) -> tuple[np.ndarray, int]:
        """Raw logits of (query, text) pairs (float32) and the tokens fed (attention-mask sum)."""
        if not pairs:
            return np.zeros(0, dtype=np.float32), 0
        encodings = self.tokenizer.encode_batch([(q, t) for q, t in pairs])
        logits, mask = self._run(encodings)
        return np.asarray(logits.reshape(len(pairs), -1)[:, 0], dtype=np.float32), int(mask.sum())

    def embed(self, texts: Sequence[str], dim: int) -> np.ndarray:
        """Mean-pooled token embeddings, first ``dim`` components (float32)."""
        encodings = self.tokenizer.encode_batch(list(texts))
        hidden, mask = self._run(encodings)
        if hidden.ndim != 3:
            raise status_exception(
                f"the ONNX model's first output has shape {list(hidden.shape)}, not [batch, tokens, hidden]"
            )
        if dim > hidden.shape[2]:
            raise status_exception(f"[dim] is {dim} but the model's embeddings have {hidden.shape[2]} dimensions")
        lengths = mask.sum(axis=1)
        out = np.zeros((len(texts), dim), dtype=np.float32)
        for row, length in enumerate(lengths):
            count = int(length)
            if count:
                out[row] = (hidden[row, :count, :dim].astype(np.float64).sum(axis=0) / count).astype(np.float32)
            else:  # Metarank divides 0 by 0
                out[row] = np.float32("nan")
        return out


@dataclass
class _Slot:
    runtime: LazyModel[OnnxRuntime] = field(default_factory=LazyModel)
    users: int = 0


class OnnxSessionCache:
    """Loaded ONNX runtimes by model spec, shared and ref-counted like the sentence-transformers cache."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[OnnxModelSpec, _Slot] = {}
        self.loads = 0

    def acquire(self, spec: OnnxModelSpec) -> OnnxRuntime:
        with self._lock:
            slot = self._slots.setdefault(spec, _Slot())
            slot.users += 1
        try:
            return slot.runtime.get(lambda: self._load(spec))
        except BaseException:
            self.release(spec)
            raise

    def _load(self, spec: OnnxModelSpec) -> OnnxRuntime:
        runtime = OnnxRuntime(_resolve_files(spec), spec.model)
        self.loads += 1
        return runtime

    def release(self, spec: OnnxModelSpec) -> None:
        with self._lock:
            slot = self._slots.get(spec)
            if slot is None:
                return
            slot.users -= 1
            if slot.users <= 0:
                del self._slots[spec]


ONNX_SESSIONS = OnnxSessionCache()


class LazyOnnx:
    """One endpoint's hold on a shared runtime: acquired on first use, released on delete."""

    def __init__(self, spec: OnnxModelSpec, cache: OnnxSessionCache = ONNX_SESSIONS) -> None:
        self.spec = spec
        self._cache = cache
        self._runtime: LazyModel[OnnxRuntime] = LazyModel()

    def runtime(self) -> OnnxRuntime:
        return self._runtime.get(lambda: self._cache.acquire(self.spec))

    def release(self) -> None:
        self._runtime.discard(lambda _: self._cache.release(self.spec))


def _settings_view(spec: OnnxModelSpec) -> dict[str, Any]:
    view: dict[str, Any] = {"model": spec.model, "model_file": spec.model_file}
    if spec.vocab_file is not None:
        view["vocab_file"] = spec.vocab_file
    else:
        view["tokenizer_file"] = spec.tokenizer_file or DEFAULT_TOKENIZER_FILE
    return view


class OnnxCrossEncoderRerankModel(RerankModel):
    """``rerank`` with an ONNX cross-encoder: raw logits, as Metarank's ``/inference/cross``."""

    mixed_queries = True

    def __init__(self, onnx: LazyOnnx, settings: RerankSettings) -> None:
        super().__init__(settings)
        self.onnx = onnx
        self._tokens = threading.local()

    def load(self) -> None:
        """Load now (``retrievo serve`` loads Metarank's models at start, as Metarank does)."""
        self.onnx.runtime()

    def score_pairs(self, pairs: list[tuple[str, str]], runtime: RerankRuntime) -> np.ndarray:
        scores, tokens = self.onnx.runtime().cross(pairs)
        self._tokens.value = (len(pairs), tokens)
        return scores

    def score_batch(self, query: str, texts: list[str], runtime: RerankRuntime) -> np.ndarray:
        return self.score_pairs([(query, text) for text in texts], runtime)

    def count_pair_tokens(self, pairs: Sequence[tuple[str, str]]) -> int:
        last = getattr(self._tokens, "value", None)
        if last is not None and last[0] == len(pairs):
            self._tokens.value = None
            return int(last[1])
        return sum(whitespace_tokens(q, [t]) for q, t in pairs)

    def count_tokens(self, query: str, texts: Sequence[str]) -> int:
        return self.count_pair_tokens([(query, t) for t in texts])

    def window_words(self, runtime: RerankRuntime) -> int | None:
        return window_words_for_tokens(self.onnx.runtime().max_length) or CONSERVATIVE_DEFAULT_WINDOW_WORDS

    def max_length(self) -> int:
        """The tokens a pair is truncated to."""
        return self.onnx.runtime().max_length

    def pair_lengths(self, query: str, texts: Sequence[str]) -> list[int]:
        """Tokens of each (query, text) pair before truncation."""
        return self.onnx.runtime().pair_lengths([(query, t) for t in texts])

    def release(self) -> None:
        self.onnx.release()

    def service_settings_view(self) -> dict[str, Any]:
        return _settings_view(self.onnx.spec)


class OnnxBiEncoderEmbeddingModel(TextEmbeddingModel):
    """``text_embedding`` with an ONNX bi-encoder: mean pooling, ``dim`` components, no normalisation."""

    def __init__(self, onnx: LazyOnnx, dim: int) -> None:
        self.onnx = onnx
        self.dim = dim

    def load(self) -> None:
        """Load now (``retrievo serve`` loads Metarank's models at start, as Metarank does)."""
        self.onnx.runtime()

    def encode(self, texts: list[str], input_type: str | None) -> np.ndarray:
        return self.onnx.runtime().embed(texts, self.dim)

    def release(self) -> None:
        self.onnx.release()

    def service_settings_view(self) -> dict[str, Any]:
        # Metarank's field_match feature compares these embeddings by cosine (its default distance)
        return {**_settings_view(self.onnx.spec), "dim": self.dim, "dimensions": self.dim, "similarity": "cosine"}


class MetarankService(InferenceService):
    """``service: metarank``: the endpoints behind Metarank's ``inference:`` entries."""

    name = "metarank"
    task_types = ("rerank", "text_embedding")

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
        model = reader.required_string("model")
        model_file = reader.optional_string("model_file") or DEFAULT_MODEL_FILE
        tokenizer_file = reader.optional_string("tokenizer_file")
        vocab_file = reader.optional_string("vocab_file")
        if tokenizer_file is not None and vocab_file is not None:
            reader.errors.append("[service_settings] [tokenizer_file] and [vocab_file] cannot both be set")
        dim = reader.required_positive_int("dim") if task_type == "text_embedding" else None
        reader.raise_if_errors()
        assert model is not None
        spec = OnnxModelSpec(model, model_file, tokenizer_file, vocab_file)
        spec.validate()
        onnx = LazyOnnx(spec)
        if task_type == "rerank":
            return OnnxCrossEncoderRerankModel(onnx, OnnxCrossEncoderRerankModel.read_task_settings(task_settings))
        assert dim is not None
        return OnnxBiEncoderEmbeddingModel(onnx, dim)
