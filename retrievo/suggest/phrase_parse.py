"""``PhraseSuggestionBuilder.fromXContent`` and its setters' checks, the ``direct_generator`` parser
(``DirectCandidateGeneratorBuilder.PARSER``) and ``SmoothingModel.fromXContent``.

Java ``float`` parameters are kept as the float32 value Elasticsearch holds (``0.95`` is
``0.949999988…`` in its arithmetic). ``collate`` (a search template run per correction) is read by
``collate.py``; the generators' ``pre_filter``/``post_filter`` are refused with ``not_supported``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from retrievo.errors import bad_request, illegal_argument, not_supported, parsing_error
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import failed_field, x_content
from retrievo.suggest.collate import parse_collate
from retrievo.suggest.phrase_model import DirectGenerator, Smoothing

__all__ = ["parse_phrase"]

_STRING_DISTANCES = ("internal", "damerau_levenshtein", "levenshtein", "jaro_winkler", "ngram")


def _f32(value: float) -> float:
    return float(np.float32(value))


def _read(parser: str, key: str, value: Any, read: Callable[[Any], Any]) -> Any:
    try:
        return read(value)
    except jv.BadValue as bad:
        raise failed_field(parser, key, bad.cause) from None


def _generator(body: Any) -> DirectGenerator:
    """``DirectCandidateGeneratorBuilder.PARSER`` and ``build``'s checks."""
    if not isinstance(body, dict):
        raise x_content(f"[direct_generator] unknown token [{jv.token_of(body)}]")
    out: dict[str, Any] = {}
    for key, value in body.items():
        if key in ("field", "suggest_mode", "sort", "string_distance", "pre_filter", "post_filter"):
            if not jv.is_value(value):
                raise x_content(f"[direct_generator] {key} doesn't support values of type: {jv.token_of(value)}")
            out[key] = jv.java_text(value)
        elif key in ("size", "max_inspections", "max_edits", "min_word_length", "prefix_length"):
            out[key] = _read("direct_generator", key, value, jv.java_int)
        elif key in ("min_doc_freq", "accuracy", "max_term_freq"):
            out[key] = _f32(_read("direct_generator", key, value, jv.java_float))
        else:
            raise x_content(f"[direct_generator] unknown field [{key}]")
    if "field" not in out:
        raise illegal_argument("Required [field]")
    if "max_edits" in out and not 1 <= out["max_edits"] <= 2:
        raise illegal_argument(f"Illegal max_edits value {out['max_edits']}")
    if out.get("size", 5) <= 0:
        raise illegal_argument("Size must be positive")
    if "suggest_mode" in out:
        mode = out["suggest_mode"].lower()
        if mode not in ("missing", "popular", "always"):
            raise illegal_argument(f"Illegal suggest mode {mode}")
        out["suggest_mode"] = mode
    if "sort" in out:
        sort = out["sort"].lower()
        if sort not in ("score", "frequency"):
            raise illegal_argument(f"Illegal suggest sort {out['sort']}")
        out["sort"] = sort
    if "string_distance" in out:
        distance = out["string_distance"].lower()
        if distance not in _STRING_DISTANCES:
            raise illegal_argument(f"Illegal distance option {distance}")
        out["string_distance"] = distance
    for key in ("pre_filter", "post_filter"):
        if key in out:
            raise not_supported(f"[direct_generator] [{key}]", "candidate generators analyse with the field only")
    return DirectGenerator(**out)


def _smoothing(body: Any) -> Smoothing:
    """``SmoothingModel.fromXContent``: one of ``laplace``, ``stupid_backoff``, ``linear_interpolation``."""
    model: Smoothing | None = None
    for name, params in body.items():
        if not isinstance(params, dict):
            raise parsing_error(f"[smoothing] unknown token [{jv.token_of(params)}] after [{name}]")
        if name == "laplace":
            alpha = 0.5
            for key, value in params.items():
                if key != "alpha" or not jv.is_value(value):
                    raise parsing_error(f"suggester[phrase][smoothing][laplace] doesn't support field [{key}]")
                alpha = _read("laplace", key, value, jv.java_float)
            model = Smoothing("laplace", alpha=alpha)
        elif name == "stupid_backoff":
            discount = 0.4
            for key, value in params.items():
                if key != "discount" or not jv.is_value(value):
                    raise parsing_error(f"suggester[phrase][smoothing][stupid_backoff] doesn't support field [{key}]")
                discount = _read("stupid_backoff", key, value, jv.java_float)
            model = Smoothing("stupid_backoff", discount=discount)
        elif name == "linear_interpolation":
            lambdas = {"trigram_lambda": 0.0, "bigram_lambda": 0.0, "unigram_lambda": 0.0}
            for key, value in params.items():
                if key not in lambdas or not jv.is_value(value):
                    raise parsing_error(f"suggester[phrase][smoothing][linear] doesn't support field [{key}]")
                lambdas[key] = _read("linear_interpolation", key, value, jv.java_float)
            if abs(sum(lambdas.values()) - 1.0) > 0.001:
                raise illegal_argument("linear smoothing lambdas must sum to 1")
            model = Smoothing("linear_interpolation", **lambdas)
        else:
            raise illegal_argument(f"suggester[phrase] doesn't support object field [{name}]")
    if model is None:
        raise illegal_argument("suggester[phrase] [smoothing] needs a model")
    return model


def _highlight(body: dict[str, Any]) -> tuple[str | None, str | None]:
    pre = post = None
    for key, value in body.items():
        if key == "pre_tag" and jv.is_value(value):
            pre = jv.java_text(value)
        elif key == "post_tag" and jv.is_value(value):
            post = jv.java_text(value)
        else:
            raise parsing_error(f"suggester[phrase][highlight] doesn't support field [{key}]")
    if (pre is None) != (post is None):
        raise illegal_argument("Pre and post tag must both be null or both not be null.")
    return pre, post


def parse_phrase(body: dict[str, Any]) -> dict[str, Any]:
    """The options of a ``phrase`` suggestion, by ``PhraseSuggestion``'s field names."""
    out: dict[str, Any] = {}
    generators: list[DirectGenerator] = []
    for key, value in body.items():
        if jv.is_value(value):
            if key in ("analyzer", "field", "separator"):
                out[key] = jv.java_text(value)
            elif key in ("size", "shard_size", "gram_size", "token_limit"):
                out[key] = _read("phrase", key, value, jv.java_int)
            elif key in ("real_word_error_likelihood", "confidence", "max_errors"):
                out[key] = _f32(_read("phrase", key, value, jv.java_float))
            elif key == "force_unigrams":
                out[key] = _read("phrase", key, value, jv.java_bool)
            else:
                raise parsing_error(f"suggester[phrase] doesn't support field [{key}]")
        elif isinstance(value, list):
            if key != "direct_generator":
                raise parsing_error(f"suggester[phrase]  doesn't support array field [{key}]")
            generators.extend(_generator(item) for item in value)
        elif isinstance(value, dict):
            if key == "smoothing":
                if "smoothing" in out:
                    raise illegal_argument("only one smoothing model supported")
                out["smoothing"] = _smoothing(value)
            elif key == "highlight":
                out["pre_tag"], out["post_tag"] = _highlight(value)
            elif key == "collate":  # suggest/collate.py
                collate = parse_collate(value)
                if collate is not None:
                    out["collate"] = collate
            else:
                raise parsing_error(f"suggester[phrase]  doesn't support array field [{key}]")
        else:
            raise parsing_error(f"suggester[phrase] doesn't support field [{key}]")
    if "field" not in out:
        raise bad_request("parse_exception", "the required field option [field] is missing")
    # the setters' checks
    if out.get("size", 1) <= 0:
        raise illegal_argument("size must be positive")
    if out.get("shard_size", 1) <= 0:
        raise illegal_argument("shardSize must be positive")
    if out.get("gram_size", 1) < 1:
        raise illegal_argument("gramSize must be >= 1")
    if out.get("max_errors", 1.0) <= 0.0:
        raise illegal_argument("max_error must be > 0.0")
    if out.get("real_word_error_likelihood", 1.0) <= 0.0:
        raise illegal_argument("real_word_error_likelihood must be > 0.0")
    if out.get("confidence", 0.0) < 0.0:
        raise illegal_argument("confidence must be >= 0.0")
    if out.get("token_limit", 1) <= 0:
        raise illegal_argument("token_limit must be >= 1")
    out["generators"] = tuple(generators)
    return out
