"""CISI indexed as the multi-term goldens index it (``tools/lucene-oracle-ext/multi_term``)."""

from __future__ import annotations

import json

import pytest

from retrievo import Engine
from tests.conftest import shared_path

MAPPING = {
    "properties": {
        "title": {"type": "text", "analyzer": "standard"},
        "author": {"type": "text", "analyzer": "standard", "fields": {"keyword": {"type": "keyword"}}},
        "text": {"type": "text", "analyzer": "standard"},
    }
}


@pytest.fixture(scope="package")
def cisi() -> Engine:
    engine = Engine()
    engine.indices.create(index="cisi", mappings=MAPPING)
    ops: list[dict] = []
    for line in shared_path("fixtures", "cisi", "corpus.jsonl").read_text().splitlines():
        doc = json.loads(line)
        doc_id = doc.pop("_id")
        doc.pop("bib", None)
        ops += [{"index": {"_index": "cisi", "_id": doc_id}}, doc]
    assert not engine.bulk(operations=ops, refresh=True)["errors"]
    return engine
