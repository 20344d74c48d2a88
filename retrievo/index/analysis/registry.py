"""Builds an index's analyzers from ``settings.analysis`` the way Elasticsearch's AnalysisRegistry does.

Order and wording follow ES: tokenizers and filters are built first (so a broken filter
definition fails even when no analyzer uses it), then analyzers; error messages are ES's own.
Where ES would silently ignore something (an unknown parameter in a definition) we reject it
instead, naming the setting like ES's index-settings validation does: a typo that ES would ignore
is almost always a bug in the caller's settings, and silently analyzing differently is worse.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from retrievo.errors import ApiError, BadRequestError, api_error, error_cause, illegal_argument, not_supported

from . import standard_tokenizer as _std
from .analyzers import (
    BUILTIN_ANALYZERS,
    DEFAULT_POSITION_INCREMENT_GAP,
    Analyzer,
    EnglishAnalyzer,
    StandardAnalyzer,
    keyword_analyzer,
    simple_analyzer,
    stop_analyzer,
    whitespace_analyzer,
)
from .char_filters import CharFilter, CharFilteredTokenizer
from .component_factories import (
    PRECONFIGURED_FILTERS,
    PRECONFIGURED_TOKENIZERS,
    IndexLimits,
    Unsupported,
    build_char_filter,
    build_filter,
    build_tokenizer,
)
from .filters import (
    ENGLISH_STOP_WORDS,
    AsciiFoldingFilter,
    EnglishPossessiveFilter,
    LowercaseFilter,
    PorterStemFilter,
    StopFilter,
    TokenFilter,
    UppercaseFilter,
)
from .html_strip import HtmlStripCharFilter
from .stemmers import SNOWBALL_LANGUAGES, MinimalEnglishStemFilter, SnowballStemFilter
from .synonyms import SynonymBuildError, bind_chain
from .tokenizers import KeywordTokenizer, LetterTokenizer, StandardTokenizer, Tokenizer, WhitespaceTokenizer

Definition = Mapping[str, Any]

# ES's named stop word lists (Analysis.NAMED_STOP_WORDS); only English is bundled here.
_NAMED_STOP_WORDS: dict[str, frozenset[str]] = {"_english_": ENGLISH_STOP_WORDS}
_UNSUPPORTED_NAMED_LISTS = frozenset(
    f"_{lang}_"
    for lang in (
        "arabic armenian basque bengali brazilian bulgarian catalan czech danish dutch estonian "
        "finnish french galician german greek hindi hungarian indonesian irish italian latvian "
        "lithuanian norwegian persian portuguese romanian russian sorani spanish swedish thai turkish cjk"
    ).split()
)

# Types that exist in Elasticsearch but are not implemented here: refused as unsupported rather
# than reported as "unknown", which would mislead someone porting a real index.
_ES_ONLY_FILTER_TYPES = frozenset(
    "arabic_normalization cjk_bigram cjk_width classic common_grams condition "
    "delimited_payload dictionary_decompounder fingerprint flatten_graph "
    "hunspell hyphenation_decompounder keep_types keyword_marker kstem "
    "min_hash multiplexer normalization pattern_capture phonetic "
    "predicate_token_filter stemmer_override "
    "word_delimiter".split()
)
_ES_ONLY_TOKENIZER_TYPES = frozenset(
    "char_group classic lowercase simple_pattern simple_pattern_split thai uax_url_email icu_tokenizer".split()
)
_ES_ONLY_ANALYZER_TYPES = frozenset(
    "fingerprint pattern snowball arabic armenian basque bengali brazilian bulgarian catalan cjk "
    "czech danish dutch estonian finnish french galician german greek hindi hungarian indonesian "
    "irish italian latvian lithuanian norwegian persian portuguese romanian russian sorani spanish "
    "swedish turkish thai".split()
)


# ----------------------------------------------------------------------------- parameter parsing


class _Params:
    """Reads one definition, remembering which keys were consumed so leftovers can be refused."""

    def __init__(self, kind: str, name: str, definition: Definition) -> None:
        if not isinstance(definition, Mapping):
            raise illegal_argument(
                f"Failed to load settings for [index.analysis.{kind}.{name}]: expected an object, got [{definition!r}]"
            )
        self.kind, self.name, self.d = kind, name, definition
        self.used: set[str] = {"type"}

    def setting(self, key: str) -> str:
        return f"index.analysis.{self.kind}.{self.name}.{key}"

    def has(self, key: str) -> bool:
        return key in self.d

    def raw(self, key: str, default: Any = None) -> Any:
        self.used.add(key)
        return self.d.get(key, default)

    def integer(self, key: str, default: int) -> int:
        value = self.raw(key, default)
        if isinstance(value, bool):
            raise illegal_argument(f"Failed to parse value [{str(value).lower()}] for setting [{self.setting(key)}]")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise illegal_argument(f"Failed to parse value [{value}] for setting [{self.setting(key)}]")

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw(key, default)
        if isinstance(value, bool):
            return value
        if value == "true" or value == "false":
            return bool(value == "true")
        raise illegal_argument(f"Failed to parse value [{value}] as only [true] or [false] are allowed.")

    def string(self, key: str, default: str | None = None) -> str | None:
        value = self.raw(key, default)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        raise illegal_argument(f"Failed to parse value [{value}] for setting [{self.setting(key)}]")

    def string_list(self, key: str) -> list[str]:
        """ES ``Settings.getAsList``: a single string counts as a one-element list."""
        value = self.raw(key, [])
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
        raise illegal_argument(
            f"Failed to parse value [{value}] for setting [{self.setting(key)}]: expected a list of strings"
        )

    def word_set(self, key: str, default: frozenset[str]) -> frozenset[str]:
        """ES ``Analysis.parseWords``: "_none_", named lists ("_english_"), or explicit words."""
        if self.has(f"{key}_path"):
            self.used.add(f"{key}_path")
            raise not_supported(f"[{key}_path]", "word lists must be given inline")
        if not self.has(key):
            return default
        value = self.raw(key)
        if value == "_none_":
            return frozenset()
        words = self.string_list(key)
        out: set[str] = set()
        for w in words:
            if w in _NAMED_STOP_WORDS:
                out |= _NAMED_STOP_WORDS[w]
            elif w in _UNSUPPORTED_NAMED_LISTS:
                raise not_supported(f"stop word list [{w}]", "only [_english_] and [_none_] are available")
            else:
                out.add(w)
        return frozenset(out)

    def finish(self) -> None:
        for key in self.d:
            if key not in self.used:
                raise illegal_argument(
                    f"unknown setting [{self.setting(key)}] please check that any required plugins are installed, "
                    "or check the breaking changes documentation for removed settings"
                )


def _type_of(kind: str, name: str, definition: Definition) -> str:
    if not isinstance(definition, Mapping):
        raise illegal_argument(f"Failed to load settings for [index.analysis.{kind}.{name}]: expected an object")
    t = definition.get("type")
    if t is None:
        raise illegal_argument(f"{kind} [{name}] must specify either an analyzer type, or a tokenizer")
    if not isinstance(t, str):
        raise illegal_argument(f"Failed to parse value [{t}] for setting [index.analysis.{kind}.{name}.type]")
    return t


def _unknown(kind: str, type_name: str, name: str, es_only: frozenset[str]) -> BadRequestError:
    if type_name in es_only:
        return not_supported(f"{kind} type [{type_name}]", f"used by [{name}]")
    return illegal_argument(f"Unknown {kind} type [{type_name}] for [{name}]")


def _value_error(fn: Callable[[], Any]) -> Any:
    """Turns a component's ValueError (Lucene's IllegalArgumentException) into a 400, a refused
    setting into ``not supported``, and a RuntimeError (ES's RuntimeException) into its 500."""
    try:
        return fn()
    except Unsupported as e:
        raise not_supported(e.what, e.detail) from None
    except ValueError as e:
        raise illegal_argument(str(e)) from None
    except RuntimeError as e:
        raise _runtime_error(str(e)) from None


def _runtime_error(reason: str) -> ApiError:
    return api_error("runtime_exception", reason, status=500)


# ------------------------------------------------------------------------------------ tokenizers


def _build_tokenizer(name: str, definition: Definition, limits: IndexLimits) -> Tokenizer:
    t = _type_of("tokenizer", name, definition)
    p = _Params("tokenizer", name, definition)
    tok: Tokenizer
    extra = _value_error(lambda: build_tokenizer(t, p, limits))
    if extra is not None:
        tok = extra
    elif t == "standard":
        n = p.integer("max_token_length", _std.DEFAULT_MAX_TOKEN_LENGTH)
        tok = _value_error(lambda: StandardTokenizer(n))
    elif t == "whitespace":
        n = p.integer("max_token_length", 255)
        tok = _value_error(lambda: WhitespaceTokenizer(n))
    elif t == "letter":
        tok = LetterTokenizer()
    elif t == "keyword":
        n = p.integer("buffer_size", 256)
        tok = _value_error(lambda: KeywordTokenizer(n))
    else:
        raise _unknown("tokenizer", t, name, _ES_ONLY_TOKENIZER_TYPES)
    p.finish()
    return tok


_BUILTIN_TOKENIZERS: dict[str, Callable[[], Tokenizer]] = {
    "standard": StandardTokenizer,
    "whitespace": WhitespaceTokenizer,
    "letter": LetterTokenizer,
    "keyword": KeywordTokenizer,
    **PRECONFIGURED_TOKENIZERS,
}


# --------------------------------------------------------------------------------------- filters

_STEMMER_LANGUAGES: dict[str, Callable[[], TokenFilter]] = {
    "english": PorterStemFilter,
    "porter": PorterStemFilter,
    "possessive_english": EnglishPossessiveFilter,
    "possessiveenglish": EnglishPossessiveFilter,
    "minimal_english": MinimalEnglishStemFilter,
    "minimalenglish": MinimalEnglishStemFilter,
    **{lang: partial(SnowballStemFilter, lang) for lang in SNOWBALL_LANGUAGES},
}


def _build_filter(name: str, definition: Definition, limits: IndexLimits) -> TokenFilter:
    t = _type_of("filter", name, definition)
    p = _Params("filter", name, definition)
    f: TokenFilter
    extra = _value_error(lambda: build_filter(t, p, limits))
    if extra is not None:
        f = extra
    elif t == "lowercase":
        if p.has("language"):
            lang = p.string("language")
            raise not_supported(f"[lowercase] filter language [{lang}]", f"used by [{name}]")
        f = LowercaseFilter()
    elif t == "uppercase":
        f = UppercaseFilter()
    elif t == "stop":
        words = p.word_set("stopwords", ENGLISH_STOP_WORDS)
        ignore_case = p.boolean("ignore_case", False)
        if not p.boolean("remove_trailing", True):
            raise not_supported("[remove_trailing: false] on the stop filter", f"used by [{name}]")
        f = StopFilter(words, ignore_case)
    elif t in ("porter_stem", "english_possessive_stemmer"):
        f = PorterStemFilter() if t == "porter_stem" else EnglishPossessiveFilter()
    elif t == "stemmer":
        language = p.string("language") if p.has("language") else p.string("name", "english")
        make = _STEMMER_LANGUAGES.get((language or "").lower())
        if make is None:
            raise not_supported(f"stemmer language [{language}]", f"available: {', '.join(_STEMMER_LANGUAGES)}")
        f = make()
    elif t == "asciifolding":
        f = AsciiFoldingFilter(p.boolean("preserve_original", False))
    else:
        raise _unknown("filter", t, name, _ES_ONLY_FILTER_TYPES)
    p.finish()
    return f


_BUILTIN_FILTERS: dict[str, Callable[[], TokenFilter]] = {
    "lowercase": LowercaseFilter,
    "uppercase": UppercaseFilter,
    "stop": lambda: StopFilter(ENGLISH_STOP_WORDS),
    "porter_stem": PorterStemFilter,
    "stemmer": PorterStemFilter,
    "english_possessive_stemmer": EnglishPossessiveFilter,
    "asciifolding": AsciiFoldingFilter,
    **PRECONFIGURED_FILTERS,
}


def _build_char_filter(name: str, definition: Definition) -> CharFilter:
    t = _type_of("char_filter", name, definition)
    p = _Params("char_filter", name, definition)
    cf = _value_error(lambda: build_char_filter(t, p))
    if cf is None:
        raise illegal_argument(f"Unknown char_filter type [{t}] for [{name}]")
    p.finish()
    return cf


# ------------------------------------------------------------------------------------- analyzers


def _build_analyzer(
    name: str,
    definition: Definition,
    tokenizers: Mapping[str, Tokenizer],
    filters: Mapping[str, TokenFilter],
    char_filters: Mapping[str, CharFilter],
) -> Analyzer:
    if not isinstance(definition, Mapping):
        raise illegal_argument(f"Failed to load settings for [index.analysis.analyzer.{name}]: expected an object")
    t = definition.get("type")
    if t is None and definition.get("tokenizer") is None:
        raise illegal_argument(f"analyzer [{name}] must specify either an analyzer type, or a tokenizer")
    p = _Params("analyzer", name, definition)
    gap = p.integer("position_increment_gap", DEFAULT_POSITION_INCREMENT_GAP)
    doc = {k: v for k, v in definition.items()}
    analyzer: Analyzer
    if t is None or t == "custom":
        analyzer = _build_custom(name, p, tokenizers, filters, char_filters, gap, doc)
    elif t == "standard":
        words = p.word_set("stopwords", frozenset())
        max_len = p.integer("max_token_length", _std.DEFAULT_MAX_TOKEN_LENGTH)
        analyzer = _value_error(
            lambda: StandardAnalyzer(name, words, max_len, position_increment_gap=gap, definition=doc)
        )
    elif t == "english":
        words = p.word_set("stopwords", ENGLISH_STOP_WORDS)
        exclusion = frozenset(p.string_list("stem_exclusion"))
        analyzer = EnglishAnalyzer(name, words, exclusion, position_increment_gap=gap, definition=doc)
    elif t == "stop":
        words = p.word_set("stopwords", ENGLISH_STOP_WORDS)
        analyzer = stop_analyzer(name, words, position_increment_gap=gap, definition=doc)
    elif t == "simple":
        analyzer = simple_analyzer(name, position_increment_gap=gap, definition=doc)
    elif t == "whitespace":
        analyzer = whitespace_analyzer(name, position_increment_gap=gap, definition=doc)
    elif t == "keyword":
        analyzer = keyword_analyzer(name, position_increment_gap=gap, definition=doc)
    elif isinstance(t, str):
        raise _unknown("analyzer", t, name, _ES_ONLY_ANALYZER_TYPES)
    else:
        raise illegal_argument(f"Failed to parse value [{t}] for setting [index.analysis.analyzer.{name}.type]")
    p.finish()
    return analyzer


def _build_custom(
    name: str,
    p: _Params,
    tokenizers: Mapping[str, Tokenizer],
    filters: Mapping[str, TokenFilter],
    char_filters: Mapping[str, CharFilter],
    gap: int,
    doc: dict[str, Any],
) -> Analyzer:
    tokenizer_name = p.string("tokenizer")
    if tokenizer_name is None:
        raise illegal_argument(f"Custom Analyzer [{name}] must be configured with a tokenizer")
    tokenizer = tokenizers.get(tokenizer_name)
    if tokenizer is None:
        raise illegal_argument(f"Custom Analyzer [{name}] failed to find tokenizer under name [{tokenizer_name}]")
    chars: list[CharFilter] = []
    for char_filter in p.string_list("char_filter"):
        cf = char_filters.get(char_filter)
        if cf is None and char_filter == "html_strip":  # the pre-built char filter
            cf = HtmlStripCharFilter()
        if cf is None:
            raise illegal_argument(f"Custom Analyzer [{name}] failed to find char_filter under name [{char_filter}]")
        chars.append(cf)
    if chars:
        tokenizer = CharFilteredTokenizer(chars, tokenizer)
    named: list[tuple[str, TokenFilter]] = []
    for filter_name in p.string_list("filter"):
        f = filters.get(filter_name)
        if f is None:
            raise illegal_argument(f"Custom Analyzer [{name}] failed to find filter under name [{filter_name}]")
        named.append((filter_name, f))
    chain = _bind_synonyms(tokenizer, named)
    p.integer("offset_gap", -1)  # accepted for compatibility; offsets across values are not kept
    return Analyzer(name, tokenizer, chain, position_increment_gap=gap, definition=doc)


def _bind_synonyms(tokenizer: Tokenizer, named: list[tuple[str, TokenFilter]]) -> list[TokenFilter]:
    """Synonym filters parse their rules with the chain before them, so they are built here."""
    try:
        bound: list[TokenFilter] = _value_error(lambda: bind_chain(tokenizer, named))
        return bound
    except SynonymBuildError as e:
        parse = error_cause(
            "parse_exception",
            f"Invalid synonym rule at line {e.cause.line}",
            error_cause("illegal_argument_exception", str(e.cause)),
        )
        raise illegal_argument(str(e), caused_by=parse) from None


# -------------------------------------------------------------------------------------- registry

_SECTIONS = ("analyzer", "tokenizer", "filter", "char_filter", "normalizer")


class AnalysisRegistry:
    """The analyzers of one index: built-ins plus those defined in its settings."""

    __slots__ = ("_analyzers", "_analysis", "_limits")

    def __init__(
        self,
        analyzers: Mapping[str, Analyzer] | None = None,
        analysis: Mapping[str, Any] | None = None,
        limits: IndexLimits | None = None,
    ) -> None:
        merged = dict(BUILTIN_ANALYZERS)
        merged["default"] = BUILTIN_ANALYZERS["standard"]
        if analyzers:
            merged.update(analyzers)
        self._analyzers: dict[str, Analyzer] = merged
        # The settings it was built from, for ``_analyze`` chains that name the index's components.
        self._analysis: Mapping[str, Any] = analysis or {}
        self._limits = limits or IndexLimits()

    @classmethod
    def from_settings(
        cls, analysis: Mapping[str, Any] | None, *, max_ngram_diff: int = 1, max_shingle_diff: int = 3
    ) -> AnalysisRegistry:
        """Builds from the ``settings.analysis`` object (``{"analyzer": {...}, "tokenizer": ...}``);
        ``max_ngram_diff``/``max_shingle_diff`` are the index-level limits of those names."""
        limits = IndexLimits(max_ngram_diff, max_shingle_diff)
        if not analysis:
            return cls(limits=limits)
        if not isinstance(analysis, Mapping):
            raise illegal_argument(
                f"Failed to load settings for [index.analysis]: expected an object, got [{analysis!r}]"
            )
        for section in analysis:
            if section not in _SECTIONS:
                raise illegal_argument(
                    f"unknown setting [index.analysis.{section}] please check that any required plugins are "
                    "installed, or check the breaking changes documentation for removed settings"
                )
        for item_name in _section(analysis, "normalizer"):
            raise not_supported("normalizers", f"[{item_name}]")
        char_filters = {k: _build_char_filter(k, d) for k, d in _section(analysis, "char_filter").items()}
        tokenizers: dict[str, Tokenizer] = {k: make() for k, make in _BUILTIN_TOKENIZERS.items()}
        for item_name, definition in _section(analysis, "tokenizer").items():
            tokenizers[item_name] = _build_tokenizer(item_name, definition, limits)
        filters: dict[str, TokenFilter] = {k: make() for k, make in _BUILTIN_FILTERS.items()}
        for item_name, definition in _section(analysis, "filter").items():
            filters[item_name] = _build_filter(item_name, definition, limits)
        analyzers: dict[str, Analyzer] = {}
        for item_name, definition in _section(analysis, "analyzer").items():
            if item_name.startswith("_"):
                raise illegal_argument(f"analyzer name must not start with '_'. got \"{item_name}\"")
            analyzers[item_name] = _build_analyzer(item_name, definition, tokenizers, filters, char_filters)
        if "default_index" in analyzers:
            raise illegal_argument(
                "setting [index.analysis.analyzer.default_index] is not supported anymore, use "
                "[index.analysis.analyzer.default] instead"
            )
        return cls(analyzers, analysis, limits)

    def chain(self, tokenizer: Any, char_filters: list[Any], filters: list[Any], *, global_only: bool) -> Analyzer:
        """An ad-hoc analyzer for ``_analyze``: each part names a component (this index's own first,
        then the built-ins) or defines one inline, as in ES's TransportAnalyzeAction."""
        sections = {k: dict(_section(self._analysis, k)) for k in ("tokenizer", "filter", "char_filter")}
        builtin: dict[str, Mapping[str, Any]] = {
            "tokenizer": _BUILTIN_TOKENIZERS,
            "filter": _BUILTIN_FILTERS,
            "char_filter": {"html_strip": HtmlStripCharFilter},
        }

        def ref(kind: str, value: Any, slot: str) -> str:
            if isinstance(value, Mapping):
                sections[kind][slot] = value
                return slot
            if not isinstance(value, str):
                raise illegal_argument(f"[{kind}] must be a name or an object, got [{value!r}]")
            if value in sections[kind] or value in builtin[kind]:
                return value
            raise illegal_argument(f"failed to find {'global ' if global_only else ''}{kind} under [{value}]")

        chain = {
            "tokenizer": ref("tokenizer", tokenizer, "_anonymous_tokenizer"),
            "char_filter": [ref("char_filter", v, f"_anonymous_charfilter_{i}") for i, v in enumerate(char_filters)],
            "filter": [ref("filter", v, f"_anonymous_tokenfilter_{i}") for i, v in enumerate(filters)],
        }
        analysis = {**sections, "analyzer": {"analyze request": chain}}
        limits = self._limits
        registry = AnalysisRegistry.from_settings(
            analysis, max_ngram_diff=limits.max_ngram_diff, max_shingle_diff=limits.max_shingle_diff
        )
        return registry.get("analyze request")

    def get(self, name: str) -> Analyzer:
        analyzer = self._analyzers.get(name)
        if analyzer is None:
            raise illegal_argument(f"failed to find analyzer [{name}]")
        return analyzer

    def __contains__(self, name: object) -> bool:
        return name in self._analyzers

    def names(self) -> list[str]:
        return sorted(self._analyzers)

    def custom(self) -> dict[str, Analyzer]:
        """Analyzers defined in the settings (not the built-ins)."""
        return {k: v for k, v in self._analyzers.items() if v.to_json() is not None}


def _section(analysis: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = analysis.get(key) or {}
    if not isinstance(value, Mapping):
        raise illegal_argument(
            f"Failed to load settings for [index.analysis.{key}]: expected an object, got [{value!r}]"
        )
    return value
