"""A Metarank configuration file as ``retrievo serve --config``: its ``inference:`` models served.

Metarank (metarank/metarank, ``ai.metarank.config.Config``) reads one YAML file with the sections
``core``, ``api``, ``state``, ``train``, ``input``, ``features``, ``models`` and ``inference``. retrievo
serves only Metarank's inference API (``POST /inference/cross/<name>``, ``POST /inference/encoder/<name>``,
:mod:`retrievo.api.metarank`), so of that file it reads:

* ``inference``: each entry (``type: cross-encoder`` or ``bi-encoder``, ``model``, ``modelFile``,
  ``tokenizerFile``, the older ``vocabFile``, and ``dim`` -- required for a bi-encoder, as in
  Metarank) becomes an inference endpoint of the same name, listed by ``GET _inference`` like any
  other and usable by ``text_similarity_reranker`` / ``semantic_text``. When the model's files are an
  ONNX export (Metarank's own Hub models are), the ``metarank`` service runs them with onnxruntime
  exactly as Metarank does (:mod:`retrievo.inference.services.onnx_models`); when the directory or
  cached Hub repository holds a sentence-transformers checkpoint instead, the
  ``sentence_transformers`` service runs it (a bi-encoder then pools as its own checkpoint says);
* with no ``inference`` section, Metarank's default: every ``field_match`` feature whose ``method``
  is a ``bi-encoder`` or ``cross-encoder`` becomes an entry named after the feature;
* ``api.host`` / ``api.port`` become ``http.host`` / ``http.port``. Metarank's defaults (0.0.0.0:8080)
  are not taken: without them retrievo keeps its own (127.0.0.1:9200), so that a Metarank file never
  exposes the server on every interface by itself.

Everything else (``core``, ``state``, ``train``, ``input``, ``features``, ``models``, ``api.timeout``,
an entry's ``cache`` / ``itemFieldCache`` / ``rankingFieldCache``, which only feed Metarank's feature
extraction and training) is reported on stderr as ignored. An entry with no ``model`` (a cache only)
has no inference route in Metarank either; it is reported and skipped.

Models load when the server starts, as Metarank loads them; one that cannot be loaded stops the start.
The endpoints are ordinary user endpoints: with a data directory they are saved with it, and a later
start with the same file finds them equal and keeps them (a changed entry replaces its endpoint).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from retrievo.errors import ApiError, error_reason
from retrievo.inference.services.onnx_models import DEFAULT_MODEL_FILE, OnnxModelSpec, has_onnx_model

if TYPE_CHECKING:
    from retrievo.catalog import Catalog

#: The top-level sections of a Metarank configuration (``Config``'s decoder).
METARANK_SECTIONS = ("core", "api", "state", "train", "input", "features", "models", "inference")
CROSS_ENCODER = "cross-encoder"
BI_ENCODER = "bi-encoder"
_ENTRY_KEYS = {"type", "model", "modelFile", "tokenizerFile", "vocabFile", "dim"}
_FEATURE_CACHES = {"cache", "itemFieldCache", "rankingFieldCache"}
# ModelHandle's patterns (a Hub id or a file:// path); anything else Metarank refuses to parse
_HANDLE = re.compile(r"[a-zA-Z0-9\-]+/[0-9A-Za-z\-_]+|file:/{1,2}/.+")


class MetarankConfigError(ValueError):
    """A Metarank configuration Metarank itself would refuse to start with (the message says why)."""


@dataclass(frozen=True)
class MetarankEntry:
    """One ``inference:`` entry."""

    name: str
    kind: str  # CROSS_ENCODER or BI_ENCODER
    model: str
    model_file: str | None = None
    tokenizer_file: str | None = None
    vocab_file: str | None = None
    dim: int | None = None

    def spec(self) -> OnnxModelSpec:
        return OnnxModelSpec(self.model, self.model_file or DEFAULT_MODEL_FILE, self.tokenizer_file, self.vocab_file)


@dataclass(frozen=True)
class MetarankConfig:
    """What retrievo takes from a Metarank file: the entries, the server settings, and what it ignores."""

    entries: tuple[MetarankEntry, ...]
    #: ``http.host`` / ``http.port`` from ``api``.
    settings: dict[str, str]
    #: Sections and keys read but not used (named on stderr at start).
    ignored: tuple[str, ...]


def looks_like_metarank(data: Any) -> bool:
    """A YAML document is Metarank's when its top level names a Metarank section (no
    ``elasticsearch.yml`` setting starts with one)."""
    return isinstance(data, Mapping) and any(key in METARANK_SECTIONS for key in data)


def read_metarank_config(text: str, source: str) -> MetarankConfig | None:
    """The Metarank configuration in ``text``, or ``None`` when it is not one (an ``elasticsearch.yml``)."""
    import yaml  # type: ignore[import-untyped]

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    if not looks_like_metarank(data):
        return None
    return parse_metarank_config(data, source)


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise MetarankConfigError(f"{where}: expected a string, got [{value}]")
    return value


def _entry(name: str, body: Any, source: str, ignored: list[str]) -> MetarankEntry | None:
    where = f"{source}: inference.{name}"
    if not isinstance(body, Mapping):
        raise MetarankConfigError(f"{where}: expected an object, got [{body}]")
    kind = body.get("type")
    if kind not in (CROSS_ENCODER, BI_ENCODER):
        raise MetarankConfigError(f"{where}: cannot decode embedding type {kind}")
    for key in body:
        if key in _FEATURE_CACHES:
            ignored.append(f"inference.{name}.{key} (feeds Metarank's feature extraction only)")
        elif key not in _ENTRY_KEYS:
            ignored.append(f"inference.{name}.{key}")
    dim: int | None = None
    if kind == BI_ENCODER:
        dim = body.get("dim")
        if type(dim) is not int or dim <= 0:
            raise MetarankConfigError(f"{where}: [dim] is required for a bi-encoder and must be a positive integer")
    model = body.get("model")
    if model is None:
        if not any(body.get(key) is not None for key in _FEATURE_CACHES):
            what = "'model' or 'cache'" if kind == CROSS_ENCODER else "model/itemFieldCache/rankingFieldCache"
            raise MetarankConfigError(f"{where}: one of {what} fields should be present")
        ignored.append(f"inference.{name} (no model: Metarank serves no inference route for it either)")
        return None
    model = _text(model, f"{where}.model")
    if not _HANDLE.fullmatch(model) and not Path(model).expanduser().is_dir():
        raise MetarankConfigError(f"{where}: cannot parse model handle '{model}'")
    files = {k: _text(body[k], f"{where}.{k}") for k in ("modelFile", "tokenizerFile", "vocabFile") if k in body}
    if "tokenizerFile" in files and "vocabFile" in files:
        raise MetarankConfigError(f"{where}: give [tokenizerFile] or the older [vocabFile], not both")
    return MetarankEntry(
        name, kind, model, files.get("modelFile"), files.get("tokenizerFile"), files.get("vocabFile"), dim
    )


def _default_entries(features: Any) -> dict[str, Any]:
    """Metarank's default inference entries: ``field_match`` features with an encoder method."""
    out: dict[str, Any] = {}
    for feature in features if isinstance(features, list) else []:
        if not isinstance(feature, Mapping) or feature.get("type") != "field_match":
            continue
        method = feature.get("method")
        if isinstance(method, Mapping) and method.get("type") in (CROSS_ENCODER, BI_ENCODER) and feature.get("name"):
            out[str(feature["name"])] = method
    return out


def parse_metarank_config(data: Mapping[str, Any], source: str) -> MetarankConfig:
    """Validate the parts retrievo serves (as Metarank validates them) and list the rest."""
    ignored = [
        f"{key} (Metarank's {key} section)" if key in METARANK_SECTIONS else str(key)
        for key in data
        if key not in ("api", "inference")
    ]
    settings: dict[str, str] = {}
    api = data.get("api") or {}
    if not isinstance(api, Mapping):
        raise MetarankConfigError(f"{source}: api: expected an object, got [{api}]")
    for key, value in api.items():
        if key == "host":
            settings["http.host"] = str(value)
        elif key == "port":
            settings["http.port"] = str(value)
        else:
            ignored.append(f"api.{key}")
    inference = data.get("inference")
    if inference is None:
        inference = _default_entries(data.get("features"))
    if not isinstance(inference, Mapping):
        raise MetarankConfigError(f"{source}: inference: expected an object of named models, got [{inference}]")
    entries = [_entry(str(name), body, source, ignored) for name, body in inference.items()]
    return MetarankConfig(tuple(e for e in entries if e is not None), settings, tuple(dict.fromkeys(ignored)))


def _local_sentence_transformer(entry: MetarankEntry) -> str | None:
    """The ``model_id`` for the ``sentence_transformers`` service when the model is not an ONNX export
    but a (sentence-)transformers checkpoint already on this machine; else ``None``."""
    spec = entry.spec()
    if has_onnx_model(spec):
        return None
    local = spec.local_dir()
    if local is not None:
        return str(local) if (local / "config.json").is_file() else None
    hub_id = spec.hub_id()
    if hub_id is None:
        return None
    from huggingface_hub import try_to_load_from_cache

    from retrievo.inference.services.model_loading import cached_repo_id

    cached = cached_repo_id(hub_id)
    found = try_to_load_from_cache(cached, "config.json") if cached else None
    return hub_id if isinstance(found, str) else None


def endpoint_definition(entry: MetarankEntry) -> tuple[str, dict[str, Any]]:
    """The task type and ``PUT _inference`` body that serve ``entry``."""
    task = "rerank" if entry.kind == CROSS_ENCODER else "text_embedding"
    model_id = _local_sentence_transformer(entry)
    if model_id is not None:
        settings: dict[str, Any] = {"model_id": model_id}
        if entry.dim is not None:
            settings["dimensions"] = entry.dim
        return task, {"service": "sentence_transformers", "service_settings": settings}
    settings = {"model": entry.model, "model_file": entry.model_file or DEFAULT_MODEL_FILE}
    if entry.vocab_file is not None:
        settings["vocab_file"] = entry.vocab_file
    elif entry.tokenizer_file is not None:
        settings["tokenizer_file"] = entry.tokenizer_file
    if entry.dim is not None:
        settings["dim"] = entry.dim
    return task, {"service": "metarank", "service_settings": settings}


def register_metarank(catalog: Catalog, config: MetarankConfig) -> list[str]:
    """Create (or keep) one endpoint per entry, load its model, and route Metarank's names to it.
    Returns one line per entry for the start-up message; a failure is :class:`MetarankConfigError`."""
    lines = []
    existing = {d["inference_id"]: d for d in catalog.inference.definitions()}
    for entry in config.entries:
        task, body = endpoint_definition(entry)
        try:
            known = existing.get(entry.name)
            wanted = {"inference_id": entry.name, "task_type": task, "config": body}
            if known is not None and known != wanted:
                catalog.inference.delete(entry.name, force=True)
            if known != wanted:
                catalog.inference.put(entry.name, copy.deepcopy(body), task)
            model = catalog.inference.get(entry.name).model
            load = getattr(model, "load", None)
            if callable(load):
                load()
        except ApiError as e:
            raise MetarankConfigError(f"Metarank inference entry [{entry.name}]: {error_reason(e)}") from None
        if entry.kind == CROSS_ENCODER:
            catalog.metarank_cross[entry.name] = entry.name
        else:
            catalog.metarank_encoders[entry.name] = entry.name
        route = "cross" if entry.kind == CROSS_ENCODER else "encoder"
        lines.append(f"/inference/{route}/{entry.name} -> {task} endpoint [{entry.name}] ({body['service']})")
    return lines
