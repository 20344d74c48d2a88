"""A lazily loaded sentence-transformers ``CrossEncoder`` behind a ``rerank`` endpoint.

Both the ``sentence_transformers`` and the ``elasticsearch`` services end up here for the ``rerank``
task; they differ only in how they spell their settings.

Scores are the model's **raw logits** -- ``CrossEncoder.predict(pairs, activation_fn=Identity())``
-- not the sigmoid sentence-transformers applies by default to single-label models: Elasticsearch's
cross-encoders (Eland ``text_similarity`` models) return logits, which the reranker retriever then
normalises with ``max(s, 0) + min(exp(s), 1)``.

The passage window reported to the reranker retriever (the default ``chunk_rescorer`` chunk size) is
``floor(0.75 * max_length)`` words, 0.75 words per token being Elasticsearch's own estimate;
``max_length`` is ``service_settings.max_length`` when given, else the model's ``max_seq_length``
(which loads the model).

Backends (:mod:`.onnx_export`): ``auto`` (the default) runs a plain sequence-classification
cross-encoder on ONNX Runtime in fp32 when onnxruntime is installed and the model runs on the CPU in
float32 — the same scores to ~1e-7, ~1.1-1.2x as fast as PyTorch on a GEMM-bound x86 CPU — and on
PyTorch otherwise; ``torch`` and ``onnx`` force one; ``quantization: int8`` runs a dynamically quantized
export (~3x PyTorch fp32 on a CPU with VNNI/AMX, scores move by ~1e-2). On ONNX, pairs are sorted by
length, tokenized in batches of ``batch_size`` and run in sub-batches of about 512 padded tokens, one per
core at once, each padding only to its own longest pair.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from .base import (
    CONSERVATIVE_DEFAULT_WINDOW_WORDS,
    RerankModel,
    RerankRuntime,
    RerankSettings,
    whitespace_tokens,
    window_words_for_tokens,
)
from .lazy_model import LazyModel
from .model_loading import (
    CROSS_ENCODER,
    LoadedModelCache,
    LoadSpec,
    ModelSource,
    cross_encoder_remedy,
)
from .onnx_export import OnnxRunner, onnx_runner, run_in_length_order

# Tokens of the batches the current thread's forward passes saw (attention-mask sums); one counter per
# thread, because a loaded model is shared by endpoints and threads.
_FORWARD_TOKENS = threading.local()
_HOOK_ATTRIBUTE = "_retrievo_token_hook"


def _count_forward_tokens(module: Any, args: tuple[Any, ...]) -> None:
    features = args[0] if args else None
    mask = features.get("attention_mask") if isinstance(features, Mapping) else None
    if mask is not None:
        _FORWARD_TOKENS.count = getattr(_FORWARD_TOKENS, "count", 0) + int(mask.sum())


def _install_token_hook(model: Any) -> None:
    """Count tokens from the attention mask the model computes anyway (once per loaded model)."""
    if getattr(model, _HOOK_ATTRIBUTE, False) or not hasattr(model, "register_forward_pre_hook"):
        return
    model.register_forward_pre_hook(_count_forward_tokens)
    setattr(model, _HOOK_ATTRIBUTE, True)


@dataclass(frozen=True)
class CrossEncoderOptions:
    """How to load and call the model; equal options share one loaded model."""

    source: ModelSource
    device: str = "auto"
    dtype: str = "float32"
    batch_size: int = 32
    max_length: int | None = None
    hub_id: str | None = None  # named in the offline remedy of load errors
    note: str | None = None  # put before the remedy (what the endpoint stands for)
    backend: str = "auto"  # auto | torch | onnx
    quantization: str = "none"  # none | int8 (onnx only)

    def load_spec(self) -> LoadSpec:
        remedy = cross_encoder_remedy(self.hub_id)
        return LoadSpec(CROSS_ENCODER, self.max_length, f"{self.note} {remedy}" if self.note else remedy)


class _Acquired(NamedTuple):
    """A loaded cross-encoder: its model-cache key, the model, the identity activation that keeps
    its scores raw logits, and its ONNX runner when it runs on ONNX Runtime."""

    key: tuple[str, ...]
    model: Any
    identity: Any
    onnx: OnnxRunner | None = None


class LazyCrossEncoder:
    """Loads the CrossEncoder on first use (thread-safe, once) and scores pairs."""

    def __init__(self, options: CrossEncoderOptions, model_cache: LoadedModelCache) -> None:
        self.options = options
        self._model_cache = model_cache
        self._acquired: LazyModel[_Acquired] = LazyModel()
        self._last = threading.local()  # (pairs, tokens) of this thread's last predict

    @property
    def loaded(self) -> bool:
        return self._acquired.value is not None

    def model(self) -> Any:
        return self._acquired.get(self._acquire).model

    def _acquire(self) -> _Acquired:
        import torch

        key, model = self._model_cache.acquire(
            self.options.source, self.options.device, self.options.dtype, self.options.load_spec()
        )
        identity = torch.nn.Identity()
        _install_token_hook(model)
        try:
            onnx = onnx_runner(model, "cross_encoder", self.options)
        except BaseException:
            self._model_cache.release(key)
            raise
        return _Acquired(key, model, identity, onnx)

    def release(self) -> None:
        self._acquired.discard(lambda acquired: self._model_cache.release(acquired.key))

    def predict(self, query: str, texts: list[str]) -> np.ndarray:
        """Raw logits of ``(query, text)`` pairs, one model forward per call (float32, input order)."""
        return self.predict_pairs([(query, text) for text in texts])

    def predict_pairs(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """Raw logits of pairs whose queries may differ, one model forward per call (float32, input order)."""
        acquired = self._acquired.get(self._acquire)
        if acquired.onnx is not None:
            return self._predict_onnx(acquired.model, acquired.onnx, pairs)
        _FORWARD_TOKENS.count = 0
        scores = acquired.model.predict(
            pairs,
            batch_size=max(len(pairs), 1),
            activation_fn=acquired.identity,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        self._last.value = (len(pairs), getattr(_FORWARD_TOKENS, "count", 0))
        scores = np.asarray(scores, dtype=np.float32)
        if scores.ndim == 2 and scores.shape[1] == 1:
            scores = scores[:, 0]
        return scores

    def _predict_onnx(self, model: Any, runner: OnnxRunner, pairs: list[tuple[str, str]]) -> np.ndarray:
        lengths = [len(query) + len(text) for query, text in pairs]
        logits, tokens = run_in_length_order(model, runner, pairs, lengths, self.options.batch_size)
        self._last.value = (len(pairs), tokens)
        if logits.shape[0] == 0:
            return np.zeros(0, dtype=np.float32)
        return logits[:, 0] if logits.shape[1] == 1 else logits

    def max_length(self) -> int | None:
        if self.options.max_length is not None:
            return self.options.max_length
        value = getattr(self.model(), "max_seq_length", None)
        return int(value) if value is not None else None

    def count_tokens(self, query: str, texts: Sequence[str]) -> int:
        """Tokens of the encoded pairs (after truncation): what this thread's last :meth:`predict` of
        these pairs fed the model, else the model's tokenizer, else whitespace words."""
        return self.count_pair_tokens([(query, text) for text in texts])

    def count_pair_tokens(self, pairs: Sequence[tuple[str, str]]) -> int:
        """:meth:`count_tokens` for pairs whose queries may differ."""
        last = getattr(self._last, "value", None)
        if last is not None and last[0] == len(pairs) and last[1] > 0:
            self._last.value = None
            return int(last[1])
        acquired = self._acquired.value
        tokenizer = getattr(acquired.model, "tokenizer", None) if acquired is not None else None
        words = sum(whitespace_tokens(q, [t]) for q, t in pairs)
        if tokenizer is None:
            return words
        try:
            encoded = tokenizer(
                [q for q, _ in pairs], [t for _, t in pairs], truncation=True, max_length=self.max_length()
            )
            return sum(len(ids) for ids in encoded["input_ids"])
        except Exception:  # noqa: BLE001 - counting is best effort
            return words


class CrossEncoderRerankModel(RerankModel):
    """``rerank`` through a lazily loaded CrossEncoder; services add the settings view."""

    def __init__(self, encoder: LazyCrossEncoder, settings: RerankSettings) -> None:
        super().__init__(settings)
        self.encoder = encoder
        self.batch_size = encoder.options.batch_size

    mixed_queries = True

    def score_batch(self, query: str, texts: list[str], runtime: RerankRuntime) -> np.ndarray:
        return self.encoder.predict(query, texts)

    def count_tokens(self, query: str, texts: Sequence[str]) -> int:
        return self.encoder.count_tokens(query, texts)

    def score_pairs(self, pairs: list[tuple[str, str]], runtime: RerankRuntime) -> np.ndarray:
        return self.encoder.predict_pairs(pairs)

    def count_pair_tokens(self, pairs: Sequence[tuple[str, str]]) -> int:
        return self.encoder.count_pair_tokens(pairs)

    def window_words(self, runtime: RerankRuntime) -> int | None:
        return window_words_for_tokens(self.encoder.max_length()) or CONSERVATIVE_DEFAULT_WINDOW_WORDS

    def release(self) -> None:
        self.encoder.release()

    def service_settings_view(self) -> dict[str, Any]:  # overridden by each service
        return {"model_id": self.encoder.options.source.model_id}
