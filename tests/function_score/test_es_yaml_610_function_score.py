"""Port of Elasticsearch's ``rest-api-spec/.../test/search/610_function_score.yml`` ("Random").

All three searches are ported as written (the ``_seq_no`` one hashes each document's own sequence
number, see ``tests/loose_ends/test_random_score_seq_no.py`` for its exact scores).
"""

from __future__ import annotations

import pytest
from elasticsearch import BadRequestError

from retrievo import Engine


@pytest.fixture(scope="module")
def es() -> Engine:
    engine = Engine()
    engine.indices.create(index="test", mappings={"properties": {"text": {"type": "text"}}})
    engine.index(index="test", id="1", document={"text": "foo bar", "uuid": 1234})
    engine.index(index="test", id="2", document={"text": "high bar", "uuid": 5678})
    engine.index(index="test", id="3", document={"text": "raise bar", "uuid": 9012})
    engine.index(index="test", id="3", document={"text": "raise hands", "uuid": 3456})
    engine.indices.refresh(index="test")
    return engine


def _query(field: str) -> dict[str, object]:
    return {"function_score": {"query": {"match": {"text": "bar"}}, "random_score": {"seed": 10, "field": field}}}


def test_random_on_seq_no(es: Engine) -> None:
    resp = es.search(index="test", size=10, query=_query("_seq_no"))
    assert len(resp["hits"]["hits"]) == 2
    assert resp["hits"]["total"]["value"] == 2


def test_random_on_id_is_disallowed(es: Engine) -> None:
    with pytest.raises(BadRequestError) as err:
        es.search(index="test", size=10, query=_query("_id"))
    assert "Fielddata access on the _id field is disallowed" in str(err.value.body)


def test_random_on_uuid(es: Engine) -> None:
    resp = es.search(index="test", size=10, query=_query("uuid"))
    assert len(resp["hits"]["hits"]) == 2
    assert resp["hits"]["total"]["value"] == 2
