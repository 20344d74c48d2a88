"""The parsed ``suggest`` section: one immutable object per named suggestion."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from retrievo.suggest.common import SuggestionBase, changed_options
from retrievo.suggest.phrase_model import PhraseSuggestion, phrase_json

SuggestMode = Literal["missing", "popular", "always"]
SortBy = Literal["score", "frequency"]


@dataclass(frozen=True)
class TermSuggestion(SuggestionBase):
    """``term``: per analysed token of ``text``, indexed terms within ``max_edits`` (``DirectSpellChecker``)."""

    suggest_mode: SuggestMode = "missing"
    accuracy: float = 0.5
    sort: SortBy = "score"
    string_distance: str = "internal"
    max_edits: int = 2
    max_inspections: int = 5
    max_term_freq: float = 0.01
    prefix_length: int = 1
    min_word_length: int = 4
    min_doc_freq: float = 0.0


@dataclass(frozen=True)
class FuzzyOptions:
    """``completion.fuzzy``: edits allowed in the typed prefix (Lucene's ``FuzzyCompletionQuery``)."""

    fuzziness: str | int = "AUTO"
    transpositions: bool = True
    min_length: int = 3
    prefix_length: int = 1
    unicode_aware: bool = False


@dataclass(frozen=True)
class RegexOptions:
    """``completion.regex``: Lucene ``RegExp`` syntax flags and the automaton size limit."""

    flags: int
    max_determinized_states: int = 10000


@dataclass(frozen=True)
class CompletionSuggestion:
    """``completion``: the documents whose inputs start with ``prefix`` (or with a match of ``regex``), by
    weight."""

    name: str
    field: str
    prefix: str
    #: The entry's ``text`` in the response: the suggestion's text, else its prefix, else its regex.
    text: str = ""
    #: The suggestion's ``regex`` (only given without a prefix or text; then ``prefix`` is unused).
    regex: str | None = None
    regex_options: RegexOptions | None = None
    analyzer: str | None = None
    size: int = 5
    shard_size: int | None = None
    skip_duplicates: bool = False
    fuzzy: FuzzyOptions | None = None
    #: ``contexts`` as given (name → raw JSON): read against the field's context mappings on the shard
    #: (:mod:`retrievo.suggest.contexts`), as Elasticsearch keeps them as bytes until then.
    contexts: tuple[tuple[str, Any], ...] | None = None


Suggestion = TermSuggestion | CompletionSuggestion | PhraseSuggestion


@dataclass(frozen=True)
class Suggest:
    """The whole section, suggestions in the order given (the response keeps it)."""

    suggestions: tuple[Suggestion, ...]

    def to_json(self) -> dict[str, object]:
        return suggest_json(self)


def _term_json(s: TermSuggestion) -> dict[str, object]:
    defaults = TermSuggestion(name="", field="", text="")
    keys = (
        "analyzer",
        "size",
        "shard_size",
        "suggest_mode",
        "accuracy",
        "sort",
        "string_distance",
        "max_edits",
        "max_inspections",
        "max_term_freq",
        "prefix_length",
        "min_word_length",
        "min_doc_freq",
    )
    return {"text": s.text, "term": {"field": s.field, **changed_options(s, defaults, keys)}}


def _completion_json(s: CompletionSuggestion) -> dict[str, object]:
    body: dict[str, object] = {"field": s.field}
    if s.analyzer is not None:
        body["analyzer"] = s.analyzer
    if s.size != 5:
        body["size"] = s.size
    if s.shard_size is not None:
        body["shard_size"] = s.shard_size
    if s.skip_duplicates:
        body["skip_duplicates"] = True
    if s.fuzzy is not None:
        f = s.fuzzy
        body["fuzzy"] = {
            "fuzziness": f.fuzziness,
            "transpositions": f.transpositions,
            "min_length": f.min_length,
            "prefix_length": f.prefix_length,
            "unicode_aware": f.unicode_aware,
        }
    if s.regex_options is not None:
        options = s.regex_options
        body["regex"] = {"flags_value": options.flags, "max_determinized_states": options.max_determinized_states}
    if s.contexts is not None:
        body["contexts"] = dict(s.contexts)
    if s.regex is not None:
        return {"regex": s.regex, "completion": body}
    if s.text != s.prefix:
        return {"text": s.text, "prefix": s.prefix, "completion": body}
    return {"prefix": s.prefix, "completion": body}


def suggest_json(section: Suggest) -> dict[str, object]:
    """The section printed back (each suggestion with its own text, defaults left out)."""
    return {
        s.name: _term_json(s)
        if isinstance(s, TermSuggestion)
        else phrase_json(s)
        if isinstance(s, PhraseSuggestion)
        else _completion_json(s)
        for s in section.suggestions
    }
