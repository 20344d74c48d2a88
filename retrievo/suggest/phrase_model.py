"""The parsed ``phrase`` suggestion (``PhraseSuggestionBuilder``), its candidate generators
(``DirectCandidateGeneratorBuilder``), smoothing models (``StupidBackoff``, ``Laplace``,
``LinearInterpolation``) and ``collate`` template, with Elasticsearch's defaults."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

from retrievo.suggest.common import SuggestionBase, changed_options

__all__ = ["Collate", "DirectGenerator", "PhraseSuggestion", "Smoothing", "phrase_json"]


@dataclass(frozen=True)
class DirectGenerator:
    """``direct_generator``: a ``DirectSpellChecker`` over ``field`` drawing candidates for each token."""

    field: str
    size: int = 5
    suggest_mode: Literal["missing", "popular", "always"] = "missing"
    accuracy: float = 0.5
    sort: Literal["score", "frequency"] = "score"
    string_distance: str = "internal"
    max_edits: int = 2
    max_inspections: int = 5
    max_term_freq: float = 0.009999999776482582  # 0.01f
    prefix_length: int = 1
    min_word_length: int = 4
    min_doc_freq: float = 0.0
    pre_filter: str | None = None
    post_filter: str | None = None


@dataclass(frozen=True)
class Smoothing:
    """The language model: ``stupid_backoff`` (``discount``), ``laplace`` (``alpha``) or
    ``linear_interpolation`` (the three lambdas, normalised to sum to one)."""

    kind: Literal["stupid_backoff", "laplace", "linear_interpolation"] = "stupid_backoff"
    discount: float = 0.4
    alpha: float = 0.5
    trigram_lambda: float = 0.0
    bigram_lambda: float = 0.0
    unigram_lambda: float = 0.0


@dataclass(frozen=True)
class Collate:
    """``collate``: a mustache template rendered per correction into a query that must match a document
    (``suggestion`` is the correction's text, ``params`` the other variables). ``prune`` keeps the
    corrections that match nothing, marking every option with ``collate_match``. The template's
    ``lang`` and ``content_type`` are kept to be checked where Elasticsearch compiles the template (on
    the shard, ``PhraseSuggestionBuilder.build``)."""

    source: str
    params: dict[str, Any] = field(default_factory=dict, hash=False)
    prune: bool = False
    lang: str = "mustache"
    #: ``options.content_type`` (``application/json`` when the source was given as an object).
    content_type: str | None = None


@dataclass(frozen=True)
class PhraseSuggestion(SuggestionBase):
    """``phrase``: corrections of the whole ``text`` scored by a noisy channel over n-gram statistics."""

    max_errors: float = 0.5
    separator: str = " "
    real_word_error_likelihood: float = 0.949999988079071  # 0.95f
    confidence: float = 1.0
    gram_size: int | None = None
    force_unigrams: bool = True
    token_limit: int = 10
    pre_tag: str | None = None
    post_tag: str | None = None
    smoothing: Smoothing | None = None
    generators: tuple[DirectGenerator, ...] = ()
    collate: Collate | None = None


def _collate_json(c: Collate) -> dict[str, object]:
    """``collate`` printed back: the template as ``Script.toXContent`` prints an inline script."""
    query: dict[str, object] = {"source": c.source, "lang": c.lang}
    if c.content_type is not None:
        query["options"] = {"content_type": c.content_type}
    body: dict[str, object] = {"query": query}
    if c.params:
        body["params"] = c.params
    body["prune"] = c.prune
    return body


def _changed(value: object, default: object) -> bool:
    return value is not None and value != default


def phrase_json(s: PhraseSuggestion) -> dict[str, object]:
    """The suggestion printed back (``PhraseSuggestionBuilder.innerToXContent``, defaults left out)."""
    defaults = PhraseSuggestion(name="", field="", text="")
    keys = (
        "analyzer",
        "size",
        "shard_size",
        "max_errors",
        "separator",
        "real_word_error_likelihood",
        "confidence",
        "gram_size",
        "force_unigrams",
        "token_limit",
    )
    body: dict[str, object] = {"field": s.field, **changed_options(s, defaults, keys)}
    if s.pre_tag is not None:
        body["highlight"] = {"pre_tag": s.pre_tag, "post_tag": s.post_tag}
    if s.smoothing is not None:
        m = s.smoothing
        params: dict[str, object] = {
            "stupid_backoff": {"discount": m.discount},
            "laplace": {"alpha": m.alpha},
            "linear_interpolation": {
                "trigram_lambda": m.trigram_lambda,
                "bigram_lambda": m.bigram_lambda,
                "unigram_lambda": m.unigram_lambda,
            },
        }[m.kind]  # type: ignore[assignment]
        body["smoothing"] = {m.kind: params}
    if s.generators:
        gen_default = DirectGenerator(field="")
        body["direct_generator"] = [
            {
                f.name: getattr(g, f.name)
                for f in fields(g)
                if f.name == "field" or _changed(getattr(g, f.name), getattr(gen_default, f.name))
            }
            for g in s.generators
        ]
    if s.collate is not None:
        body["collate"] = _collate_json(s.collate)
    return {"text": s.text, "phrase": body}
