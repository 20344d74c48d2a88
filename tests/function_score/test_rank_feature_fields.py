"""What other queries and APIs do with ``rank_feature``/``rank_features`` fields, as Elasticsearch's field types
answer them: a ``rank_features`` feature is a linear term (``term``, ``weighted_tokens``), ``rank_feature``
takes no query but its own, neither sorts nor aggregates, and the values come back from ``_source``."""

from __future__ import annotations

import numpy as np
import pytest
from elasticsearch import BadRequestError

from retrievo import Engine
from tests.function_score.conftest import f32


@pytest.fixture(scope="module")
def es() -> Engine:
    engine = Engine()
    engine.indices.create(
        index="rf",
        mappings={
            "properties": {
                "pr": {"type": "rank_feature"},
                "topics": {"type": "rank_features"},
                "inverse": {"type": "rank_features", "positive_score_impact": False},
            }
        },
    )
    engine.index(index="rf", id="1", document={"pr": 3, "topics": {"a": 0.1, "b": 2}, "inverse": {"a": 4}})
    engine.index(index="rf", id="2", document={"pr": 7, "topics": {"a": 5}, "inverse": {"a": 0.5}})
    engine.indices.refresh(index="rf")
    return engine


def _truncated(value: float) -> float:
    """``FeatureField``'s stored value: the float with its low 15 mantissa bits dropped."""
    bits = np.array(value, dtype=np.float32).view(np.int32) & ~0x7FFF
    return float(np.array(bits, dtype=np.int32).view(np.float32))


def test_term_on_rank_features_is_linear(es: Engine) -> None:
    hits = es.search(index="rf", query={"term": {"topics": {"value": "a", "boost": 2}}})["hits"]["hits"]
    assert [(h["_id"], h["_score"]) for h in hits] == [("2", 10.0), ("1", f32(2 * _truncated(0.1)))]


def test_negative_impact_stores_the_inverse(es: Engine) -> None:
    hits = es.search(index="rf", query={"rank_feature": {"field": "inverse.a", "linear": {}}})["hits"]["hits"]
    assert [(h["_id"], h["_score"]) for h in hits] == [("2", 2.0), ("1", 0.25)]


def test_weighted_tokens_on_rank_features(es: Engine) -> None:
    query = {"weighted_tokens": {"topics": {"tokens": {"a": 1.0, "b": 3.0}}}}
    hits = es.search(index="rf", query=query)["hits"]["hits"]
    expected_1 = f32(np.float64(_truncated(0.1)) + 3.0 * 2.0)
    assert [(h["_id"], h["_score"]) for h in hits] == [("1", expected_1), ("2", 5.0)]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"term": {"pr": 3}}, "Queries on [rank_feature] fields are not supported"),
        ({"exists": {"field": "topics"}}, "[rank_features] fields do not support [exists] queries"),
    ],
)
def test_refused_queries(es: Engine, query: dict[str, object], message: str) -> None:
    with pytest.raises(BadRequestError) as err:
        es.search(index="rf", query=query)
    assert message in str(err.value.body)


def test_exists_on_rank_feature(es: Engine) -> None:
    assert es.search(index="rf", query={"exists": {"field": "pr"}})["hits"]["total"]["value"] == 2


def test_no_sorting_or_doc_values(es: Engine) -> None:
    for kwargs in ({"sort": [{"pr": "asc"}]}, {"docvalue_fields": ["pr"]}):
        with pytest.raises(BadRequestError) as err:
            es.search(index="rf", **kwargs)  # type: ignore[arg-type]
        assert "[rank_feature] fields do not support sorting, scripting or aggregating" in str(err.value.body)


def test_fields_come_from_source(es: Engine) -> None:
    hit = es.search(index="rf", query={"ids": {"values": ["1"]}}, fields=["pr", "topics"])["hits"]["hits"][0]
    assert hit["fields"] == {"pr": [3.0], "topics": [{"a": 0.1, "b": 2}]}


def test_rank_features_document_errors_point_at_the_feature() -> None:
    es = Engine()
    es.indices.create(index="e", mappings={"properties": {"rs": {"type": "rank_features"}}})
    with pytest.raises(BadRequestError) as err:
        es.index(index="e", id="1", document={"rs": {"a": -2}})
    body = err.value.body["error"]
    assert body["type"] == "document_parsing_exception"
    assert body["reason"].endswith(
        "failed to parse: featureValue must be a positive normal float, got: -2.0 for feature a on field rs which is "
        "less than the minimum positive normal float: 1.1754944E-38"
    )


def test_features_survive_a_restart(tmp_path: object) -> None:
    """The feature postings are ordinary inverted fields: persisted and reopened like any other."""
    es = Engine(path=str(tmp_path))
    es.indices.create(
        index="p",
        mappings={
            "properties": {
                "pr": {"type": "rank_feature", "positive_score_impact": False},
                "t": {"type": "rank_features"},
            }
        },
    )
    es.index(index="p", id="1", document={"pr": 4, "t": {"x": 2}}, refresh=True)
    es.index(index="p", id="2", document={"pr": 2, "t": {"x": 3}}, refresh=True)
    es.indices.flush(index="p")
    reopened = Engine(path=str(tmp_path))
    linear = {"rank_feature": {"field": "pr", "linear": {}}}
    assert [(h["_id"], h["_score"]) for h in reopened.search(index="p", query=linear)["hits"]["hits"]] == [
        ("2", 0.5),
        ("1", 0.25),
    ]
    features = {"rank_feature": {"field": "t.x", "linear": {}}}
    assert [h["_score"] for h in reopened.search(index="p", query=features)["hits"]["hits"]] == [3.0, 2.0]
