"""OpenSearch's pretrained models: the names ML Commons registers without a ``url``, and the Hugging
Face models retrievo runs for them.

ML Commons downloads a list of allowed pretrained models (name, versions, formats) and refuses any
other name/version/format with "This model is not in the pre-trained model list, please check your
parameters." (``MLModelManager.registerPrebuiltModel`` / ``ModelHelper.isModelAllowed``: the name must
match exactly, the version and the format in lower case). The table below is OpenSearch's documented
list ("OpenSearch-provided pretrained models": sentence transformers, cross-encoders and the neural
sparse models); each artifact there is a TorchScript/ONNX export of a Hugging Face model, which
retrievo runs from the Hugging Face hub cache under its hub id instead (the same weights; the scores
are the model's raw output, as OpenSearch's translator returns them).

The neural sparse models are in OpenSearch's list but have no local implementation in retrievo:
registering one is refused with a message that says so.
"""

from __future__ import annotations

from dataclasses import dataclass

TEXT_EMBEDDING = "TEXT_EMBEDDING"
TEXT_SIMILARITY = "TEXT_SIMILARITY"
SPARSE_ENCODING = "SPARSE_ENCODING"
SPARSE_TOKENIZE = "SPARSE_TOKENIZE"

#: ``ModelHelper.isModelAllowed``'s failure, reported in the register task's ``error``.
NOT_IN_PRETRAINED_LIST = "This model is not in the pre-trained model list, please check your parameters."

_BOTH_FORMATS = ("torch_script", "onnx")


@dataclass(frozen=True)
class PretrainedModel:
    """One entry of OpenSearch's pretrained model list."""

    #: The name OpenSearch registers it under (``huggingface/cross-encoders/ms-marco-MiniLM-L-6-v2``).
    name: str
    #: The versions and formats the list allows (lower case, as ``isModelAllowed`` compares them).
    versions: tuple[str, ...]
    formats: tuple[str, ...]
    #: ``function_name`` from the model's ``config.json`` (``TEXT_EMBEDDING``, ``TEXT_SIMILARITY`` ...).
    function_name: str
    #: The Hugging Face hub id retrievo loads; ``None`` where retrievo has no local implementation.
    hub_id: str | None
    #: ``embedding_dimension`` of a text embedding model (from the documented table).
    dimension: int | None = None

    def allows(self, version: str, model_format: str) -> bool:
        return version.lower() in self.versions and model_format.lower() in self.formats


def _sentence_transformer(
    name: str, version: str, dimension: int, formats: tuple[str, ...] = _BOTH_FORMATS
) -> PretrainedModel:
    return PretrainedModel(
        f"huggingface/sentence-transformers/{name}",
        (version,),
        formats,
        TEXT_EMBEDDING,
        f"sentence-transformers/{name}",
        dimension,
    )


def _cross_encoder(name: str, version: str) -> PretrainedModel:
    return PretrainedModel(
        f"huggingface/cross-encoders/{name}", (version,), _BOTH_FORMATS, TEXT_SIMILARITY, f"cross-encoder/{name}"
    )


def _sparse(name: str, function_name: str) -> PretrainedModel:
    return PretrainedModel(f"amazon/neural-sparse/{name}", ("1.0.1",), ("torch_script",), function_name, None)


#: OpenSearch's documented pretrained models (documentation-website ``_ml-commons-plugin/pretrained-models.md``).
PRETRAINED_MODELS: dict[str, PretrainedModel] = {
    m.name: m
    for m in (
        _sentence_transformer("all-distilroberta-v1", "1.0.1", 768),
        _sentence_transformer("all-MiniLM-L6-v2", "1.0.1", 384),
        _sentence_transformer("all-MiniLM-L12-v2", "1.0.1", 384),
        _sentence_transformer("all-mpnet-base-v2", "1.0.1", 768),
        _sentence_transformer("msmarco-distilbert-base-tas-b", "1.0.2", 768),
        _sentence_transformer("multi-qa-MiniLM-L6-cos-v1", "1.0.1", 384),
        _sentence_transformer("multi-qa-mpnet-base-dot-v1", "1.0.1", 768),
        _sentence_transformer("paraphrase-MiniLM-L3-v2", "1.0.1", 384),
        _sentence_transformer("paraphrase-multilingual-MiniLM-L12-v2", "1.0.1", 384),
        _sentence_transformer("paraphrase-mpnet-base-v2", "1.0.0", 768),
        _sentence_transformer("distiluse-base-multilingual-cased-v1", "1.0.1", 512, ("torch_script",)),
        _cross_encoder("ms-marco-MiniLM-L-6-v2", "1.0.2"),
        _cross_encoder("ms-marco-MiniLM-L-12-v2", "1.0.2"),
        _sparse("opensearch-neural-sparse-encoding-v1", SPARSE_ENCODING),
        _sparse("opensearch-neural-sparse-encoding-doc-v1", SPARSE_ENCODING),
        _sparse("opensearch-neural-sparse-tokenizer-v1", SPARSE_TOKENIZE),
    )
}


def find_pretrained(name: str, version: str | None, model_format: str) -> PretrainedModel | None:
    """The list entry ``isModelAllowed`` accepts for this name, version and format, else ``None``."""
    model = PRETRAINED_MODELS.get(name)
    if model is None or version is None or not model.allows(version, model_format):
        return None
    return model
