"""The setup and the requests shared by ``200_rank_rrf_script.yml`` (legacy ``rank``) and
``400_rrf_retriever_script.yml`` (the same searches as ``rrf`` retrievers)."""

from __future__ import annotations

from typing import Any

from es_yaml_rrf import VECTOR_1D
from retrievo import Engine


def build_script_engine() -> Engine:
    """Docs 1–11: ``vector_asc`` [n], ``vector_desc`` [12 − n], ``int`` (n − 1) % 3 + 1, ``text`` "term n".

    In the YAML's 5 shards (kNN and constant-per-term BM25 scores do not depend on them; ties do).
    """
    e = Engine()
    e.indices.create(
        index="test",
        settings={"number_of_shards": 5},
        mappings={
            "properties": {
                "vector_asc": VECTOR_1D,
                "vector_desc": VECTOR_1D,
                "int": {"type": "integer"},
                "text": {"type": "text"},
            }
        },
    )
    ops: list[dict[str, Any]] = []
    for n in range(1, 12):
        ops += [
            {"index": {"_id": str(n)}},
            {"vector_asc": [float(n)], "vector_desc": [float(12 - n)], "int": (n - 1) % 3 + 1, "text": f"term {n}"},
        ]
    e.bulk(index="test", refresh=True, operations=ops)
    return e


def boosted_terms(*value_boosts: tuple[str, float]) -> dict[str, Any]:
    """``bool.should`` of ``term text:<value>`` clauses with boosts: best boost first."""
    return {"bool": {"should": [{"term": {"text": {"value": v, "boost": b}}} for v, b in value_boosts]}}


def knn(field: str, vector: float, k: int) -> dict[str, Any]:
    return {"field": field, "query_vector": [vector], "k": k, "num_candidates": 11}


# BM25 ranks [6, 5, 7, 4, 3] (5 and 7 tie at boost 7: lower doc first) and [6, 5, 7, 4].
BM25_6_5_7_4_3 = boosted_terms(("6", 10.0), ("5", 7.0), ("7", 7.0), ("4", 3.0), ("3", 2.0))
BM25_6_5_7_4 = boosted_terms(("6", 10.0), ("5", 7.0), ("7", 7.0), ("4", 3.0))

#: The scripted metric aggregations of the YAML (painless), kept for the skipped cases.
SUMS_ASC_TEXT: dict[str, Any] = {
    "sums": {
        "scripted_metric": {
            "init_script": "state['sums'] = ['asc': [], 'text': []]",
            "map_script": "state['sums']['asc'].add($('vector_asc', null).getVector()[0]);\n"
            "state['sums']['text'].add(Integer.parseInt($('text', null).substring(5)));",
            "combine_script": "['asc_total': state['sums']['asc'].stream().mapToDouble(v -> v).sum(),\n"
            " 'text_total': state['sums']['text'].stream().mapToInt(v -> v).sum()]",
            "reduce_script": "['asc_total': states.stream().mapToDouble(v -> v['asc_total']).sum(),\n"
            " 'text_total': states.stream().mapToInt(v -> v['text_total']).sum()]",
        }
    }
}
SUMS_ASC_DESC: dict[str, Any] = {
    "sums": {
        "scripted_metric": {
            "init_script": "state['sums'] = ['asc': [], 'desc': []]",
            "map_script": "state['sums']['asc'].add($('vector_asc', null).getVector()[0]);\n"
            "state['sums']['desc'].add($('vector_desc', null).getVector()[0])",
            "combine_script": "['asc_total': state['sums']['asc'].stream().mapToDouble(v -> v).sum(),\n"
            " 'desc_total': state['sums']['desc'].stream().mapToDouble(v -> v).sum()]",
            "reduce_script": "['asc_total': states.stream().mapToDouble(v -> v['asc_total']).sum(),\n"
            " 'desc_total': states.stream().mapToDouble(v -> v['desc_total']).sum()]",
        }
    }
}
SUMS_ASC_DESC_TEXT: dict[str, Any] = {
    "sums": {
        "scripted_metric": {
            "init_script": "state['sums'] = ['asc': [], 'desc': [], 'text': []]",
            "map_script": "state['sums']['asc'].add($('vector_asc', null).getVector()[0]);\n"
            "state['sums']['desc'].add($('vector_asc', null).getVector()[0]);\n"
            "state['sums']['text'].add(Integer.parseInt($('text', null).substring(5)));",
            "combine_script": "['asc_total': state['sums']['asc'].stream().mapToDouble(v -> v).sum(),\n"
            " 'desc_total': state['sums']['asc'].stream().mapToDouble(v -> v).sum(),\n"
            " 'text_total': state['sums']['text'].stream().mapToInt(v -> v).sum()]",
            "reduce_script": "['asc_total': states.stream().mapToDouble(v -> v['asc_total']).sum(),\n"
            " 'desc_total': states.stream().mapToDouble(v -> v['desc_total']).sum(),\n"
            " 'text_total': states.stream().mapToInt(v -> v['text_total']).sum()]",
        }
    }
}
