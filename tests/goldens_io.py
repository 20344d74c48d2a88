"""What the Lucene-oracle golden tests share: reading a golden file, and CISI indexed the way the oracle
indexed it.

Every oracle in ``tools/lucene-oracle-ext`` indexes the same CISI corpus (``shared/fixtures/cisi``), so
the tests that compare against its goldens must build the same index; one loader keeps them from drifting
apart (a field dropped in one copy changes every BM25 statistic of that test).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from retrievo import Engine
from tests.conftest import shared_path

#: ``tests/goldens/``: the goldens the oracle extensions write (some test folders keep their own).
GOLDENS = Path(__file__).parent / "goldens"
#: CISI's text fields (every document has all three; 24 also carry ``bib``, which no oracle indexes).
CISI_FIELDS = ("title", "author", "text")
#: The mapping most oracles use: each CISI field a ``text`` field with the ``standard`` analyzer.
CISI_STANDARD_MAPPING = {"properties": {f: {"type": "text", "analyzer": "standard"} for f in CISI_FIELDS}}


def read_golden(*parts: str) -> Any:
    """The JSON golden at ``tests/goldens/<parts>``."""
    return json.loads(GOLDENS.joinpath(*parts).read_text(encoding="utf-8"))


def index_cisi(
    mappings: dict[str, Any] = CISI_STANDARD_MAPPING,
    *,
    fields: Sequence[str] = CISI_FIELDS,
    settings: dict[str, Any] | None = None,
    index: str = "cisi",
) -> Engine:
    """A fresh engine with CISI's ``fields`` bulk-indexed into ``index`` under the given mappings and
    settings, refreshed; skips the test when the shared fixtures are absent."""
    corpus = shared_path("fixtures", "cisi", "corpus.jsonl")
    engine = Engine()
    engine.indices.create(index=index, mappings=mappings, settings=settings)
    ops: list[dict[str, Any]] = []
    for line in corpus.read_text().splitlines():
        doc = json.loads(line)
        ops += [{"index": {"_index": index, "_id": doc["_id"]}}, {f: doc[f] for f in fields if f in doc}]
    assert not engine.bulk(operations=ops, refresh=True)["errors"]
    return engine


def assert_matches_golden(engine: Engine, query: dict[str, Any], result: dict[str, Any], size: int = 20) -> None:
    """``query`` over CISI gives the golden's ``total`` and its top ``hits`` (``[id, score]``): bit-exact
    float32 scores in order, and equal scores in doc id (corpus) order, as Lucene breaks ties."""
    resp = engine.search(index="cisi", query=query, size=size, track_total_hits=True)
    assert resp["hits"]["total"]["value"] == result["total"]
    got = [(h["_id"], np.float32(h["_score"])) for h in resp["hits"]["hits"]]
    want = [(i, np.float32(s)) for i, s in result["hits"]]
    assert [s for _, s in got] == [s for _, s in want]
    assert [i for i, _ in got] == [i for i, _ in want]
