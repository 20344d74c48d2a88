"""Token streams of the n-gram, path, pattern, shingle, term-rewriting filters and char filters
against Lucene 8.8.1's (``goldens/components.json``, made by ``tools/lucene-oracle-ext``): terms,
absolute positions, code-point offsets, types and position lengths, through ``analyze`` and the
fast ``terms`` path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from retrievo.index.analysis import AnalysisRegistry, Analyzer

GOLDEN = json.loads((Path(__file__).parent / "goldens" / "components.json").read_text(encoding="utf-8"))
CASES: list[dict[str, Any]] = GOLDEN["cases"]


def analyzer_for(chain: dict[str, Any]) -> Analyzer:
    """The chain as index settings: each component defined under its own name."""
    char_filters = {f"c{i}": d for i, d in enumerate(chain.get("char_filter", []))}
    filters = {f"f{i}": d for i, d in enumerate(chain.get("filter", []))}
    analysis = {
        "char_filter": char_filters,
        "tokenizer": {"t": chain["tokenizer"]},
        "filter": filters,
        "analyzer": {"a": {"tokenizer": "t", "char_filter": list(char_filters), "filter": list(filters)}},
    }
    return AnalysisRegistry.from_settings(analysis).get("a")


ANALYZERS = {name: analyzer_for(chain) for name, chain in GOLDEN["chains"].items()}

# Lucene's ShingleFilter also fills the gap left by stop words removed at the very end of the
# stream ("fox of the" -> "fox *"), from the stream's final position increment; retrievo's token
# streams do not carry that increment yet.
# The oracle runs on JDK 17, where \b treats every Unicode letter/digit as a word character; since
# JDK 19 (ES 9 bundles a newer JDK) \b follows \w, ASCII-only, which is what retrievo implements.
_JDK17_WORD_BOUNDARY = "JDK 17's Unicode \\b; ES 9's JDK (19+) uses ASCII \\w boundaries like retrievo"
KNOWN_GAPS = {
    "shingle_after_stop/4": "trailing filler from the end-of-stream position increment",
    "regex_0/0": _JDK17_WORD_BOUNDARY,
    "regex_0/2": _JDK17_WORD_BOUNDARY,
}


def _params(cases: list[dict[str, Any]]) -> list[Any]:
    return [
        pytest.param(c, id=c["id"], marks=pytest.mark.xfail(reason=KNOWN_GAPS[c["id"]], strict=True))
        if c["id"] in KNOWN_GAPS
        else pytest.param(c, id=c["id"])
        for c in cases
    ]


def test_golden_covers_every_chain() -> None:
    assert GOLDEN["lucene_version"] == "8.8.1"
    assert {c["chain"] for c in CASES} == set(GOLDEN["chains"])
    assert any(t[5] > 1 for c in CASES for t in c["tokens"])  # shingles' position lengths are in


@pytest.mark.parametrize("case", _params(CASES))
def test_analyze_matches_lucene(case: dict[str, Any]) -> None:
    tokens = ANALYZERS[case["chain"]].analyze(case["text"])
    got = [[t.term, t.position, t.start_offset, t.end_offset, t.type, t.position_length] for t in tokens]
    assert got == case["tokens"]


@pytest.mark.parametrize("case", _params(CASES))
def test_terms_matches_lucene(case: dict[str, Any]) -> None:
    terms, positions = ANALYZERS[case["chain"]].terms(case["text"])
    assert terms == [t[0] for t in case["tokens"]]
    assert positions == [t[1] for t in case["tokens"]]
