"""The indices and documents of Elasticsearch's ``10_mmr_result_diversification_retriever.yml`` setup."""

from __future__ import annotations

from typing import Any

from retrievo import Engine

FLOAT_DOCS: list[tuple[str, list[float], str]] = [
    ("first text", [0.4, 0.2, 0.4, 0.4], "test1"),
    ("second text", [0.4, 0.2, 0.3, 0.3], "test2"),
    ("second text duplicate", [0.4, 0.2, 0.3, 0.3], "test2_dup"),
    ("third text", [0.4, 0.1, 0.3, 0.3], "test3"),
    ("third text duplicate", [0.4, 0.1, 0.3, 0.3], "test3_dup"),
    ("fourth text", [0.1, 0.9, 0.5, 0.6], "test4"),
    ("fifth text", [0.1, 0.9, 0.5, 0.9], "test5"),
    ("sixth text", [0.05, 0.05, 0.05, 0.05], "test6"),
    ("seventh text", [0.1, 0.4, 0.5, 0.9], "test7"),
    ("eighth text", [0.1, 0.9, 0.7, 0.9], "test8"),
    ("ninth text", [0.2, 0.05, 0.2, 0.05], "test9"),
]
OTHER_DOCS: list[tuple[str, list[float], str]] = [
    ("first text other", [0.4, 0.2, 0.4, 0.4], "test1"),
    ("second text other", [0.4, 0.2, 0.3, 0.3], "test2"),
    ("second text duplicate other", [0.4, 0.2, 0.3, 0.3], "test2_dup"),
    ("third text other", [0.4, 0.1, 0.3, 0.3], "test3"),
    ("third text duplicate other", [0.4, 0.1, 0.3, 0.3], "test3_dup"),
    ("fourth text other", [0.1, 0.9, 0.5, 0.9], "test4"),
    ("fifth text other", [0.1, 0.9, 0.5, 0.9], "test5"),
    ("sixth text other", [0.05, 0.05, 0.05, 0.05], "test6"),
]
BIT_DOCS: list[tuple[str, str, str]] = [
    ("first text", "0BB8", "test1"),
    ("second text", "94A2", "test2"),
    ("second text duplicate", "94A2", "test2_dup"),
    ("third text", "0560", "test3"),
    ("third text duplicate", "0560", "test3_dup"),
    ("fourth text", "2112", "test4"),
    ("fifth text", "5051", "test5"),
]
RANKED_DOCS: list[tuple[str, list[float], str, int]] = [
    ("first text", [0.4, 0.2, 0.4, 0.4], "test1", 1),
    ("second text", [0.4, 0.2, 0.3, 0.3], "test2", 2),
    ("second text duplicate", [0.4, 0.2, 0.3, 0.3], "test2_dup", 3),
    ("another first text", [0.4, 0.1, 0.3, 0.3], "test1_another", 4),
    ("another first text duplicate", [0.4, 0.1, 0.3, 0.3], "test1_another_dup", 5),
    ("third and fourth first text duplicate", [0.4, 0.1, 0.3, 0.3], "test3_4_1_dup", 6),
    ("fourth text", [0.1, 0.9, 0.5, 0.9], "test4", 7),
    ("more first text to add additional results text", [0.1, 0.9, 0.5, 0.9], "test1_more", 8),
]

FLOAT_INDEX = "test-result-diversification-index"
OTHER_INDEX = "test-result-diversification-index-other"
BIT_INDEX = "test-result-byte-diversification-index"
RANKED_INDEX = "any-shards-test-result-diversification-index"


def _mapping(dims: int, element_type: str | None = None, rank: bool = False) -> dict[str, Any]:
    vector: dict[str, Any] = {"type": "dense_vector", "dims": dims}
    if element_type is not None:
        vector["element_type"] = element_type
    props: dict[str, Any] = {"textbody": {"type": "text"}, "keywordfield": {"type": "keyword"}, "textvector": vector}
    if rank:
        props["rankfield"] = {"type": "integer"}
    return {"properties": props}


def _bulk(e: Engine, index: str, sources: list[dict[str, Any]]) -> None:
    ops: list[dict[str, Any]] = []
    for src in sources:
        ops += [{"index": {}}, src]
    resp = e.bulk(index=index, operations=ops, refresh=True)
    assert not resp["errors"]


def build_engine() -> Engine:
    """The four indices of the YAML setup, documents in the YAML's order (one shard each)."""
    e = Engine()
    one_shard = {"number_of_shards": 1}
    e.indices.create(index=FLOAT_INDEX, settings=one_shard, mappings=_mapping(4))
    e.indices.create(index=OTHER_INDEX, settings=one_shard, mappings=_mapping(4))
    # retrievo has no `bit` element type: the same bytes as a 2-dim `byte` vector (MMR compares
    # bit vectors byte by byte, as signed bytes, exactly as byte vectors).
    e.indices.create(index=BIT_INDEX, settings=one_shard, mappings=_mapping(2, "byte"))
    e.indices.create(index=RANKED_INDEX, mappings=_mapping(4, rank=True))
    _bulk(e, FLOAT_INDEX, [{"textbody": t, "textvector": v, "keywordfield": k} for t, v, k in FLOAT_DOCS])
    _bulk(e, OTHER_INDEX, [{"textbody": t, "textvector": v, "keywordfield": k} for t, v, k in OTHER_DOCS])
    _bulk(e, BIT_INDEX, [{"textbody": t, "textvector": v, "keywordfield": k} for t, v, k in BIT_DOCS])
    _bulk(
        e,
        RANKED_INDEX,
        [{"textbody": t, "textvector": v, "keywordfield": k, "rankfield": r} for t, v, k, r in RANKED_DOCS],
    )
    return e
