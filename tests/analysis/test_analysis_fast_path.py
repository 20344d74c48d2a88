"""The fast ``terms`` paths must agree with the reference ``analyze`` path on any input.

The ASCII regex is a hand-derived restriction of the StandardTokenizer grammar and the english
analyzer memoizes its filter tail, so these properties are what make the fast path trustworthy.
"""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from retrievo.index.analysis import BUILTIN_ANALYZERS, AnalysisRegistry
from retrievo.index.analysis import standard_tokenizer as std
from retrievo.index.analysis.lowercase import java_lower

ASCII_ALPHABET = "abcxyzABCXYZ0189 .,'_:;-\"!?/@#*()\t\n\r\x00\x1f\x7f"
MIXED_ALPHABET = ASCII_ALPHABET + (
    "éÉ\u0301\u00ad\u200d\u200b\ufe0f\u20e3\u2019\u00a0\u3000İΣẞ中文あア한ก\u05d0\u05f4"
    "\U0001f600\U0001f3fb\U0001f1fa\U0001d400\U000e0067\U000e007f１٣"
)

CUSTOM = AnalysisRegistry.from_settings({
    "analyzer": {
        "std_stop_porter": {"tokenizer": "standard", "filter": ["lowercase", "stop", "porter_stem"]},
        "raw_std": {"tokenizer": "standard"},
        "short": {"tokenizer": "short_std", "filter": ["lowercase", "asciifolding"]},
        "fold_keep": {"tokenizer": "whitespace", "filter": ["keep_fold", "lowercase"]},
    },
    "tokenizer": {"short_std": {"type": "standard", "max_token_length": 3}},
    "filter": {"keep_fold": {"type": "asciifolding", "preserve_original": True}},
})
ANALYZERS = list(BUILTIN_ANALYZERS.values()) + [CUSTOM.get(n) for n in ("std_stop_porter", "raw_std", "short", "fold_keep")]


def _reference(text: str, max_len: int, lower: bool) -> list[str]:
    terms = [text[s:e] for s, e, _ in std.scan(text, max_len)]
    return [java_lower(t) for t in terms] if lower else terms


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet=ASCII_ALPHABET, max_size=60), st.sampled_from([255, 255, 1, 2, 3, 7]))
def test_ascii_regex_equals_automaton(text: str, max_len: int) -> None:
    assert std.fast_terms(text, max_len, lower=True) == _reference(text, max_len, True)
    assert std.fast_terms(text, max_len, lower=False) == _reference(text, max_len, False)


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=MIXED_ALPHABET, max_size=60), st.sampled_from([255, 255, 1, 2, 5]))
def test_mixed_text_fast_terms_equal_automaton(text: str, max_len: int) -> None:
    assert std.fast_terms(text, max_len, lower=True) == _reference(text, max_len, True)


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet=MIXED_ALPHABET, max_size=80))
def test_every_analyzer_terms_equal_analyze(text: str) -> None:
    for analyzer in ANALYZERS:
        tokens = analyzer.analyze(text)
        assert analyzer.terms(text) == ([t.term for t in tokens], [t.position for t in tokens]), analyzer.name


def test_long_ascii_tokens_split_identically() -> None:
    rnd = random.Random(7)
    for _ in range(300):
        unit = rnd.choice(["a", "ab1", "x.", "x'", "1,", "_a", "a:b", "A"])
        text = unit * rnd.randint(60, 400) + rnd.choice(["", "'s", ".x", " end", "__"])
        for max_len in (255, 100, 7):
            assert std.fast_terms(text, max_len) == _reference(text, max_len, True)
    for analyzer in ANALYZERS:
        text = "word " + "z" * 700 + " done"
        tokens = analyzer.analyze(text)
        assert analyzer.terms(text) == ([t.term for t in tokens], [t.position for t in tokens])


def test_english_tail_may_strip_possessives_after_lowercasing() -> None:
    """The english fast path lowercases before stripping "'s"; that is only equivalent to
    Lucene's order because nothing but 'S' lowercases to 's' and the apostrophes are caseless."""
    from retrievo.index.analysis._unicode_tables import LOWER_PAIRS

    lower = dict(zip(LOWER_PAIRS[0::2], LOWER_PAIRS[1::2]))
    assert [cp for cp, lo in lower.items() if lo == ord("s")] == [ord("S")]
    assert not [cp for cp, lo in lower.items() if lo in (0x27, 0x2019, 0xFF07)]
