"""Settings -> component for the n-gram, path, pattern, shingle and term-rewriting pieces and the
char filters: ES's ``*TokenizerFactory`` / ``*TokenFilterFactory`` / ``*CharFilterFactory``
parameter names, defaults, limits and messages. Kept apart from ``registry`` so that the registry
only dispatches on ``type``; each builder returns None for a type it does not own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from .char_filters import CharFilter, MappingCharFilter, PatternReplaceCharFilter, parse_mapping_string
from .filters import TokenFilter
from .html_strip import HtmlStripCharFilter
from .java_regex import UnsupportedRegex, compile_java
from .ngrams import TOKEN_CHAR_CLASSES, EdgeNGramTokenFilter, EdgeNGramTokenizer, NGramTokenFilter, NGramTokenizer
from .path_tokenizers import PathHierarchyTokenizer, PatternTokenizer
from .shingles import ShingleFilter
from .stemmers import SNOWBALL_LANGUAGES, SnowballStemFilter
from .synonym_sets import SetSynonymRules
from .synonyms import SynonymRules
from .term_filters import (
    ApostropheFilter,
    DecimalDigitFilter,
    ElisionFilter,
    KeepWordsFilter,
    LengthFilter,
    LimitFilter,
    PatternReplaceFilter,
    RemoveDuplicatesFilter,
    ReverseFilter,
    TrimFilter,
    TruncateFilter,
    UniqueFilter,
)
from .tokenizers import Tokenizer
from .word_delimiter import WordDelimiterGraphFilter


class Params(Protocol):
    """What the registry's definition reader offers (consumed keys are tracked there)."""

    name: str

    def has(self, key: str) -> bool: ...
    def integer(self, key: str, default: int) -> int: ...
    def boolean(self, key: str, default: bool) -> bool: ...
    def string(self, key: str, default: str | None = None) -> str | None: ...
    def string_list(self, key: str) -> list[str]: ...
    def raw(self, key: str, default: Any = None) -> Any: ...


class Unsupported(ValueError):
    """A setting ES accepts that retrievo refuses; ``what`` names it for ``not_supported``."""

    def __init__(self, what: str, detail: str = "") -> None:
        super().__init__(what)
        self.what, self.detail = what, detail


@dataclass(frozen=True, slots=True)
class IndexLimits:
    """Index-level settings that bound analysis definitions (ES defaults)."""

    max_ngram_diff: int = 1
    max_shingle_diff: int = 3


def _compile(p: Params, default: str) -> tuple[Any, str, str | None]:
    source = p.string("pattern", default)
    flags = p.string("flags")
    assert source is not None
    try:
        return compile_java(source, flags), source, flags
    except UnsupportedRegex as e:
        raise Unsupported(f"Java regex construct [{e}]", f"in pattern [{source}] of [{p.name}]") from None


def _token_chars(p: Params) -> tuple[list[str], str]:
    classes = [c.lower().strip() for c in p.string_list("token_chars")]
    custom = p.string("custom_token_chars", "") or ""
    for c in classes:
        if c == "custom":
            if not custom:
                raise ValueError("Token type: 'custom' requires setting `custom_token_chars`")
        elif c not in TOKEN_CHAR_CLASSES:
            known = ", ".join(sorted([*TOKEN_CHAR_CLASSES, "custom"]))
            raise ValueError(f"Unknown token type: '{c}', must be one of [{known}]")
    return classes, custom


def build_tokenizer(t: str, p: Params, limits: IndexLimits) -> Tokenizer | None:
    if t in ("ngram", "edge_ngram"):
        min_gram = p.integer("min_gram", 1)
        max_gram = p.integer("max_gram", 2)  # both factories default to NGramTokenizer's 1..2
        if t == "ngram" and max_gram - min_gram > limits.max_ngram_diff:
            raise ValueError(
                "The difference between max_gram and min_gram in NGram Tokenizer must be less than or equal to: "
                f"[{limits.max_ngram_diff}] but was [{max_gram - min_gram}]. This limit can be set by changing the "
                "[index.max_ngram_diff] index level setting."
            )
        classes, custom = _token_chars(p)
        cls = NGramTokenizer if t == "ngram" else EdgeNGramTokenizer
        return cls(min_gram, max_gram, classes, custom)
    if t == "path_hierarchy":
        buffer_size = p.integer("buffer_size", 1024)
        delimiter = p.string("delimiter", "/") or ""
        if len(delimiter) != 1:
            raise ValueError("delimiter must be a one char value")
        replacement = p.string("replacement")
        if replacement is not None and len(replacement) != 1:
            raise ValueError("replacement must be a one char value")
        skip = p.integer("skip", 0)
        reverse = p.boolean("reverse", False)
        return PathHierarchyTokenizer(delimiter, replacement, skip, reverse, buffer_size)
    if t == "pattern":
        pattern, source, flags = _compile(p, "\\W+")
        return PatternTokenizer(pattern, source, flags, p.integer("group", -1))
    return None


def build_filter(t: str, p: Params, limits: IndexLimits) -> TokenFilter | None:
    if t in ("ngram", "edge_ngram"):
        min_gram = p.integer("min_gram", 1)
        max_gram = p.integer("max_gram", 2)
        if t == "ngram" and max_gram - min_gram > limits.max_ngram_diff:
            raise ValueError(
                "The difference between max_gram and min_gram in NGram Token Filter must be less than or equal to: "
                f"[{limits.max_ngram_diff}] but was [{max_gram - min_gram}]. This limit can be set by changing the "
                "[index.max_ngram_diff] index level setting."
            )
        if t == "edge_ngram" and p.has("side"):
            side = p.string("side")
            if side != "front":
                raise Unsupported(f"[side: {side}] on the edge_ngram filter", "use a reverse filter around it")
        cls = NGramTokenFilter if t == "ngram" else EdgeNGramTokenFilter
        return cls(min_gram, max_gram, p.boolean("preserve_original", False))
    if t == "shingle":
        max_size = p.integer("max_shingle_size", 2)
        min_size = p.integer("min_shingle_size", 2)
        unigrams = p.boolean("output_unigrams", True)
        diff = max_size - min_size + (1 if unigrams else 0)
        if diff > limits.max_shingle_diff:
            raise ValueError(
                "In Shingle TokenFilter the difference between max_shingle_size and min_shingle_size (and +1 if "
                f"outputting unigrams) must be less than or equal to: [{limits.max_shingle_diff}] but was [{diff}]. "
                "This limit can be set by changing the [index.max_shingle_diff] index level setting."
            )
        return ShingleFilter(
            min_size,
            max_size,
            unigrams,
            p.boolean("output_unigrams_if_no_shingles", False),
            p.string("token_separator", " ") or "",
            p.string("filler_token", "_") or "",
        )
    if t == "snowball":
        language = p.string("language") if p.has("language") else p.string("name", "English")
        key = (language or "").lower()
        if key not in SNOWBALL_LANGUAGES:
            available = ", ".join(lang.capitalize() for lang in SNOWBALL_LANGUAGES)
            raise Unsupported(f"snowball language [{language}]", f"available: {available}")
        return SnowballStemFilter(key)
    if t in ("synonym", "synonym_graph"):
        return _synonym_rules(t, p)
    if t == "pattern_replace":
        if not p.has("pattern"):
            raise ValueError(f"pattern is missing for [{p.name}] token filter of type 'pattern_replace'")
        pattern, source, _flags = _compile(p, "")
        return PatternReplaceFilter(pattern, source, p.string("replacement", "") or "", p.boolean("all", True))
    if t == "word_delimiter_graph":
        return _word_delimiter_graph(p)
    if t in ("keep", "elision"):
        key = "keep_words" if t == "keep" else "articles"
        if p.has(f"{key}_path"):
            p.raw(f"{key}_path")
            raise Unsupported(f"[{key}_path]", "word lists must be given inline")
        if not p.has(key):
            if t == "keep":
                raise ValueError("keep requires either `keep_words` or `keep_words_path` to be configured")
            raise ValueError("elision filter requires [articles] or [articles_path] setting")
        words = frozenset(p.string_list(key))
        ignore_case = p.boolean(f"{key}_case", False)  # ES: "*_case: true" builds a case-insensitive set
        return KeepWordsFilter(words, ignore_case) if t == "keep" else ElisionFilter(words, ignore_case)
    simple: dict[str, Callable[[], TokenFilter]] = {
        "trim": TrimFilter,
        "reverse": ReverseFilter,
        "truncate": lambda: TruncateFilter(p.integer("length", -1)),
        "length": lambda: LengthFilter(p.integer("min", 0), p.integer("max", 2**31 - 1)),
        "unique": lambda: UniqueFilter(p.boolean("only_on_same_position", False)),
        "limit": lambda: LimitFilter(p.integer("max_token_count", 1), p.boolean("consume_all_tokens", False)),
        "remove_duplicates": RemoveDuplicatesFilter,
        "apostrophe": ApostropheFilter,
        "decimal_digit": DecimalDigitFilter,
    }
    make = simple.get(t)
    return make() if make is not None else None


def _word_delimiter_graph(p: Params) -> WordDelimiterGraphFilter:
    for key, why in (
        ("protected_words_path", "give [protected_words] inline"),
        ("type_table", "custom character types are not available"),
        ("type_table_path", "custom character types are not available"),
    ):
        if p.has(key):
            p.raw(key)
            raise Unsupported(f"[{key}] on the word_delimiter_graph filter", why)
    flags = {
        key: p.boolean(key, default)
        for key, default in (
            ("generate_word_parts", True),
            ("generate_number_parts", True),
            ("catenate_words", False),
            ("catenate_numbers", False),
            ("catenate_all", False),
            ("split_on_case_change", True),
            ("preserve_original", False),
            ("split_on_numerics", True),
            ("stem_english_possessive", True),
            ("adjust_offsets", True),
        )
    }
    # Nothing in retrievo marks keywords, so ignore_keywords can change nothing: read and accepted.
    p.boolean("ignore_keywords", False)
    return WordDelimiterGraphFilter(**flags, protected_words=p.string_list("protected_words"))


def _synonym_rules(t: str, p: Params) -> SynonymRules:
    # SynonymsSource.fromSettings: inline rules first, then a synonyms set, then a file
    source = next((k for k in ("synonyms", "synonyms_set", "synonyms_path") if p.has(k)), None)
    if source == "synonyms_path":
        p.raw("synonyms_path")
        raise Unsupported("[synonyms_path]", "synonym rules must be given inline in [synonyms] or in [synonyms_set]")
    if source is None:
        raise ValueError("synonym requires either `synonyms`, `synonyms_set` or `synonyms_path` to be configured")
    expand = p.boolean("expand", True)
    updateable = p.boolean("updateable", False)
    lenient = p.boolean("lenient", updateable)  # lenient by default when updateable (ES 8.16+ indices)
    fmt = p.string("format", "") or ""
    if fmt.lower() == "wordnet":
        raise Unsupported("synonym [format: wordnet]", "use the solr format")
    if source == "synonyms_set":
        several = isinstance(p.raw("synonyms_set"), list)  # one set, or several (their rules in order)
        set_ids = p.string_list("synonyms_set")
        if not updateable:
            raise ValueError(
                "Can't apply [synonyms_set]! Loading synonyms from index is supported only for search time synonyms!"
            )
        return SetSynonymRules(p.name, t == "synonym_graph", set_ids, expand, lenient, several=several)
    rules = p.string_list("synonyms")
    if updateable:
        return SetSynonymRules(p.name, t == "synonym_graph", None, expand, lenient, rules)
    return SynonymRules(p.name, t == "synonym_graph", rules, expand, lenient)


def build_char_filter(t: str, p: Params) -> CharFilter | None:
    if t == "html_strip":
        return HtmlStripCharFilter(p.string_list("escaped_tags"))
    if t == "mapping":
        if p.has("mappings_path"):
            p.raw("mappings_path")
            raise Unsupported("[mappings_path]", "mappings must be given inline")
        if not p.has("mappings"):
            raise ValueError("mapping requires either `mappings` or `mappings_path` to be configured")
        rules: list[tuple[str, str]] = []
        for rule in p.string_list("mappings"):
            lhs, sep, rhs = _split_rule(rule)
            if not sep:
                raise RuntimeError(f"Invalid Mapping Rule : [{rule}]")
            rules.append((parse_mapping_string(lhs), parse_mapping_string(rhs)))
        return MappingCharFilter(rules)
    if t == "pattern_replace":
        if not p.has("pattern"):
            raise ValueError(f"pattern is missing for [{p.name}] char filter of type 'pattern_replace'")
        pattern, source, flags = _compile(p, "")
        replacement = p.string("replacement", "") or ""
        return PatternReplaceCharFilter(pattern, source, replacement, flags)
    return None


def _split_rule(rule: str) -> tuple[str, bool, str]:
    """ES's rule pattern ``(.*)\\s*=>\\s*(.*)\\s*$``: split at the last "=>" on the first line,
    both sides trimmed the way String.trim does (every char <= U+0020)."""
    line = rule
    for terminator in ("\n", "\r", "\u0085", "\u2028", "\u2029"):
        line = line.split(terminator, 1)[0] if terminator in line else line
    at = line.rfind("=>")
    if at < 0:
        return "", False, ""
    trim = "".join(chr(c) for c in range(0x21))
    return line[:at].strip(trim), True, line[at + 2 :].strip(trim)


# ES's pre-configured components, usable by name without a definition.
PRECONFIGURED_TOKENIZERS: dict[str, Callable[[], Tokenizer]] = {
    "ngram": NGramTokenizer,
    "edge_ngram": lambda: EdgeNGramTokenizer(1, 1),
    "path_hierarchy": PathHierarchyTokenizer,
    "pattern": lambda: PatternTokenizer(compile_java("\\W+"), "\\W+"),
}
PRECONFIGURED_FILTERS: dict[str, Callable[[], TokenFilter]] = {
    "ngram": NGramTokenFilter,
    "edge_ngram": lambda: EdgeNGramTokenFilter(1, 1),
    "shingle": ShingleFilter,
    "trim": TrimFilter,
    "reverse": ReverseFilter,
    "truncate": lambda: TruncateFilter(10),
    "length": LengthFilter,
    "unique": UniqueFilter,
    "word_delimiter_graph": WordDelimiterGraphFilter,
    "limit": LimitFilter,
    "remove_duplicates": RemoveDuplicatesFilter,
    "apostrophe": ApostropheFilter,
    "decimal_digit": DecimalDigitFilter,
}
