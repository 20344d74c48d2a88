"""``profile`` over several indices: ``profile.shards`` holds every searched shard's profile, printed in
the order of their ids (``SearchProfileResults`` prints a sorted set of ``[node][index][shard]``
strings, which is not always the index order), and a shard none of whose hits reached the page ran no
fetch phase, so it has no ``fetch`` section (``SearchProfileResultsBuilder``).
"""

from __future__ import annotations

import pytest

from retrievo import Engine


@pytest.fixture(scope="module")
def es() -> Engine:
    engine = Engine()
    mapping = {
        "properties": {
            "title": {"type": "keyword"},
            "v": {"type": "dense_vector", "dims": 2, "similarity": "l2_norm", "index_options": {"type": "hnsw"}},
        }
    }
    for index, docs in {
        "a": [("a0", "x", [0.0, 0.0]), ("a1", "y", [1.0, 1.0])],
        "a-b": [("b0", "x", [3.0, 0.0])],
    }.items():
        engine.indices.create(index=index, mappings=mapping)
        for doc_id, title, vec in docs:
            engine.index(index=index, id=doc_id, document={"title": title, "v": vec})
    engine.indices.refresh(index="a,a-b")
    return engine


def test_profile_lists_every_index_by_shard_id(es: Engine) -> None:
    """``[retrievo][a-b][0]`` sorts before ``[retrievo][a][0]`` (``-`` is below ``]``), though ``a``
    comes first in index order; both indices' hits are on the page, so both ran a fetch phase."""
    response = es.search(index="a,a-b", query={"term": {"title": "x"}}, profile=True)
    shards = response["profile"]["shards"]
    assert [s["id"] for s in shards] == ["[retrievo][a-b][0]", "[retrievo][a][0]"]
    assert [s["index"] for s in shards] == ["a-b", "a"]
    assert all("fetch" in s for s in shards)
    assert [s["searches"][0]["query"][0]["type"] for s in shards] == ["TermQuery", "TermQuery"]
    assert [h["_id"] for h in response["hits"]["hits"]] == ["a0", "b0"]


def test_a_shard_without_hits_on_the_page_has_no_fetch(es: Engine) -> None:
    response = es.search(index="a,a-b", query={"term": {"title": "x"}}, profile=True, size=1)
    by_index = {s["index"]: s for s in response["profile"]["shards"]}
    assert [h["_index"] for h in response["hits"]["hits"]] == ["a"]
    assert "fetch" in by_index["a"] and "fetch" not in by_index["a-b"]


def test_profile_of_a_knn_search_has_each_index_dfs_section(es: Engine) -> None:
    knn = {"field": "v", "query_vector": [0.0, 0.0], "k": 1, "num_candidates": 5}
    response = es.search(index="a,a-b", knn=knn, profile=True)
    shards = response["profile"]["shards"]
    assert [s["id"] for s in shards] == ["[retrievo][a-b][0]", "[retrievo][a][0]"]
    for shard in shards:  # every shard ran its own kNN search in the DFS phase
        assert [q["type"] for q in shard["dfs"]["knn"][0]["query"]] == ["KnnScoreDocQuery"]
    assert [h["_id"] for h in response["hits"]["hits"]] == ["a0"]
    assert response["hits"]["total"]["value"] == 1
