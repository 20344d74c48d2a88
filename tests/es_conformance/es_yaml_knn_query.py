"""The index setup shared by the ported ``search.vectors`` ``knn`` query YAML files (110, 140, 190).

``my_index``: ten documents, ``my_vector`` = ``[1, 1, 1, n]`` (4 dims, ``l2_norm``) and ``my_name`` =
``v1`` for odd ``n``, ``v2`` for even. The YAML maps ``my_name`` with ``store: true``, a stored-fields
option retrievo does not implement; it only matters to stored-field fetches, which these files never
make (``fields`` reads the keyword's values either way), so the builders leave it out.
"""

from __future__ import annotations

from typing import Any

from retrievo import Engine


def build_my_index(index_options: dict[str, Any] | None = None, aliases: dict[str, Any] | None = None) -> Engine:
    e = Engine()
    vector: dict[str, Any] = {"type": "dense_vector", "dims": 4, "index": True, "similarity": "l2_norm"}
    if index_options is not None:
        vector["index_options"] = index_options
    e.indices.create(
        index="my_index",
        settings={"number_of_shards": 1},
        mappings={"dynamic": False, "properties": {"my_vector": vector, "my_name": {"type": "keyword"}}},
        aliases=aliases,
    )
    operations: list[dict[str, Any]] = []
    for n in range(1, 11):
        operations += [{"index": {"_id": str(n)}}, {"my_vector": [1, 1, 1, n], "my_name": "v1" if n % 2 else "v2"}]
    e.bulk(index="my_index", refresh=True, operations=operations)
    return e


def knn(k: int | None = None, num_candidates: int | None = None, **extra: Any) -> dict[str, Any]:
    """The YAML's ``knn`` query on ``my_vector`` from ``[1, 1, 1, 1]``."""
    body: dict[str, Any] = {"field": "my_vector", "query_vector": [1, 1, 1, 1]}
    if k is not None:
        body["k"] = k
    if num_candidates is not None:
        body["num_candidates"] = num_candidates
    return {"knn": {**body, **extra}}
