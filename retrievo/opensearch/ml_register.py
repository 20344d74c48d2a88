"""What a model registration asks for, and where the model's files come from.

``parse_register`` reads a ``POST /_plugins/_ml/models/_register`` body as ``MLRegisterModelInput.parse``
does, with ML Commons' messages for what is malformed and retrievo's ``not supported`` for what it
cannot honour (remote models, guardrails, rate limits ...). A model comes either from OpenSearch's
pretrained list (a Hugging Face hub id, see :mod:`.pretrained`) or from a ``url`` naming a local
directory or zip of a saved model: retrievo runs offline, so nothing is downloaded.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from retrievo.errors import not_supported, parsing_error
from retrievo.xcontent import token

from . import ml_errors as errors
from .ml_xcontent import boolean, text
from .pretrained import SPARSE_ENCODING, SPARSE_TOKENIZE, TEXT_EMBEDDING, TEXT_SIMILARITY, find_pretrained

#: ``FunctionName`` values ML Commons knows; retrievo runs the two local NLP ones.
FUNCTION_NAMES = frozenset(
    (
        "LINEAR_REGRESSION KMEANS AD_LIBSVM SAMPLE_ALGO LOCAL_SAMPLE_CALCULATOR FIT_RCF BATCH_RCF "
        "ANOMALY_LOCALIZATION RCF_SUMMARIZE LOGISTIC_REGRESSION TEXT_EMBEDDING METRICS_CORRELATION REMOTE "
        "SPARSE_ENCODING SPARSE_TOKENIZE TEXT_SIMILARITY QUESTION_ANSWERING AGENT CONNECTOR TOOL"
    ).split()
)
RUNNABLE = (TEXT_EMBEDDING, TEXT_SIMILARITY)
MODEL_FORMATS = ("ONNX", "TORCH_SCRIPT")
#: Register body fields retrievo cannot honour (remote models, guardrails, rate limits ...).
_UNSUPPORTED_REGISTER_FIELDS = (
    "connector",
    "connector_id",
    "rate_limiter",
    "guardrails",
    "interface",
    "model_node_ids",
    "deploy_setting",
    "model_content_hash_value",
    "model_id",
    "is_hidden",
    "tenant_id",
)
#: ``model_config`` fields (``BaseModelConfig`` / ``TextEmbeddingModelConfig``).
_CONFIG_FIELDS = (
    "model_type",
    "all_config",
    "additional_config",
    "embedding_dimension",
    "framework_type",
    "pooling_mode",
    "normalize_result",
    "model_max_length",
    "query_prefix",
    "passage_prefix",
)
_FRAMEWORK_TYPES = ("HUGGINGFACE_TRANSFORMERS", "SENTENCE_TRANSFORMERS", "HUGGINGFACE_TRANSFORMERS_NEURON")
_POOLING_MODES = ("MEAN", "MEAN_SQRT_LEN", "MAX", "WEIGHTEDMEAN", "CLS", "LASTTOKEN", "NONE")


@dataclass(frozen=True)
class RegisterRequest:
    """A register body as ``MLRegisterModelInput.parse`` reads it."""

    name: str
    function_name: str
    version: str | None
    model_format: str
    group_id: str | None
    description: str | None
    url: str | None
    model_config: dict[str, Any] | None


def access_control_requested(body: Mapping[str, Any]) -> bool:
    """Model access control fields (an empty ``backend_roles`` list asks for nothing)."""
    return (
        body.get("access_mode") is not None
        or body.get("add_all_backend_roles") is not None
        or bool(body.get("backend_roles"))
    )


def parse_register(body: Mapping[str, Any]) -> RegisterRequest:
    for unsupported in _UNSUPPORTED_REGISTER_FIELDS:
        if body.get(unsupported) is not None:
            raise not_supported(f"[{unsupported}] in a model registration")
    if access_control_requested(body):
        raise errors.illegal_argument(errors.ACCESS_CONTROL_DISABLED)
    function = text("function_name", body.get("function_name"))
    function_name = function.upper() if function is not None else TEXT_EMBEDDING
    if function_name not in FUNCTION_NAMES:
        raise errors.illegal_argument("Wrong function name")
    fmt = text("model_format", body.get("model_format"))
    if fmt is not None and fmt.upper() not in MODEL_FORMATS:
        raise errors.illegal_argument("Wrong model format")
    config = body.get("model_config")
    model_config = _parse_model_config(config, function_name) if config is not None else None
    name = text("name", body.get("name"))
    url = text("url", body.get("url"))
    if name is None:
        raise errors.illegal_argument("model name is null")
    if function_name != "REMOTE":
        if fmt is None:
            raise errors.illegal_argument("model format is null")
        if url is not None and model_config is None and function_name not in (SPARSE_ENCODING, SPARSE_TOKENIZE):
            raise errors.illegal_argument("model config is null")
    return RegisterRequest(
        name,
        function_name,
        text("version", body.get("version")),
        (fmt or "").upper(),
        text("model_group_id", body.get("model_group_id")),
        text("description", body.get("description")),
        url,
        model_config,
    )


def pretrained_function(request: RegisterRequest) -> str | None:
    pretrained = find_pretrained(request.name, request.version, request.model_format)
    return pretrained.function_name if pretrained is not None else None


def _parse_model_config(config: Any, function_name: str) -> dict[str, Any]:
    """``TextEmbeddingModelConfig`` / ``BaseModelConfig``: the object as given, enumerations checked."""
    if not isinstance(config, Mapping):
        raise parsing_error(
            f"Failed to parse object: expecting token of type [START_OBJECT] but found [{token(config)}]"
        )
    out: dict[str, Any] = {}
    for key, value in config.items():
        if key not in _CONFIG_FIELDS:
            continue  # BaseModelConfig.parse skips unknown fields
        if key == "framework_type":
            name = text(key, value) or ""
            if name.upper() not in _FRAMEWORK_TYPES:
                raise errors.illegal_argument("Wrong framework type")
            value = name.upper()
        elif key == "pooling_mode":
            name = text(key, value) or ""
            if name.upper() not in _POOLING_MODES:
                raise errors.illegal_argument("Wrong pooling method")
            value = name.upper()
        out[key] = value
    if function_name == TEXT_EMBEDDING:
        if out.get("embedding_dimension") is None:
            raise errors.illegal_argument("embedding dimension is null")
        if out.get("framework_type") is None:
            raise errors.illegal_argument("framework type is null")
    return out


def settings_from_config(function_name: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """What a custom model's ``model_config`` asks of the ``sentence_transformers`` service; fields that
    would change the model's output in ways a saved model cannot express are refused."""
    settings: dict[str, Any] = {}
    if function_name == TEXT_EMBEDDING:
        if config.get("framework_type") != "SENTENCE_TRANSFORMERS":
            raise not_supported(
                f"[framework_type] [{str(config.get('framework_type')).lower()}]",
                "retrievo runs a saved sentence-transformers model: use [sentence_transformers]",
            )
        for name in ("pooling_mode", "model_max_length", "query_prefix", "passage_prefix"):
            if config.get(name) is not None:
                raise not_supported(
                    f"[model_config.{name}]", "the saved sentence-transformers model defines its own pooling and length"
                )
        settings["dimensions"] = int(config["embedding_dimension"])
        if config.get("normalize_result") is not None:
            settings["normalize"] = bool(boolean("normalize_result", config["normalize_result"]))
    else:
        for name in ("pooling_mode", "normalize_result", "query_prefix", "passage_prefix"):
            if config.get(name) is not None:
                raise not_supported(f"[model_config.{name}] for a [{function_name}] model")
        if config.get("model_max_length") is not None:
            settings["max_length"] = int(config["model_max_length"])
    return settings


def as_url(url: str) -> str:
    """A bare local path as the ``file://`` URL the trusted-URL check sees."""
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", url):
        return url
    return Path(url).expanduser().resolve().as_uri()


#: Extracted model zips, by archive path and modification time (a zip is unpacked once per process).
_UNPACKED: dict[tuple[str, float], str] = {}
_UNPACK_LOCK = threading.Lock()


def refuse_remote(url: str) -> None:
    """A model on the network cannot be fetched offline: refused before anything is registered."""
    if urlsplit(url).scheme.lower() in ("http", "https", "ftp"):
        raise not_supported(
            f"downloading a model from [{url}]",
            "retrievo runs offline: point [url] at a local directory or zip of a saved model (a path or a file:// URL)",
        )


def local_model_dir(url: str) -> str:
    """The local directory a ``url`` names: a directory or a zip of a saved model, given as a path or a
    ``file://`` URL."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        path = Path(unquote(parts.path))
    elif parts.scheme in ("", None) or re.fullmatch(r"[a-zA-Z]", parts.scheme or ""):
        path = Path(url).expanduser()
    else:
        raise errors.illegal_argument(f"unknown protocol: {parts.scheme}")
    if path.is_dir():
        return str(path.resolve())
    if path.is_file() and zipfile.is_zipfile(path):
        return _unpack(path)
    raise errors.illegal_argument(f"Model file [{url}] does not exist or is not a directory or zip of a saved model")


def _unpack(archive: Path) -> str:
    key = (str(archive.resolve()), archive.stat().st_mtime)
    with _UNPACK_LOCK:
        target = _UNPACKED.get(key)
        if target is not None and os.path.isdir(target):
            return target
        target = tempfile.mkdtemp(prefix="retrievo-ml-model-")
        with zipfile.ZipFile(archive) as zf:
            for member in zf.namelist():
                resolved = Path(target, member).resolve()
                if not str(resolved).startswith(str(Path(target).resolve())):
                    raise errors.illegal_argument(f"Model zip [{archive}] has an entry outside the archive: {member}")
            zf.extractall(target)
        entries = [p for p in Path(target).iterdir() if not p.name.startswith(("__MACOSX", "."))]
        root = entries[0] if len(entries) == 1 and entries[0].is_dir() else Path(target)
        _UNPACKED[key] = str(root)
        return str(root)
