"""Fixtures for the analysis tests.

The Lucene goldens live in ../shared/ next to the repository checkout; that directory exists in
the project's own checkouts and CI but not in a user's install, so tests needing it skip.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
GOLDEN_TOKENS = SHARED / "fixtures" / "lucene-bm25" / "tokenizer" / "golden.tokens.json"


@pytest.fixture(scope="session")
def golden_tokens_path() -> Path:
    if not GOLDEN_TOKENS.exists():
        pytest.skip(
            f"Lucene tokenizer golden {GOLDEN_TOKENS} is not available "
            "(../shared/ exists only in the project's own checkouts)"
        )
    return GOLDEN_TOKENS
