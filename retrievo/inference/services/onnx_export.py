"""Cross-encoders and embedding models on ONNX Runtime: export a loaded model once, cache the export, run it.

In fp32 a MiniLM-sized model is GEMM-bound, and ONNX Runtime's fp32 GEMMs are no faster than PyTorch's
(oneDNN/MKL) on x86: measured on a 2-core AVX-512 Xeon, the fp32 export is only ~1.1-1.2x faster than
PyTorch, with scores equal to PyTorch's to ~1e-7. ``int8`` (dynamic quantization: int8 weights per output
channel, activations quantized per batch) runs the GEMMs on the CPU's integer dot-product units
(VNNI/AMX), about 3x faster than PyTorch fp32 there, and moves scores by ~1e-2, so it is opt-in.

Three choices make the difference, each measured (benchmarks/backends.py):

* the export traces the model with **eager attention** (not ``scaled_dot_product_attention``): the SDPA
  trace adds ``IsNaN``/``Where`` masking over every attention matrix, ~20 % of an int8 forward;
* sessions run with ONNX Runtime's ``SkipLayerNormFusion`` **disabled**: its fused CPU kernel is ~5x
  slower than the ``Add`` + ``LayerNormalization`` it replaces (onnxruntime 1.32), a third of an int8 forward;
* a tokenized batch is cut into **sub-batches of about** :data:`SUB_BATCH_TOKENS` padded tokens, so a
  layer's activations stay in the core's cache, and the sub-batches run concurrently, one per core, on
  single-threaded sessions (small GEMMs split poorly over intra-op threads).

The export needs no ``optimum`` (``sentence-transformers[onnx]`` would downgrade the whole stack): the
loaded model's Hugging Face ``*ForSequenceClassification`` module is traced with ``torch.onnx.export``
(TorchScript exporter, dynamic batch and sequence axes). Tokenization stays sentence-transformers' own
(``CrossEncoder.preprocess``), so the model sees exactly the token ids PyTorch would.

An export is keyed by the model's content — its configuration and every weight tensor's bytes — plus
the export recipe, torch's version and the quantization, so a changed model never reuses a stale
graph. It is written next to the model when the model came from a writable local directory
(``<model>/onnx/retrievo-<key>.onnx``), else under the user's cache (``$XDG_CACHE_HOME`` or
``~/.cache``, ``retrievo/onnx/``); writes go to a temporary file first and are renamed into place, so
concurrent processes never read half a file.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import numpy as np

from ..errors import status_exception
from .model_loading import resolve_device

#: Bumped whenever the export recipe changes what the graph computes or how it is named
#: (2: eager attention; int8 weights per channel).
EXPORT_RECIPE = 2
OPSET = 17
BACKENDS = ("torch", "onnx")
QUANTIZATIONS = ("none", "int8")
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT = "output"


def onnxruntime_available() -> bool:
    try:
        import onnxruntime  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        return False
    return True


#: The sentence-transformers modules an embedding export covers (their forward passes trace cleanly).
_EMBEDDING_MODULES = frozenset({"Transformer", "Pooling", "Normalize", "Dense"})
_TEXT_FORWARD = {"method": "forward"}


def _transformer(model: Any) -> Any | None:
    """The model's first module when it is a text Transformer (``None`` otherwise)."""
    try:
        modules = list(model)
    except TypeError:
        return None
    if not modules or type(modules[0]).__name__ != "Transformer":
        return None
    config = getattr(modules[0], "modality_config", None)
    if not isinstance(config, dict) or set(config) != {"text"}:
        return None
    return modules[0] if config["text"].get("method") == _TEXT_FORWARD["method"] else None


def _auto_model(model: Any) -> Any:
    """The Hugging Face model inside an exportable model's Transformer module."""
    transformer = _transformer(model)
    assert transformer is not None, "only exportable models are exported"
    return transformer.auto_model


def exportable(model: Any, kind: str) -> bool:
    """Whether a loaded sentence-transformers model is one the export covers: a ``cross_encoder`` that is
    one Transformer whose text forward returns a sequence classifier's ``logits``, or an ``embedding``
    model made of Transformer, Pooling, Dense and Normalize modules."""
    transformer = _transformer(model)
    if transformer is None:
        return False
    if kind == "cross_encoder":
        auto_model = getattr(transformer, "auto_model", None)
        return (
            len(list(model)) == 1
            and transformer.modality_config["text"].get("method_output_name") == "logits"
            and type(auto_model).__name__.endswith("ForSequenceClassification")
        )
    return all(type(module).__name__ in _EMBEDDING_MODULES for module in model)


def _model_digest(model: Any, kind: str) -> Any:
    """A digest of the model's configuration and every weight tensor, with the export recipe."""
    import torch

    digest = hashlib.sha256()
    config = _auto_model(model).config.to_dict()
    recipe = {"recipe": EXPORT_RECIPE, "opset": OPSET, "torch": torch.__version__, "kind": kind, "config": config}
    digest.update(json.dumps(recipe, sort_keys=True, default=str).encode())
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().to("cpu").contiguous().numpy().tobytes())
    return digest


def _file_name(model_digest: Any, input_names: tuple[str, ...], quantization: str) -> str:
    digest = model_digest.copy()
    digest.update(json.dumps([list(input_names), quantization]).encode())
    suffix = "" if quantization == "none" else f"-{quantization}"
    return f"retrievo-{digest.hexdigest()[:32]}{suffix}.onnx"


def _cache_dirs(model: Any) -> list[Path]:
    """Where an export may live, best first: beside a local model, then the user's cache."""
    dirs = []
    origin = getattr(_auto_model(model).config, "_name_or_path", "") or ""
    if origin and Path(origin).is_dir():
        dirs.append(Path(origin) / "onnx")
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    dirs.append(Path(base) / "retrievo" / "onnx")
    return dirs


def _write_atomically(target: Path, write: Callable[[Path], None]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".export-", suffix=".onnx")
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@contextmanager
def _eager_attention(model: Any) -> Iterator[None]:
    """Trace with Hugging Face's eager attention (plain MatMul/Softmax), restored afterwards.

    The SDPA trace masks every attention matrix with ``IsNaN``/``Where`` nodes that cost ~20 % of an
    int8 forward on ONNX Runtime; the eager graph computes the same scores (to ~1e-7)."""
    auto_model = _auto_model(model)
    previous = getattr(auto_model.config, "_attn_implementation", None)
    setter = getattr(auto_model, "set_attn_implementation", None)
    if setter is None or previous in (None, "eager"):
        yield
        return
    try:
        setter("eager")
    except (ValueError, ImportError):  # a model without an eager path: trace what it has
        yield
        return
    try:
        yield
    finally:
        setter(previous)


def _export_fp32(model: Any, kind: str, input_names: tuple[str, ...], target: Path) -> None:
    import torch

    class _Graph(torch.nn.Module):
        """Token tensors in (by position, named by ``input_names``), one float tensor out: the
        classifier's logits, or the whole sentence-transformers pipeline's sentence embedding."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs: Any) -> Any:
            features = dict(zip(input_names, inputs, strict=True))
            if kind == "cross_encoder":
                return _auto_model(self.model)(**features, return_dict=True).logits
            return self.model({**features, "modality": "text"})["sentence_embedding"]

    example = tuple(torch.ones((2, 8), dtype=torch.long) for _ in input_names)
    axes = {name: {0: "batch", 1: "tokens"} for name in input_names}
    axes[OUTPUT] = {0: "batch"}
    with warnings.catch_warnings(), torch.no_grad(), _eager_attention(model):
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _Graph().eval(),
            example,
            str(target),
            input_names=list(input_names),
            output_names=[OUTPUT],
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )


def _quantize_int8(source: Path, target: Path) -> None:
    """Dynamic int8 quantization of every weight MatMul and embedding (``Gather``) of the fp32 export.

    Per-channel weight scales halve the score error of per-tensor ones (max |logit diff| ~7e-3 vs
    ~2e-2 on MiniLM-L6) at the same speed. ``reduce_range`` (7-bit weights, for CPUs without VNNI) is
    left off: it costs accuracy on the VNNI/AMX CPUs where int8 pays. Activation-by-activation MatMuls
    (attention scores) stay fp32, as ``quantize_dynamic`` leaves them. Graph fusion before quantizing
    (``onnxruntime.transformers.optimizer``: Attention, BiasGelu) measured no faster once
    SkipLayerNormalization is avoided, so the graph is quantized as exported."""
    from onnxruntime.quantization import QuantType, quantize_dynamic  # type: ignore[import-untyped]

    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True)


_EXPORT_LOCK = threading.Lock()


def exported_model(model: Any, kind: str, input_names: tuple[str, ...], quantization: str) -> Path:
    """The ONNX file of a loaded sentence-transformers ``model`` (``kind``: ``cross_encoder`` or
    ``embedding``), exported (and quantized) on first use, cached by content."""
    digest = _model_digest(model, kind)
    name = _file_name(digest, input_names, quantization)
    with _EXPORT_LOCK:
        places = _cache_dirs(model)
        for directory in places:
            if (directory / name).is_file():
                return directory / name
        last_error: OSError | None = None
        for directory in places:
            try:
                fp32 = directory / _file_name(digest, input_names, "none")
                if not fp32.is_file():
                    _write_atomically(fp32, functools.partial(_export_fp32, model, kind, input_names))
                if quantization == "int8":
                    _write_atomically(directory / name, functools.partial(_quantize_int8, fp32))
                return directory / name
            except OSError as err:  # not writable: try the next place
                last_error = err
        assert last_error is not None
        raise last_error


def model_input_names(model: Any, example: Any) -> tuple[str, ...]:
    """The inputs the tokenizer produces and the model takes (``token_type_ids`` only where it has them)."""
    features = model.preprocess([example])
    return tuple(name for name in _INPUTS if name in features)


#: ONNX Runtime graph rewrites that make these models slower: ``SkipLayerNormFusion`` replaces
#: ``Add`` + ``LayerNormalization`` with a CPU kernel measured ~5x slower (4.4 vs 0.8 ns per element,
#: onnxruntime 1.32), a third of an int8 forward and ~10 % of an fp32 one.
DISABLED_OPTIMIZERS = ("SkipLayerNormFusion",)


@dataclass(frozen=True)
class SessionKey:
    path: str
    threads: int


class OnnxSessions:
    """One ``InferenceSession`` per exported file and thread count, shared by every endpoint."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[SessionKey, Any] = {}

    def get(self, path: Path, threads: int) -> Any:
        key = SessionKey(str(path), threads)
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                import onnxruntime as ort

                options = ort.SessionOptions()
                options.intra_op_num_threads = threads
                options.inter_op_num_threads = 1
                options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
                options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                options.log_severity_level = 3
                session = ort.InferenceSession(
                    str(path),
                    options,
                    providers=["CPUExecutionProvider"],
                    disabled_optimizers=list(DISABLED_OPTIMIZERS),
                )
                self._sessions[key] = session
            return session


ONNX_SESSIONS = OnnxSessions()


def default_threads() -> int:
    """The cores this process may use: how many sub-batches run at once, each on a single-threaded
    session (whole sub-batches in parallel measured faster than splitting each small GEMM over
    intra-op threads)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not Linux
        return max(os.cpu_count() or 1, 1)


class OnnxRunner(NamedTuple):
    """A model's ONNX export: its session and the inputs it takes."""

    session: Any
    input_names: tuple[str, ...]
    workers: int = 1  # sub-batches run at once, each on the single-threaded session


#: A one-item input each kind's ``preprocess`` takes (to learn the tokenizer's output names).
_EXAMPLES: dict[str, Any] = {"cross_encoder": ("a", "b"), "embedding": "a"}


class BackendOptions(Protocol):
    """What an endpoint's load options say about the backend (both model option classes have these)."""

    @property
    def source(self) -> Any: ...
    @property
    def device(self) -> str: ...
    @property
    def dtype(self) -> str: ...
    @property
    def backend(self) -> str: ...
    @property
    def quantization(self) -> str: ...


def onnx_runner(model: Any, kind: str, options: BackendOptions) -> OnnxRunner | None:
    """The ONNX runner an endpoint's options call for, or ``None`` to run on PyTorch. ``backend``:
    ``auto`` takes ONNX where it can, ``onnx`` insists (a 400 naming why it cannot), ``torch`` declines."""
    backend, device, dtype, model_id = options.backend, options.device, options.dtype, options.source.model_id
    if backend == "torch":
        return None
    reasons = []
    if not onnxruntime_available():
        reasons.append("onnxruntime is not installed")
    if resolve_device(device) != "cpu":
        reasons.append(f"it runs on [{resolve_device(device)}], and the onnx backend runs on the CPU")
    if dtype != "float32":
        reasons.append(f"its dtype is [{dtype}], and the onnx backend exports float32")
    if not reasons and not exportable(model, kind):
        what = "sequence-classification cross-encoder" if kind == "cross_encoder" else "text embedding model"
        reasons.append(f"it is not a plain {what}")
    if reasons:
        if backend == "onnx":
            raise status_exception(
                f"[service_settings] backend [onnx] was requested but model [{model_id}] cannot run on it: "
                f"{'; '.join(reasons)}; use [torch] or [auto]"
            )
        return None
    names = model_input_names(model, _EXAMPLES[kind])
    path = exported_model(model, kind, names, options.quantization)
    workers = default_threads()
    return OnnxRunner(ONNX_SESSIONS.get(path, 1), names, workers)


#: Padded tokens per sub-batch: 4 passages of 128 tokens. A MiniLM layer's activations for that many
#: tokens (~3 MB for the 1,536-wide FFN) stay close to a core's L2 cache; larger batches measured
#: slower per pair on ONNX Runtime (one thread, 100 pairs of ~140 tokens: int8 1.16 s at 4 pairs per
#: run, 1.27 s at 8, 1.55 s at 32; fp32 2.51 s at 8, 2.89 s at 32), smaller ones pay per-run overhead.
SUB_BATCH_TOKENS = 512


class SubBatch(NamedTuple):
    """One session run: the inputs' positions in the caller's list and their token arrays."""

    rows: np.ndarray
    feeds: dict[str, np.ndarray]


def sub_batches(
    features: Mapping[str, Any], input_names: tuple[str, ...], rows: list[int], budget: int
) -> list[SubBatch]:
    """One tokenized batch cut into sub-batches of at most ``budget`` padded tokens (at least one row
    each), rows ordered longest first by their token counts, each trimmed of the padding columns none of
    its rows uses (trailing columns whose attention mask is 0 throughout: removing them leaves every
    real token's output unchanged)."""
    arrays = {}
    for name in input_names:
        value = features[name]
        array = value.numpy() if hasattr(value, "numpy") else np.asarray(value)
        arrays[name] = array.astype(np.int64, copy=False)
    mask = arrays["attention_mask"]
    lengths = mask.sum(axis=1)
    order = np.argsort(-lengths, kind="stable")
    positions = np.asarray(rows, dtype=np.int64)
    out = []
    start = 0
    while start < len(order):
        longest = max(int(lengths[order[start]]), 1)
        end = start + max(budget // longest, 1)
        picked = order[start:end]
        used = np.flatnonzero(mask[picked].any(axis=0))
        width = int(used[-1]) + 1 if len(used) else mask.shape[1]
        feeds = {name: np.ascontiguousarray(array[picked, :width]) for name, array in arrays.items()}
        out.append(SubBatch(positions[picked], feeds))
        start = end
    return out


class _Workers:
    """The process's threads that run sub-batches concurrently (ONNX Runtime releases the GIL in
    ``run``), started on first use; one pool for every endpoint, so concurrent requests share the cores
    rather than multiplying threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    def pool(self, workers: int) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="retrievo-onnx")
            return self._pool


_WORKERS = _Workers()


def run_in_length_order(
    model: Any, runner: OnnxRunner, inputs: list[Any], lengths: list[int], batch_size: int, **preprocess: Any
) -> tuple[np.ndarray, int]:
    """Longest inputs first, tokenized by the model's own ``preprocess`` in groups of ``batch_size``;
    each group cut into sub-batches of about :data:`SUB_BATCH_TOKENS` padded tokens (each padding only to
    its own longest input), which run concurrently on the runner's workers. The outputs in input order
    and the tokens fed."""
    order = sorted(range(len(inputs)), key=lambda i: -lengths[i])
    parts: list[SubBatch] = []
    tokens = 0
    step = max(batch_size, 1)
    for start in range(0, len(order), step):
        rows = order[start : start + step]
        features = model.preprocess([inputs[i] for i in rows], **preprocess)
        tokens += int(features["attention_mask"].sum())
        parts.extend(sub_batches(features, runner.input_names, rows, SUB_BATCH_TOKENS))
    if not parts:
        return np.zeros((0, 0), dtype=np.float32), 0

    def run(part: SubBatch) -> np.ndarray:
        (output,) = runner.session.run([OUTPUT], part.feeds)
        return np.asarray(output, dtype=np.float32)

    if runner.workers > 1 and len(parts) > 1:
        outputs = list(_WORKERS.pool(runner.workers).map(run, parts))
    else:
        outputs = [run(part) for part in parts]
    out = np.empty((len(inputs), outputs[0].shape[1]), dtype=np.float32)
    for part, output in zip(parts, outputs, strict=True):
        out[part.rows] = output
    return out, tokens
