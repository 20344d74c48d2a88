"""The ``_analyze`` API: the tokens an analyzer makes of a text, as Elasticsearch reports them.

Users check a mapping by looking at what the index stores, so this answers with Elasticsearch's
token records (``token``, ``start_offset``, ``end_offset``, ``type``, ``position``). Offsets are
UTF-16 indexes, as Java reports them; multi-position tokens (shingles, synonym graphs) also carry
``positionLength``. An ad-hoc chain (``tokenizer`` with ``char_filter`` / ``filter``, each a name or
an inline definition) is built like an index's custom analyzer. Normalizers, the ``explain`` mode
and several texts at once (whose positions depend on trailing removed tokens) are refused as not
supported rather than answered differently.
"""

from __future__ import annotations

from typing import Any

from retrievo.errors import bad_request, illegal_argument, not_supported, validation_error
from retrievo.index.analysis import KEYWORD, AnalysisRegistry, Analyzer, Token
from retrievo.inference.chunking import utf16_offset

_UNSUPPORTED = ("normalizer", "explain", "attributes")
_CHAIN = ("tokenizer", "filter", "char_filter")


def _text_of(text: Any) -> str:
    if isinstance(text, list):
        if len(text) != 1:
            if not text:
                raise validation_error("text is missing")
            raise not_supported("[_analyze] of more than one [text] value")
        text = text[0]
    if text is None:
        raise validation_error("text is missing")
    if not isinstance(text, str):
        raise illegal_argument(f"[text] must be a string, got [{text!r}]")
    return text


def choose_analyzer(
    registry: AnalysisRegistry | None, mappings: Any, *, analyzer: str | None, field: str | None
) -> Analyzer:
    """``analyzer`` by name, else the index-time analyzer of ``field``, else the index's default
    (``standard`` without an index). ``registry``/``mappings`` are ``None`` when no index is named."""
    if analyzer is not None:
        if registry is None:
            global_registry = AnalysisRegistry()
            if analyzer not in global_registry:
                raise illegal_argument(f"failed to find global analyzer [{analyzer}]")
            return global_registry.get(analyzer)
        return registry.get(analyzer)
    if field is not None:
        if registry is None or mappings is None:
            raise illegal_argument("analysis based on a specific field requires an index")
        fm = mappings.field(field)
        if fm is not None:
            if fm.type in ("text", "search_as_you_type"):
                return registry.get(fm.analyzer or mappings.default_analyzer)
            if fm.type == "keyword":
                return KEYWORD
            raise illegal_argument(
                f"Can't process field [{field}], Analysis requests are only supported on tokenized fields"
            )
    if registry is None or mappings is None:
        return AnalysisRegistry().get("standard")
    return registry.get(mappings.default_analyzer)


def analyze(registry: AnalysisRegistry | None, mappings: Any, request: dict[str, Any]) -> dict[str, Any]:
    """The ``_analyze`` response for ``request`` (``text``, ``analyzer``, ``field``)."""
    for key in _UNSUPPORTED:
        if request.get(key) is not None:
            raise not_supported(f"[_analyze] with [{key}]")
    unknown = sorted(set(request) - {"text", "analyzer", "field", *_UNSUPPORTED, *_CHAIN})
    if unknown:
        raise bad_request("x_content_parse_exception", f"[analyze_request] unknown field [{unknown[0]}]")
    for key in ("analyzer", "field"):  # a name: an object or array there is the parser's error, not a crash
        value = request.get(key)
        if isinstance(value, dict | list):
            token = "START_OBJECT" if isinstance(value, dict) else "START_ARRAY"
            raise bad_request(
                "x_content_parse_exception", f"[analyze_request] {key} doesn't support values of type: {token}"
            )
    text = _text_of(request.get("text"))
    chosen = _chain_of(registry, request) or choose_analyzer(
        registry, mappings, analyzer=request.get("analyzer"), field=request.get("field")
    )
    return {"tokens": [_token_json(text, t) for t in chosen.analyze(text)]}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _chain_of(registry: AnalysisRegistry | None, request: dict[str, Any]) -> Analyzer | None:
    """The analyzer of an ad-hoc ``tokenizer`` / ``char_filter`` / ``filter`` request, or None."""
    tokenizer = request.get("tokenizer")
    char_filters, filters = _as_list(request.get("char_filter")), _as_list(request.get("filter"))
    if tokenizer is None and not char_filters and not filters:
        return None
    if request.get("analyzer") is not None:
        raise validation_error("custom tokenizer or filters cannot be specified if a named analyzer is used")
    if tokenizer is None:
        raise not_supported("[_analyze] with [filter] or [char_filter] but no [tokenizer]", "normalizer chains")
    owner = registry if registry is not None else AnalysisRegistry()
    return owner.chain(tokenizer, char_filters, filters, global_only=registry is None)


def _token_json(text: str, t: Token) -> dict[str, Any]:
    out: dict[str, Any] = {
        "token": t.term,
        "start_offset": utf16_offset(text, t.start_offset),
        "end_offset": utf16_offset(text, t.end_offset),
        "type": t.type,
        "position": t.position,
    }
    if t.position_length > 1:  # ES writes positionLength only for multi-position tokens
        out["positionLength"] = t.position_length
    return out
