"""``synonym`` and ``synonym_graph`` filters with inline Solr-format rules (Lucene 8.8's
SolrSynonymParser, SynonymMap, SynonymFilter and SynonymGraphFilter, as ES sets them up).

Rules are analyzed with the analyzer's own char filters, tokenizer and the filters before the
synonym filter, so a rule matches the tokens the chain really produces; that is why a synonym
filter is defined once but *bound* per analyzer (``SynonymRules.bind``). The map sends an input
word sequence to its outputs (in rule order, duplicates dropped) plus a keep-original flag.

``synonym_graph`` emits a correct token graph: a multi-word output gets its own positions and
the alternatives spanning the whole match get a position length covering them. ``synonym``
(the old filter) lays output words over the input positions instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .analyzers import Analyzer
from .filters import Meta, TokenFilter, TokenStream
from .ngrams import NGramTokenFilter
from .shingles import ShingleFilter
from .tokenizers import Tokenizer
from .word_delimiter import WordDelimiterGraphFilter

SYNONYM = "SYNONYM"

Words = tuple[str, ...]
# Analyzes one rule term: its tokens as (term, position increment).
TermAnalyzer = Callable[[str], list[tuple[str, int]]]


class RuleError(ValueError):
    """A rule that fails to parse: ``line`` is its 1-based line number, the message Lucene's."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def _split(s: str, sep: str) -> list[str]:
    """SolrSynonymParser.split: cut at ``sep`` except where a backslash escapes a character
    (the backslash stays for ``_unescape``)."""
    parts: list[str] = []
    buf: list[str] = []
    i, n = 0, len(s)
    while i < n:
        if s.startswith(sep, i):
            if buf:
                parts.append("".join(buf))
                buf = []
            i += len(sep)
            continue
        ch = s[i]
        if ch == "\\":
            buf.append(ch)
            i += 1
            if i >= n:
                break
            ch = s[i]
        buf.append(ch)
        i += 1
    if buf:
        parts.append("".join(buf))
    return parts


def split_rule(s: str, sep: str) -> list[str]:
    """Lucene's split of a Solr rule at ``sep`` (escapes kept), for the ``_synonyms`` API's checks."""
    return _split(s, sep)


def _unescape(s: str) -> str:
    if "\\" not in s:
        return s
    out: list[str] = []
    i = 0
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s):
            i += 1
        out.append(s[i])
        i += 1
    return "".join(out)


@dataclass(slots=True)
class _Entry:
    outputs: list[Words] = field(default_factory=list)
    keep_orig: bool = False


class SynonymMap:
    """Input word sequence -> outputs and keep-original (SynonymMap.Builder with dedup)."""

    def __init__(self) -> None:
        self.entries: dict[Words, _Entry] = {}
        self.max_input = 0

    def add(self, source: Words, target: Words, include_orig: bool) -> None:
        entry = self.entries.setdefault(source, _Entry())
        if target in entry.outputs:
            return
        entry.outputs.append(target)
        entry.keep_orig |= include_orig
        self.max_input = max(self.max_input, len(source))

    def longest_match(self, terms: Sequence[str], i: int) -> tuple[int, _Entry] | None:
        for size in range(min(self.max_input, len(terms) - i), 0, -1):
            entry = self.entries.get(tuple(terms[i : i + size]))
            if entry is not None:
                return size, entry
        return None


def _analyze_term(text: str, analyze: TermAnalyzer, lenient: bool) -> Words:
    """SynonymMap.Parser.analyze (ES's lenient variant gives () instead of failing)."""
    words: list[str] = []
    try:
        for term, inc in analyze(text):
            if not term:
                raise ValueError(f"term: {text} analyzed to a zero-length token")
            if inc != 1:
                raise ValueError(f"term: {text} analyzed to a token ({term}) with position increment != 1 (got: {inc})")
            words.append(term)
        if not words:
            raise ValueError(f"term: {text} was completely eliminated by analyzer")
    except ValueError:
        if lenient:
            return ()
        raise
    return tuple(words)


def build_solr_map(rules: Sequence[str], expand: bool, lenient: bool, analyze: TermAnalyzer) -> SynonymMap:
    """SolrSynonymParser: ``a, b => c`` maps each input to each output; ``a, b, c`` maps every
    term to every other one keeping the original (``expand``) or all to the first."""
    synonyms = SynonymMap()

    def add(source: Words, target: Words, include_orig: bool) -> None:
        if not lenient or (source and target):
            synonyms.add(source, target, include_orig)

    for line_no, line in enumerate("\n".join(rules).split("\n"), 1):
        if not line or line.startswith("#"):
            continue
        try:
            sides = _split(line, "=>")
            if len(sides) > 1:
                if len(sides) != 2:
                    raise ValueError("more than one explicit mapping specified on the same line")
                inputs = [_analyze_term(_unescape(s.strip()), analyze, lenient) for s in _split(sides[0], ",")]
                outputs = [_analyze_term(_unescape(s.strip()), analyze, lenient) for s in _split(sides[1], ",")]
                for source in inputs:
                    for target in outputs:
                        add(source, target, False)
                continue
            inputs = [_analyze_term(_unescape(s.strip()), analyze, lenient) for s in _split(line, ",")]
            if expand:
                for i, source in enumerate(inputs):
                    for j, target in enumerate(inputs):
                        if i != j:
                            add(source, target, True)
            else:
                for source in inputs:
                    add(source, inputs[0], False)
        except ValueError as e:
            raise RuleError(line_no, str(e)) from None
    return synonyms


class SynonymRules(TokenFilter):
    """The settings of a synonym filter, before an analyzer binds them to its chain."""

    def __init__(self, name: str, graph: bool, rules: Sequence[str], expand: bool, lenient: bool) -> None:
        self.name, self.graph = name, graph
        self.type_name = "synonym_graph" if graph else "synonym"
        self.rules, self.expand, self.lenient = list(rules), expand, lenient

    def bind(self, analyze: TermAnalyzer) -> TokenFilter:
        synonyms = build_solr_map(self.rules, self.expand, self.lenient, analyze)
        if not synonyms.entries:
            return _Identity()
        return SynonymGraphFilter(synonyms) if self.graph else SynonymFilter(synonyms)

    def apply(self, stream: TokenStream) -> TokenStream:
        raise AssertionError("a synonym filter must be bound to its analyzer first")

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type_name, "synonyms": self.rules, "expand": self.expand, "lenient": self.lenient}


class _Identity(TokenFilter):
    """An empty synonym map: ES leaves the stream untouched."""

    def apply(self, stream: TokenStream) -> TokenStream:
        return stream


def _to_stream(rows: list[tuple[int, str, int, Meta | None]], has_meta: bool) -> TokenStream:
    """(position, term, position length, meta) rows, already in output order, as a stream."""
    terms: list[str] = []
    incs: list[int] = []
    lengths: list[int] = []
    meta: list[Meta] | None = [] if has_meta else None
    prev = -1
    for pos, term, length, m in rows:
        terms.append(term)
        incs.append(pos - prev)
        prev = pos
        lengths.append(length)
        if meta is not None:
            assert m is not None
            meta.append(m)
    return TokenStream(terms, incs, meta, lengths)


class SynonymGraphFilter(TokenFilter):
    type_name = "synonym_graph"

    def __init__(self, synonyms: SynonymMap) -> None:
        self.synonyms = synonyms

    def apply(self, stream: TokenStream) -> TokenStream:
        terms, metas = stream.terms, stream.meta
        rows: list[tuple[int, str, int, Meta | None]] = []
        last = -1  # the node (position) the previous token started at, after any graph shift
        i = 0
        while i < len(terms):
            found = self.synonyms.longest_match(terms, i)
            if found is None:
                start = last + stream.incs[i]
                rows.append((start, terms[i], 1, metas[i] if metas else None))
                last = start
                i += 1
                continue
            # Lucene 8.8 numbers a match's nodes from the previous node, so a hole (removed stop
            # word) right before a match closes up; one before an unmatched token stays.
            start = last + 1
            size, entry = found
            internal = sum(len(p) - 1 for p in entry.outputs) + (size - 1 if entry.keep_orig else 0)
            end = start + internal + 1
            span: Meta | None = (metas[i][0], metas[i + size - 1][1], SYNONYM) if metas else None
            match_rows: list[tuple[int, str, int, Meta | None]] = []
            fresh = start  # internal nodes are numbered in the order the paths are laid out
            for path in entry.outputs:
                node = start
                for j, word in enumerate(path):
                    if j == len(path) - 1:
                        nxt = end
                    else:
                        fresh += 1
                        nxt = fresh
                    match_rows.append((node, word, nxt - node, span))
                    node = nxt
            if entry.keep_orig:
                node = start
                for j in range(size):
                    if j == size - 1:
                        nxt = end
                    else:
                        fresh += 1
                        nxt = fresh
                    match_rows.append((node, terms[i + j], nxt - node, metas[i + j] if metas else None))
                    node = nxt
            match_rows.sort(key=lambda r: r[0])  # stable: at a node, synonyms before the original
            rows.extend(match_rows)
            last = end - 1
            i += size
        return _to_stream(rows, metas is not None)

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type_name}


class SynonymFilter(TokenFilter):
    """The old filter: output word j of a match goes to the j-th position from the match start
    (past the match it overlays the following tokens); a one-word output ends at the match's end
    offset and, when the original is kept, spans the match's positions."""

    type_name = "synonym"

    def __init__(self, synonyms: SynonymMap) -> None:
        self.synonyms = synonyms

    def apply(self, stream: TokenStream) -> TokenStream:
        terms, metas = stream.terms, stream.meta
        n = len(terms)
        pending: dict[int, list[tuple[str, int | None, int]]] = {}  # index -> (word, end offset, length)
        kept = [True] * n
        i = 0
        while i < n:
            found = self.synonyms.longest_match(terms, i)
            if found is None:
                i += 1
                continue
            size, entry = found
            match_end = metas[i + size - 1][1] if metas else 0
            for j in range(size):
                kept[i + j] = entry.keep_orig
            for path in entry.outputs:
                for j, word in enumerate(path):
                    if len(path) == 1:
                        pending.setdefault(i, []).append((word, match_end, size if entry.keep_orig else 1))
                    else:
                        pending.setdefault(i + j, []).append((word, None, 1))
            i += size
        rows: list[tuple[int, str, int, Meta | None]] = []
        pos = -1
        for k in range(max([n, *[p + 1 for p in pending]])):
            if k < n and not kept[k] and not pending.get(k):
                continue  # a consumed position with nothing on it disappears, increment and all
            pos += stream.incs[k] if k < n else 1
            m = (metas[k] if k < n else metas[-1]) if metas else None
            if k < n and kept[k]:
                rows.append((pos, terms[k], 1, m))
            for word, end, length in pending.get(k, []):
                out_meta: Meta | None = None
                if m is not None:
                    out_meta = (m[0], m[1] if end is None else end, SYNONYM)
                rows.append((pos, word, length, out_meta))
        return _to_stream(rows, metas is not None)

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type_name}


def _analyzer_terms(analyzer: Analyzer) -> TermAnalyzer:
    def analyze(text: str) -> list[tuple[str, int]]:
        out: list[tuple[str, int]] = []
        prev = -1
        for t in analyzer.analyze(text):
            out.append((t.term, t.position - prev))
            prev = t.position
        return out

    return analyze


def bind_chain(tokenizer: Tokenizer, chain: Sequence[tuple[str, TokenFilter]]) -> list[TokenFilter]:
    """The analyzer's filters with each synonym filter bound to what precedes it (ES's
    buildSynonymAnalyzer: an earlier synonym filter counts as a no-op there, and filters that make
    several tokens per position refuse to take part). Raises SynonymBuildError or ValueError."""
    bound: list[TokenFilter] = []
    parse_form: list[TokenFilter] = []
    refused: list[str] = []
    for name, f in chain:
        if isinstance(f, SynonymRules):
            if refused:
                raise ValueError(f"Token filter [{refused[0]}] cannot be used to parse synonyms")
            analyzer = Analyzer("_synonyms", tokenizer, list(parse_form))
            try:
                f = f.bind(_analyzer_terms(analyzer))
            except RuleError as e:
                raise SynonymBuildError(name, e) from None
            parse_form.append(_Identity())
        else:
            if isinstance(f, ShingleFilter | NGramTokenFilter | WordDelimiterGraphFilter):
                refused.append(name)
            parse_form.append(f)
        bound.append(f)
    return bound


class SynonymBuildError(Exception):
    """ES's "failed to build synonyms from [...]" with the parser's error as its cause."""

    def __init__(self, filter_name: str, cause: RuleError) -> None:
        super().__init__(f"failed to build synonyms from ['{filter_name}' analyzer settings]")
        self.cause = cause
