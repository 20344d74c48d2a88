"""The ``_predict`` API's bodies: ``TextSimilarityMLInput`` and ``TextDocsMLInput`` in, ``ModelTensorOutput``
out, and the native memory probe behind ML Commons' circuit breaker."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from retrievo.errors import not_supported
from retrievo.java_text import java_float_str

from . import ml_errors as errors
from .ml_xcontent import boolean, string_list, text


def parse_text_similarity(body: Mapping[str, Any]) -> tuple[str, list[str]]:
    """``TextSimilarityMLInput``: ``query_text`` and ``text_docs`` (other fields are skipped, as there)."""
    docs = string_list("text_docs", body["text_docs"]) if body.get("text_docs") is not None else []
    if not docs:
        raise errors.illegal_argument("No text documents were provided")
    query = text("query_text", body.get("query_text"))
    if query is None:
        raise errors.illegal_argument("No query text was provided")
    return query, docs


def parse_text_docs(body: Mapping[str, Any]) -> tuple[list[str], list[str], bool, bool]:
    """``TextDocsMLInput``: ``text_docs`` and the result filter (``return_number``, ``return_bytes``,
    ``target_response``)."""
    for unsupported in ("parameters", "result_filter", "target_response_positions"):
        if body.get(unsupported) is not None:
            raise not_supported(f"[{unsupported}] in a text embedding prediction")
    docs = string_list("text_docs", body["text_docs"], nulls=True) if body.get("text_docs") is not None else []
    if not docs:
        raise errors.illegal_argument("Empty text docs")
    targets = string_list("target_response", body["target_response"]) if body.get("target_response") else []
    return_number = boolean("return_number", body.get("return_number"))
    return_bytes = boolean("return_bytes", body.get("return_bytes"))
    return docs, targets, True if return_number is None else return_number, bool(return_bytes)


def tensor(name: str, data: list[float], shape: list[int], with_bytes: bool) -> dict[str, Any]:
    """A ``ModelTensor`` of FLOAT32 values: numbers printed as Java prints a float, and (unless filtered
    out) the little-endian bytes, base64 encoded as Jackson writes a ``byte[]``."""
    values = np.asarray(data, dtype=np.float32)
    out: dict[str, Any] = {
        "name": name,
        "data_type": "FLOAT32",
        "shape": shape,
        "data": [float(java_float_str(v)) for v in values],
    }
    if with_bytes:
        raw = values.astype("<f4").tobytes()
        out["byte_buffer"] = {"array": base64.b64encode(raw).decode("ascii"), "order": "LITTLE_ENDIAN"}
    return out


def similarity_output(scores: Sequence[float]) -> dict[str, Any]:
    """One ``similarity`` tensor per document, in input order."""
    return {"inference_results": [{"output": [tensor("similarity", [float(s)], [1], True)]} for s in scores]}


def embedding_output(vectors: np.ndarray, wanted: list[str], return_number: bool, return_bytes: bool) -> dict[str, Any]:
    """One ``sentence_embedding`` tensor per text, filtered as the request's result filter asks."""
    results = []
    for vector in vectors:
        outputs = []
        if not wanted or "sentence_embedding" in wanted:
            one = tensor("sentence_embedding", [float(v) for v in vector], [len(vector)], return_bytes)
            if not return_number:
                one.pop("data")
            outputs.append(one)
        results.append({"output": outputs} if outputs else {})  # ModelTensors omits an empty list
    return {"inference_results": results}


def memory_used_percent() -> int | None:
    """Percent of memory in use (``MemTotal - MemAvailable``), rounded as ``OsStats`` rounds it."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            info = dict(line.split(":", 1) for line in f if ":" in line)
        total = int(info["MemTotal"].split()[0])
        available = int(info["MemAvailable"].split()[0])
    except (OSError, KeyError, ValueError):
        return None
    if total <= 0:
        return None
    return round(100.0 * (total - available) / total)
