"""Every case of the Lucene 8.8.1 tokenizer golden, for ``standard`` and ``english``: exact terms,
absolute positions, code-point offsets and token types, through both ``analyze`` (reference path)
and ``terms`` (fast indexing path)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from retrievo.index.analysis import AnalysisRegistry

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
GOLDEN_TOKENS = SHARED / "fixtures" / "lucene-bm25" / "tokenizer" / "golden.tokens.json"
# Parametrization happens at collection time; without ../shared/ the parameter sets are empty
# (pytest reports them as skipped) and test_golden_is_complete says why.
CASES: list[dict[str, Any]] = (
    json.loads(GOLDEN_TOKENS.read_text(encoding="utf-8"))["cases"] if GOLDEN_TOKENS.exists() else []
)
REGISTRY = AnalysisRegistry.from_settings(None)


def test_golden_is_complete(golden_tokens_path: Path) -> None:
    data = json.loads(golden_tokens_path.read_text(encoding="utf-8"))
    assert data["lucene_version"] == "8.8.1"
    assert data["count"] == len(data["cases"]) == 413


def _expected(case: dict[str, Any], analyzer: str) -> list[tuple[str, int, int, int, str]]:
    return [(t["token"], t["position"], t["start_cp"], t["end_cp"], t["type"]) for t in case[analyzer]]


@pytest.mark.parametrize("analyzer", ["standard", "english"])
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_analyze_matches_lucene(case: dict[str, Any], analyzer: str) -> None:
    tokens = REGISTRY.get(analyzer).analyze(case["text"])
    got = [(t.term, t.position, t.start_offset, t.end_offset, t.type) for t in tokens]
    assert got == _expected(case, analyzer)


@pytest.mark.parametrize("analyzer", ["standard", "english"])
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_terms_matches_lucene(case: dict[str, Any], analyzer: str) -> None:
    expected = _expected(case, analyzer)
    terms, positions = REGISTRY.get(analyzer).terms(case["text"])
    assert terms == [e[0] for e in expected]
    assert positions == [e[1] for e in expected]
