"""A published searcher keeps the sources it counts live, whatever is written after it.

Found by ``tests/server/test_server_load.py``: a search running while another client re-indexed or
deleted one of its hits answered that hit with ``"_source": {}`` (and reranked it on empty text),
because the write dropped the old source the searcher was about to fetch. Elasticsearch's searcher
reads the old document from its point-in-time segments. The store itself still lets the source go, and
the searcher's hold on it ends with the searcher.
"""

from __future__ import annotations

import gc
import weakref

from retrievo import Engine


def test_writes_after_a_refresh_leave_the_published_searchers_sources_alone() -> None:
    es = Engine()
    es.indices.create(index="snap", mappings={"properties": {"text": {"type": "text"}}})
    es.index(index="snap", id="1", document={"text": "alpha one"})
    es.index(index="snap", id="2", document={"text": "alpha two"}, refresh=True)
    shard = es.catalog.shards["snap"]
    searcher = shard.refresh()
    first, second = searcher.by_id["1"], searcher.by_id["2"]

    es.index(index="snap", id="1", document={"text": "alpha three"})  # re-indexed
    es.delete(index="snap", id="2")
    es.index(index="snap", id="3", document={"text": "alpha four"}, refresh=True)
    es.index(index="snap", id="1", document={"text": "alpha five"}, refresh=True)  # and again, later

    assert bool(searcher.live[first]) and bool(searcher.live[second])
    assert searcher.source(first) == {"text": "alpha one"}
    assert searcher.source(second) == {"text": "alpha two"}
    # the store no longer holds them; new searches see the writes
    assert shard.store.sources[first] is None and shard.store.sources[second] is None
    hits = es.search(index="snap", query={"match": {"text": "alpha"}})["hits"]["hits"]
    assert sorted((h["_id"], h["_source"]["text"]) for h in hits) == [("1", "alpha five"), ("3", "alpha four")]

    assert searcher.retired is not None
    kept = weakref.ref(searcher.retired)
    del searcher
    gc.collect()
    assert kept() is None  # the dropped sources went with the last searcher that could see them
