"""Index setups shared by several ported ``rank-rrf`` YAML files (700, 800, 900, 700 compatibility).

Each builder reproduces one YAML ``setup`` section; where the section maps a field type retrievo
does not have (``nested``), the builder says what it leaves out and why.
"""

from __future__ import annotations

from typing import Any

from retrievo import Engine

#: 1-dim l2 hnsw vector, as every ``rank-rrf`` YAML maps it.
VECTOR_1D: dict[str, Any] = {
    "type": "dense_vector",
    "dims": 1,
    "index": True,
    "similarity": "l2_norm",
    "index_options": {"type": "hnsw", "ef_construction": 100, "m": 16},
}

#: ``700_rrf_retriever_aggs.yml`` / ``800_rrf_retriever_collapse.yml`` / ``900_rrf_retriever_nested_query.yml``:
#: doc n has ``text`` = "term" × (10 − n), ``vector`` = [n] and a ``keyword`` (absent for docs 1 and 4).
TERM_DOCS: list[tuple[str, dict[str, Any]]] = [
    (str(n), {"text": " ".join(["term"] * (10 - n)), **({"keyword": kw} if kw else {}), "vector": [float(n)]})
    for n, kw in [
        (1, None),
        (2, "biology"),
        (3, "technology"),
        (4, None),
        (5, "technology"),
        (6, "biology"),
        (7, "astronomy"),
        (8, "technology"),
        (9, "technology"),
    ]
]

#: ``900_rrf_retriever_nested_query.yml`` adds ``nested.views`` to docs 7, 8 and 9.
NESTED_VIEWS: dict[str, int] = {"7": 50, "8": 100, "9": 10}


def build_term_docs_engine() -> Engine:
    """The 700/800 setup: one shard, ``text``/``keyword``/``vector``, :data:`TERM_DOCS`."""
    e = Engine()
    e.indices.create(
        index="test",
        settings={"number_of_shards": 1, "number_of_replicas": 0},
        mappings={"properties": {"text": {"type": "text"}, "keyword": {"type": "keyword"}, "vector": VECTOR_1D}},
    )
    for doc_id, doc in TERM_DOCS:
        e.index(index="test", id=doc_id, document=doc)
    e.indices.refresh()
    return e


#: ``700_rrf_retriever_search_api_compatibility.yml``'s documents, in its order (``nested`` and
#: ``nested_inner_hits`` are nested fields in the YAML).
COMPAT_DOCS: list[tuple[str, dict[str, Any]]] = [
    ("1", {"id": 1, "text": "term1", "vector": [1.0]}),
    (
        "2",
        {"id": 2, "text": "term2", "text_to_highlight": "search for the truth", "keyword": "biology", "vector": [2.0]},
    ),
    ("3", {"id": 3, "text": "term3", "text_to_highlight": "nothing related", "keyword": "technology", "vector": [3.0]}),
    ("4", {"id": 4, "text": "term4", "vector": [4.0]}),
    (
        "5",
        {
            "id": 5,
            "text": "term5",
            "text_to_highlight": "You know, for Search!",
            "keyword": "technology",
            "integer": 5,
            "vector": [5.0],
        },
    ),
    ("6", {"id": 6, "text": "term6", "keyword": "biology", "integer": 6, "vector": [6.0]}),
    ("7", {"id": 7, "text": "term7", "keyword": "astronomy", "vector": [77.0], "nested": {"views": 50}}),
    ("8", {"id": 8, "text": "term8", "keyword": "technology", "nested": {"views": 100}}),
    (
        "9",
        {
            "id": 9,
            "text": "term9",
            "integer": 2,
            "keyword": "technology",
            "nested": {"views": 10},
            "nested_inner_hits": [{"data": "foo"}, {"data": "bar"}, {"data": "baz"}],
        },
    ),
]


def build_compat_engine() -> Engine:
    """The 700 compatibility setup: ``nested`` and ``nested_inner_hits`` mapped as ``nested`` fields."""
    e = Engine()
    e.indices.create(
        index="test",
        mappings={
            "properties": {
                "id": {"type": "integer"},
                "text": {"type": "text"},
                "text_to_highlight": {"type": "text"},
                "keyword": {"type": "keyword"},
                "integer": {"type": "integer"},
                "vector": VECTOR_1D,
                "nested": {"type": "nested", "properties": {"views": {"type": "long"}}},
                "nested_inner_hits": {"type": "nested", "properties": {"data": {"type": "keyword"}}},
            }
        },
    )
    for doc_id, doc in COMPAT_DOCS:
        e.index(index="test", id=doc_id, document=doc)
    e.indices.refresh()
    return e
