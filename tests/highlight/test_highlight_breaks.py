"""Sentence and word boundaries against the JDK's own ``BreakIterator`` (the one Elasticsearch's
highlighters use). ``jdk/breaks.json`` was written by ``java jdk/Breaks.java jdk/texts.txt`` on OpenJDK 17:
for each text, ``BreakIterator.getSentenceInstance(Locale.ROOT)`` and ``getWordInstance(Locale.ROOT)``
boundaries from ``first()`` through ``next()``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from retrievo.highlight.breaks import sentence_breaks, word_breaks

CASES: list[dict[str, Any]] = json.loads((Path(__file__).parent / "jdk" / "breaks.json").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:30] for c in CASES])
def test_sentence_boundaries_are_the_jdk_s(case: dict[str, Any]) -> None:
    assert sentence_breaks(case["text"]) == case["sentence"]


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:30] for c in CASES])
def test_word_boundaries_are_the_jdk_s(case: dict[str, Any]) -> None:
    assert word_breaks(case["text"]) == case["word"]
