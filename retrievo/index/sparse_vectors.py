"""``sparse_vector`` fields as Lucene ``FeatureField``\\s, and the token pruning of the queries on them.

Elasticsearch indexes each feature of a sparse vector as one term of the field whose *term frequency*
carries the weight: the float's bits shifted right by 15 (``Float.floatToIntBits(w) >>> 15``), read back
as ``Float.intBitsToFloat(freq << 15)``. The low 15 mantissa bits are lost, so a weight of ``0.1``
scores as ``0.099975586``; reproducing that truncation is what makes scores match. Here the features go
into an ordinary :class:`~retrievo.index.inverted.InvertedFieldWriter` without norms or positions whose
``freqs`` are those encoded values, so snapshots, deletes and persistence need nothing new.

:class:`PruningConfig` and :func:`kept_tokens` are ``TokenPruningConfig`` and
``WeightedTokensUtils.queryBuilderWithPrunedTokens``: a query token is dropped when it is frequent in
the field (its document ratio at or above ``tokens_freq_ratio_threshold`` times the field's average)
and light (its weight at or below ``tokens_weight_threshold`` times the query's best weight).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from retrievo.index.inverted import InvertedField, InvertedFieldWriter

__all__ = [
    "DEFAULT_PRUNING",
    "FEATURE_SHIFT",
    "MAX_FEATURE_FREQ",
    "PruningConfig",
    "SparseIndexOptions",
    "add_features",
    "decode_feature_freqs",
    "encode_feature_value",
    "kept_tokens",
]

F32 = np.float32

#: Bits of the float dropped by the encoding (``FeatureField``'s ``>>> 15``).
FEATURE_SHIFT = 15
#: ``FeatureField.MAX_FREQ``: the encoding of ``Float.MAX_VALUE``.
MAX_FEATURE_FREQ = int(np.array(np.finfo(np.float32).max, dtype=np.float32).view(np.int32)) >> FEATURE_SHIFT


def encode_feature_value(value: float) -> int:
    """The term frequency ``FeatureField`` indexes for a (positive, normal float32) weight."""
    bits = int(np.array(value, dtype=np.float32).view(np.int32))
    return (bits & 0xFFFFFFFF) >> FEATURE_SHIFT


def decode_feature_freqs(freqs: np.ndarray) -> np.ndarray:
    """``FeatureField.decodeFeatureValue`` for an array of term frequencies: the truncated weights."""
    bits = np.asarray(freqs, dtype=np.int64)
    out = (np.minimum(bits, MAX_FEATURE_FREQ) << FEATURE_SHIFT).astype(np.int32).view(np.float32)
    return np.asarray(out, dtype=np.float32)


def add_features(writer: InvertedFieldWriter, doc: int, features: Mapping[str, int]) -> None:
    """Queue one document's features (term → encoded frequency) on a writer built without norms and
    positions; the refresh that follows merges them exactly like analysed terms."""
    vocab = writer.terms
    tids = [vocab.setdefault(token, len(vocab)) for token in features]
    writer.pending_tids.extend(tids)
    writer.pending_tfs.extend(features.values())
    writer.pending_docs.append(doc)
    writer.pending_unique.append(len(tids))
    writer.pending_lengths.append(len(tids))


@dataclass(frozen=True)
class PruningConfig:
    """``TokenPruningConfig``: float32 thresholds (the ratio one in [1, 100], the weight one in [0, 1])."""

    tokens_freq_ratio_threshold: float = 5.0
    tokens_weight_threshold: float = float(F32(0.4))
    only_score_pruned_tokens: bool = False

    def to_json(self) -> dict[str, Any]:
        """``toXContent``: both thresholds always, the flag only when set."""
        body: dict[str, Any] = {
            "tokens_freq_ratio_threshold": self.tokens_freq_ratio_threshold,
            "tokens_weight_threshold": self.tokens_weight_threshold,
        }
        if self.only_score_pruned_tokens:
            body["only_score_pruned_tokens"] = True
        return body


DEFAULT_PRUNING = PruningConfig()


@dataclass(frozen=True)
class SparseIndexOptions:
    """A ``sparse_vector`` field's ``index_options``: the pruning its queries use unless they say."""

    prune: bool | None = None
    pruning_config: PruningConfig | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.prune is not None:
            body["prune"] = self.prune
        if self.pruning_config is not None:
            body["pruning_config"] = self.pruning_config.to_json()
        return body


#: What an index created by Elasticsearch 9.1 gets when its mapping names no ``index_options``.
DEFAULT_INDEX_OPTIONS = SparseIndexOptions(prune=True, pruning_config=DEFAULT_PRUNING)


def _average_token_freq_ratio(inv: InvertedField) -> np.float32:
    """``getAverageTokenFreqRatio``: the field's postings per document per distinct token (float32,
    divided in Java's order); 0 for a field without terms. Distinct tokens are the terms that still
    have a live posting, as in a merged segment."""
    unique = int(np.count_nonzero(np.diff(inv.offsets)))
    if unique == 0 or inv.doc_count == 0:
        return F32(0.0)
    return F32(F32(F32(inv.sum_doc_freq) / F32(inv.doc_count)) / F32(unique))


def _doc_freq(inv: InvertedField, token: str) -> int:
    tid = inv.term_id(token)
    return 0 if tid is None else inv.doc_freq(tid)


def kept_tokens(
    inv: InvertedField | None, tokens: Sequence[tuple[str, float]], config: PruningConfig
) -> list[tuple[str, float]] | None:
    """The query tokens a pruned ``sparse_vector`` query scores, or ``None`` when the field holds no
    tokens at all (Elasticsearch's ``MatchNoDocsQuery("query is against an empty field")``)."""
    if inv is None:
        return None
    average = _average_token_freq_ratio(inv)
    if average == 0:
        return None
    best = F32(0.0)
    for _, weight in tokens:
        best = max(best, F32(weight))
    ratio_limit = F32(F32(config.tokens_freq_ratio_threshold) * average)
    weight_limit = F32(F32(config.tokens_weight_threshold) * best)
    kept = []
    for token, weight in tokens:
        df = _doc_freq(inv, token)
        keep = df != 0 and (F32(F32(df) / F32(inv.doc_count)) < ratio_limit or F32(weight) > weight_limit)
        if keep != config.only_score_pruned_tokens:
            kept.append((token, weight))
    return kept
