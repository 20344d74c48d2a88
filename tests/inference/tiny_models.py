"""A tiny BERT cross-encoder built on the spot for the rerank tests (no download, loads in milliseconds)."""

from __future__ import annotations

from pathlib import Path

TINY_WORDS = (
    "the a of and to in is was for on with moon sun lake solar eclipse phases science geography "
    "technology astronomy quick brown fox jumps over lazy dog cat fast engine what which"
).split()


def _tiny_vocab() -> dict[str, int]:
    chars = "abcdefghijklmnopqrstuvwxyz0123456789"
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *TINY_WORDS, *chars, *("##" + c for c in chars), *".,!?-'"]
    return {token: i for i, token in enumerate(dict.fromkeys(tokens))}


def save_tiny_bert(path: Path, *, with_head: bool = True, max_positions: int = 128) -> Path:
    """A 1-layer, 32-wide BERT with a WordPiece tokenizer built on the spot (loads in milliseconds).

    ``initializer_range`` 0.5 spreads the random logits enough to rank by (both signs occur)."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertModel, BertTokenizerFast

    torch.manual_seed(0)
    vocab = _tiny_vocab()
    tokenizer = BertTokenizerFast(vocab=vocab, do_lower_case=True, model_max_length=max_positions)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=37,
        num_labels=1,
        max_position_embeddings=max_positions,
        initializer_range=0.5,
    )
    model = BertForSequenceClassification(config) if with_head else BertModel(config)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
