"""Shared fixtures. ../shared/ (reference data) exists in CI and on developers' machines, not on
users' machines, so tests that read it skip with a reason when it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def shared_path(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(
            f"reference data {path} is not available (../shared/ exists only in the "
            f"project's own checkouts, not in a user's install)"
        )
    return path


@pytest.fixture
def engine():
    from retrievo import Engine

    return Engine()
