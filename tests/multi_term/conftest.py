"""CISI indexed as the multi-term goldens index it (``tools/lucene-oracle-ext/multi_term``)."""

from __future__ import annotations

import pytest

from retrievo import Engine
from tests.goldens_io import index_cisi

MAPPING = {
    "properties": {
        "title": {"type": "text", "analyzer": "standard"},
        "author": {"type": "text", "analyzer": "standard", "fields": {"keyword": {"type": "keyword"}}},
        "text": {"type": "text", "analyzer": "standard"},
    }
}


@pytest.fixture(scope="package")
def cisi() -> Engine:
    return index_cisi(MAPPING)
