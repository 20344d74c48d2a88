"""Hidden subfields that Elasticsearch indexes beside a field: ``index_prefixes`` (``<f>._index_prefix``)
and ``index_phrases`` (``<f>._index_phrase``) on ``text``, and ``search_as_you_type``'s shingle fields
(``<f>._2gram`` … ``<f>._<max>gram``) and its ``<f>._index_prefix``.

Each subfield reads the parent's values through the parent's analyzer wrapped in extra token
steps (``TextFieldMapper.PrefixWrappedAnalyzer``/``PhraseWrappedAnalyzer``,
``SearchAsYouTypeFieldMapper.SearchAsYouTypeAnalyzer``). They are never in the mapping (``GET
_mapping`` does not show them), but they are searchable fields of their own, so the searcher gets a
``FieldInfo`` for each and queries on the parent may be rewritten onto them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import product
from types import MappingProxyType
from typing import Any, Protocol

from retrievo.index.analysis.tokens import Token
from retrievo.index.field_types.base import FieldMapping

__all__ = [
    "PHRASE_SUFFIX",
    "PREFIX_SUFFIX",
    "SubfieldInfo",
    "WrappedAnalyzer",
    "fixed_shingles",
    "hidden_field",
    "subfield_info",
    "subfield_tokens",
    "subfields_of",
]

PREFIX_SUFFIX = "._index_prefix"
PHRASE_SUFFIX = "._index_phrase"
#: ``SearchAsYouTypeFieldMapper.Defaults``: its prefix field holds edge n-grams of 1 to 20 characters.
SAYT_MIN_GRAM, SAYT_MAX_GRAM = 1, 20

#: A token as the wrapping steps pass it on: (term, position, start offset, end offset).
Tok = tuple[str, int, int, int]
Step = Callable[[list[Tok]], list[Tok]]


class _BaseAnalyzer(Protocol):
    def analyze(self, text: str) -> list[Token]: ...


def fixed_shingles(toks: Sequence[Tok], size: int, sep: str = " ", filler: str = "_", trailing: int = 0) -> list[Tok]:
    """Lucene's ``FixedShingleFilter``: one shingle of exactly ``size`` positions per input position
    that starts one, gaps filled with ``filler``; ``trailing`` extra positions after the last token
    (``TrailingShingleTokenFilter``) let the last tokens start shorter, filler-padded shingles.
    Tokens stacked at a position (one-word synonyms) each make their own shingles."""
    if not toks:
        return []
    by_pos: dict[int, list[Tok]] = {}
    for tok in toks:
        by_pos.setdefault(tok[1], []).append(tok)
    last = max(by_pos) + trailing
    out: list[Tok] = []
    for pos in sorted(by_pos):
        if pos + size - 1 > last:
            break
        window: list[list[Tok | None]] = [list(by_pos.get(p, [None])) for p in range(pos, pos + size)]
        for combo in product(*window):
            term = sep.join(w[0] if w is not None else filler for w in combo)
            end = max(w[3] for w in combo if w is not None)
            out.append((term, pos, combo[0][2], end))  # type: ignore[index]
    return out


def _edge_ngrams(toks: Sequence[Tok], lo: int, hi: int, preserve_original: bool) -> list[Tok]:
    """``EdgeNGramTokenFilter``: each token's leading ``lo``..``hi`` characters at its position; with
    ``preserve_original`` a token outside the range is kept too."""
    out: list[Tok] = []
    for term, pos, start, end in toks:
        n = len(term)
        grams = [term[:k] for k in range(lo, min(hi, n) + 1)]
        if preserve_original and (n < lo or n > hi):
            grams.append(term)
        out.extend((g, pos, start, end) for g in grams)
    return out


class WrappedAnalyzer:
    """A field analyzer followed by token steps (Lucene's ``AnalyzerWrapper.wrapComponents``)."""

    def __init__(self, base: _BaseAnalyzer, steps: Sequence[Step]) -> None:
        self.base = base
        self.steps = tuple(steps)

    def _toks(self, text: str) -> list[Tok]:
        toks: list[Tok] = [(t.term, t.position, t.start_offset, t.end_offset) for t in self.base.analyze(text)]
        for step in self.steps:
            toks = step(toks)
        return toks

    def analyze(self, text: str) -> list[Token]:
        return [Token(term, pos, start, end, "shingle") for term, pos, start, end in self._toks(text)]

    def terms(self, text: str) -> tuple[list[str], list[int]]:
        toks = self._toks(text)
        return [t[0] for t in toks], [t[1] for t in toks]


@dataclass(frozen=True)
class SubfieldInfo:
    """What the query layer needs to rewrite a query on a field onto its hidden subfields."""

    prefix_path: str | None = None
    min_chars: int = 0
    max_chars: int = 0
    phrase_path: str | None = None  # text's index_phrases: 2-shingles
    shingles: tuple[tuple[int, str], ...] = ()  # search_as_you_type root: (size, path) per shingle field
    shingle_size: int = 0  # a search_as_you_type shingle field: its own size

    def prefix_accepts(self, length: int) -> bool:
        """``PrefixFieldType.accept`` / ``termLengthWithinBounds``."""
        return self.prefix_path is not None and self.min_chars - 1 <= length <= self.max_chars


@dataclass(frozen=True)
class _Subfield:
    path: str
    index_steps: tuple[Step, ...]
    search_steps: tuple[Step, ...]
    norms: bool
    info: SubfieldInfo


def _text_prefix_config(fm: FieldMapping) -> tuple[int, int] | None:
    config = fm.params.get("index_prefixes")
    return (int(config["min_chars"]), int(config["max_chars"])) if config is not None else None


def subfields_of(fm: FieldMapping) -> tuple[_Subfield, ...]:
    """The hidden subfields ``fm`` indexes (none for most fields)."""
    if not fm.index:
        return ()
    norms = fm.norms
    if fm.type == "text":
        out: list[_Subfield] = []
        chars = _text_prefix_config(fm)
        if chars is not None:
            lo, hi = chars
            step: Step = partial(_edge_ngrams, lo=lo, hi=hi, preserve_original=False)
            # PrefixFieldType searches with the parent's search analyzer, unwrapped
            out.append(_Subfield(fm.path + PREFIX_SUFFIX, (step,), (), False, SubfieldInfo()))
        if fm.params.get("index_phrases"):
            shingle: Step = partial(fixed_shingles, size=2)
            out.append(_Subfield(fm.path + PHRASE_SUFFIX, (shingle,), (), norms, SubfieldInfo()))
        return tuple(out)
    if fm.type == "search_as_you_type":
        size = int(fm.params["max_shingle_size"])
        prefix = fm.path + PREFIX_SUFFIX
        subs: list[_Subfield] = []
        for n in range(2, size + 1):
            steps: tuple[Step, ...] = (partial(fixed_shingles, size=n, sep=" ", filler=""),)
            info = SubfieldInfo(prefix, SAYT_MIN_GRAM, SAYT_MAX_GRAM, shingle_size=n)
            subs.append(_Subfield(f"{fm.path}._{n}gram", steps, steps, norms, info))
        # the largest shingles, padded after the last token, then their leading 1..20 characters
        prefix_steps: tuple[Step, ...] = (
            partial(fixed_shingles, size=size, sep=" ", filler="", trailing=size - 1),
            partial(_edge_ngrams, lo=SAYT_MIN_GRAM, hi=SAYT_MAX_GRAM, preserve_original=True),
        )
        search_steps: tuple[Step, ...] = (partial(fixed_shingles, size=size, sep=" ", filler=""),)
        subs.append(_Subfield(prefix, prefix_steps, search_steps, False, SubfieldInfo()))
        return tuple(subs)
    return ()


def subfield_info(fm: FieldMapping) -> SubfieldInfo | None:
    """The rewrite facts for the parent field itself."""
    if fm.type == "text":
        chars = _text_prefix_config(fm)
        phrases = bool(fm.params.get("index_phrases")) and fm.index
        if (chars is None or not fm.index) and not phrases:
            return None
        lo, hi = chars if chars is not None and fm.index else (0, 0)
        return SubfieldInfo(
            fm.path + PREFIX_SUFFIX if chars is not None and fm.index else None,
            lo,
            hi,
            fm.path + PHRASE_SUFFIX if phrases else None,
        )
    if fm.type == "search_as_you_type" and fm.index:
        size = int(fm.params["max_shingle_size"])
        shingles = tuple((n, f"{fm.path}._{n}gram") for n in range(2, size + 1))
        return SubfieldInfo(fm.path + PREFIX_SUFFIX, SAYT_MIN_GRAM, SAYT_MAX_GRAM, shingles=shingles)
    return None


def subfield_infos(fm: FieldMapping, analyzer_of: Callable[[str], Any]) -> list[tuple[str, Any, bool, SubfieldInfo]]:
    """(path, search analyzer, has norms, rewrite facts) per hidden subfield, for the searcher."""
    search = analyzer_of(fm.search_analyzer or fm.analyzer or "standard")
    return [
        (sub.path, WrappedAnalyzer(search, sub.search_steps) if sub.search_steps else search, sub.norms, sub.info)
        for sub in subfields_of(fm)
    ]


def subfield_tokens(
    fm: FieldMapping, values: Sequence[str], analyzer_of: Callable[[str], Any]
) -> dict[str, tuple[list[str], list[int]]]:
    """Each hidden subfield's terms and positions for one document's values of ``fm`` (the values
    joined with the field's ``position_increment_gap``, as the parent's are)."""
    subs = subfields_of(fm)
    if not subs:
        return {}
    base = analyzer_of(fm.analyzer or "standard")
    gap = position_increment_gap(fm)
    return {sub.path: analyze_values(WrappedAnalyzer(base, sub.index_steps), values, gap) for sub in subs}


def position_increment_gap(fm: FieldMapping) -> int:
    """The mapping's ``position_increment_gap``, else Elasticsearch's default for text fields (100)."""
    return fm.position_increment_gap if fm.position_increment_gap is not None else 100


def analyze_values(analyzer: Any, values: Sequence[str], gap: int) -> tuple[list[str], list[int]]:
    """A multi-valued text field's terms and positions: each value analysed on its own and placed
    ``gap`` positions after the previous value's last token, so phrases never span two values."""
    if len(values) == 1:
        return analyzer.terms(values[0])
    terms: list[str] = []
    positions: list[int] = []
    last = -1
    for i, value in enumerate(values):
        t, p = analyzer.terms(value)
        if i > 0:
            last += gap
        start = last + 1
        terms.extend(t)
        positions.extend(start + q for q in p)
        if p:
            last = start + max(p)
    return terms, positions


def hidden_field(parent: FieldMapping | None, path: str) -> FieldMapping | None:
    """A stand-in mapping for the index writer of the hidden subfield ``path`` of ``parent``."""
    if parent is None:
        return None
    for sub in subfields_of(parent):
        if sub.path == path:
            return FieldMapping(path, "text", MappingProxyType({"norms": sub.norms}), parent=parent.path)
    return None


def parent_path(path: str) -> str:
    """The field a hidden subfield path hangs off (``title`` for ``title._2gram``)."""
    return path.rsplit(".", 1)[0]
