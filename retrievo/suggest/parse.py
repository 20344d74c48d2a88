"""The ``suggest`` section's JSON → :class:`~retrievo.suggest.model.Suggest`, as ``SuggestBuilder.fromXContent``
and each suggester's builder read it, with their validation messages.

A suggestion is ``{"text"|"prefix"|"regex": ..., "<suggester>": {...}}``; the section may hold a global
``text`` that suggestions without their own use. ``phrase`` bodies are read by ``phrase_parse.py``;
completion ``contexts`` are kept as given and read on the shard (``suggest/contexts.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from retrievo.errors import ApiError, bad_request, illegal_argument, parsing_error
from retrievo.grammar.json import values as jv
from retrievo.grammar.json.errors import failed_field, x_content
from retrievo.lucene import automata
from retrievo.lucene.multi_term import regexp_syntax_flags
from retrievo.suggest.model import (
    CompletionSuggestion,
    FuzzyOptions,
    RegexOptions,
    SortBy,
    Suggest,
    Suggestion,
    SuggestMode,
    TermSuggestion,
)
from retrievo.suggest.phrase_model import PhraseSuggestion
from retrievo.suggest.phrase_parse import parse_phrase

#: The suggesters Elasticsearch registers.
SUGGESTERS = ("term", "phrase", "completion")
#: ``string_distance`` names Elasticsearch accepts.
STRING_DISTANCES = ("internal", "damerau_levenshtein", "levenstein", "levenshtein", "jaro_winkler", "ngram")
#: Lucene's ``LevenshteinAutomata.MAXIMUM_SUPPORTED_DISTANCE``.
MAX_EDITS = 2


def _number(parser: str, key: str, value: Any, read: Callable[[Any], Any]) -> Any:
    try:
        return read(value)
    except jv.BadValue as bad:
        raise failed_field(parser, key, bad.cause) from None


def _missing_field() -> ApiError:
    return bad_request("parse_exception", "the required field option [field] is missing")


def _term(body: dict[str, Any]) -> dict[str, Any]:
    """``TermSuggestionBuilder.fromXContent``: scalar options, then the setters' checks."""
    out: dict[str, Any] = {}
    for key, value in body.items():
        if not jv.is_value(value):
            raise parsing_error(f"suggester[term] doesn't support field [{key}]")
        if key in ("analyzer", "field"):
            out[key] = jv.java_text(value)
        elif key in ("size", "shard_size", "max_edits", "max_inspections", "prefix_length", "min_word_length"):
            out[key] = _number("term", key, value, jv.java_int)
        elif key in ("prefix_len", "min_word_len"):
            out[key.replace("_len", "_length")] = _number("term", key, value, jv.java_int)
        elif key in ("accuracy", "max_term_freq", "min_doc_freq"):
            out[key] = _number("term", key, value, jv.java_float)
        elif key == "suggest_mode":
            out[key] = _suggest_mode(jv.java_text(value))
        elif key == "sort":
            out[key] = _sort(jv.java_text(value))
        elif key == "string_distance":
            out[key] = _string_distance(jv.java_text(value))
        else:
            raise parsing_error(f"suggester[term] doesn't support field [{key}]")
    if "field" not in out:
        raise _missing_field()
    _check_common(out)
    if not 1 <= out.get("max_edits", 2) <= MAX_EDITS:
        raise illegal_argument(f"maxEdits must be between 1 and {MAX_EDITS}")
    for key, message in (
        ("max_inspections", "maxInspections must be positive"),
        ("max_term_freq", "maxTermFreq must be positive"),
        ("prefix_length", "prefixLength must be positive"),
        ("min_doc_freq", "minDocFreq must be positive"),
    ):
        if out.get(key, 0) < 0:
            raise illegal_argument(message)
    if out.get("min_word_length", 4) < 1:
        raise illegal_argument("minWordLength must be greater or equal to 1")
    return out


def _suggest_mode(text: str) -> SuggestMode:
    modes: dict[str, SuggestMode] = {"missing": "missing", "popular": "popular", "always": "always"}
    mode = modes.get(text.lower())
    if mode is None:
        raise illegal_argument(f"Illegal suggest mode {text}")
    return mode


def _sort(text: str) -> SortBy:
    sorts: dict[str, SortBy] = {"score": "score", "frequency": "frequency"}
    sort = sorts.get(text.lower())
    if sort is None:
        raise illegal_argument(f"Illegal suggest sort {text}")
    return sort


def _string_distance(text: str) -> str:
    name = text.lower()
    if name not in STRING_DISTANCES:
        raise illegal_argument(f"Illegal distance option {text}")
    return "levenshtein" if name == "levenstein" else name


def _check_common(out: dict[str, Any]) -> None:
    """``SuggestionBuilder.size``/``shardSize``: both must be positive."""
    if out.get("size", 1) <= 0:
        raise illegal_argument("size must be positive")
    if out.get("shard_size", 1) <= 0:
        raise illegal_argument("shardSize must be positive")


def _fuzzy(value: Any) -> FuzzyOptions | None:
    """``fuzzy``: ``true`` (the defaults) or an object of ``FuzzyOptions``."""
    if isinstance(value, bool):
        return FuzzyOptions() if value else None
    if not isinstance(value, dict):
        raise x_content(f"[completion] fuzzy doesn't support values of type: {jv.token_of(value)}")
    out: dict[str, Any] = {}
    for key, raw in value.items():
        if key == "fuzziness":
            out[key] = _fuzziness(raw)
        elif key == "transpositions" or key == "unicode_aware":
            out[key] = _number("fuzzy", key, raw, jv.java_bool)
        elif key in ("min_length", "prefix_length"):
            out[key] = _number("fuzzy", key, raw, jv.java_int)
        elif key == "max_determinized_states":
            _number("fuzzy", key, raw, jv.java_int)  # an automaton size limit: retrievo builds no automaton
        else:
            raise x_content(f"[fuzzy] unknown field [{key}]")
    if out.get("min_length", 3) < 0:
        raise illegal_argument("fuzzyMinLength must not be negative")
    if out.get("prefix_length", 1) < 0:
        raise illegal_argument("fuzzyPrefixLength must not be negative")
    return FuzzyOptions(**out)


def _fuzziness(raw: Any) -> str | int:
    """``Fuzziness.parse``: 0, 1, 2, ``AUTO`` or ``AUTO:low,high``."""
    text = jv.java_text(raw).strip()
    if text.upper() == "AUTO" or text.upper().startswith("AUTO:"):
        return text.upper() if text.upper() == "AUTO" else "AUTO:" + text[5:]
    try:
        edits = int(float(text))
    except ValueError:
        raise bad_request("parse_exception", f"failed to parse [{text}] as fuzziness") from None
    if edits not in (0, 1, 2):
        raise illegal_argument(f"Valid edit distances are [0, 1, 2] but was [{edits}]")
    return edits


def _regex_options(value: Any) -> RegexOptions:
    """``RegexOptions``' parser: ``flags`` (names joined by ``|``, or a number) and ``max_determinized_states``."""
    if not isinstance(value, dict):
        raise x_content(f"[completion] regex doesn't support values of type: {jv.token_of(value)}")
    flags = automata.ALL
    limit = 10000
    for key, raw in value.items():
        if key in ("flags", "flags_value"):
            by_name = isinstance(raw, str)
            flags = regexp_syntax_flags(raw) if by_name else _number("regex", key, raw, jv.java_int)
        elif key == "max_determinized_states":
            limit = _number("regex", key, raw, jv.java_int)
        else:
            raise x_content(f"[regex] unknown field [{key}]")
    if limit < 0:
        raise illegal_argument("maxDeterminizedStates must not be negative")
    return RegexOptions(flags=flags, max_determinized_states=limit)


def _completion(body: dict[str, Any]) -> dict[str, Any]:
    """``CompletionSuggestionBuilder``'s parser."""
    out: dict[str, Any] = {}
    for key, value in body.items():
        if key in ("field", "analyzer"):
            if not jv.is_value(value):
                raise x_content(f"[completion] {key} doesn't support values of type: {jv.token_of(value)}")
            out[key] = jv.java_text(value)
        elif key in ("size", "shard_size"):
            out[key] = _number("completion", key, value, jv.java_int)
        elif key == "skip_duplicates":
            out[key] = _number("completion", key, value, jv.java_bool)
        elif key == "fuzzy":
            out[key] = _fuzzy(value)
        elif key in ("contexts", "context"):  # "context": the deprecated name
            if not isinstance(value, dict):
                raise x_content(f"[completion] {key} doesn't support values of type: {jv.token_of(value)}")
            out["contexts"] = tuple(value.items())
        elif key == "regex":
            out["regex_options"] = _regex_options(value)
        else:
            raise x_content(f"[completion] unknown field [{key}]")
    if "field" not in out:
        raise _missing_field()
    _check_common(out)
    return out


def _suggestion(name: str, body: dict[str, Any], global_text: str | None) -> Suggestion:
    """``SuggestionBuilder.fromXContent``: ``text``/``prefix``/``regex`` values and one suggester object."""
    text = prefix = regex = None
    kind: str | None = None
    options: dict[str, Any] = {}
    for key, value in body.items():
        if jv.is_value(value):
            if key == "text":
                text = jv.java_text(value)
            elif key == "prefix":
                prefix = jv.java_text(value)
            elif key == "regex":
                regex = jv.java_text(value)
            else:
                raise parsing_error(f"suggestion does not support [{key}]")
        elif isinstance(value, dict):
            if key not in SUGGESTERS:
                raise bad_request("parsing_exception", f"unknown suggester [{key}]")
            kind = key
            options = _term(value) if key == "term" else parse_phrase(value) if key == "phrase" else _completion(value)
        else:
            raise parsing_error(f"suggestion does not support [{key}]")
    if kind is None:
        raise illegal_argument("missing suggestion object")
    given = text if text is not None else global_text
    if kind == "term":
        if given is None:
            raise illegal_argument("The required text option is missing")
        return TermSuggestion(name=name, text=given, **options)
    if kind == "phrase":  # suggest/phrase_parse.py
        if given is None:
            raise illegal_argument("The required text option is missing")
        return PhraseSuggestion(name=name, text=given, **options)
    # SuggestionBuilder.populateCommonFields: the prefix defaults to the text; the entry's text to the
    # prefix, then the regex; a regex is only used without a prefix
    typed = prefix if prefix is not None else given
    shown = given if given is not None else prefix if prefix is not None else regex
    if shown is None:
        raise illegal_argument("The required text option is missing")
    if typed is not None:
        options.pop("regex_options", None)
        return CompletionSuggestion(name=name, prefix=typed, text=shown, **options)
    options.setdefault("regex_options", RegexOptions(flags=automata.ALL))
    return CompletionSuggestion(name=name, prefix="", text=shown, regex=regex, **options)


def parse_suggest(value: Any) -> Suggest:
    """``SuggestBuilder.fromXContent``."""
    if not isinstance(value, dict):
        raise parsing_error(f"Unknown key for a {jv.token_of(value)} in [suggest].")
    global_text: str | None = None
    bodies: list[tuple[str, dict[str, Any]]] = []
    for key, body in value.items():
        if jv.is_value(body):
            if key != "text":
                raise illegal_argument(f"[suggest] does not support [{key}]")
            global_text = jv.java_text(body)
        elif isinstance(body, dict):
            bodies.append((key, body))
        else:
            raise parsing_error(f"unexpected token [{jv.token_of(body)}] after [{key}]")
    suggestions = tuple(_suggestion(name, body, global_text) for name, body in bodies)
    return Suggest(suggestions)
