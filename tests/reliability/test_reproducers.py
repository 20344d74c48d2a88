"""Issue 17's reproducers: each input that escaped as a Python exception now answers with the
Elasticsearch error (type and status) and leaves the index as it was."""

from __future__ import annotations

import json
from typing import Any

import elasticsearch
import pytest

import retrievo

BIG = "1" + "0" * 400  # a valid JSON integer beyond any double


@pytest.fixture
def es() -> Any:
    engine = retrievo.Engine()
    engine.indices.create(
        index="lib",
        mappings={
            "properties": {
                "title": {"type": "text"},
                "available": {"type": "boolean"},
                "published": {"type": "date"},
                "pages": {"type": "long"},
                "vec": {"type": "dense_vector", "dims": 3},
            }
        },
    )
    engine.index(
        index="lib",
        id="1",
        document={"title": "a", "available": True, "published": "2020-01-01", "pages": 1, "vec": [1, 0, 0]},
        refresh=True,
    )
    engine.indices.create(index="ing", mappings={"properties": {"title": {"type": "text"}}})
    return engine


def _state(es: Any) -> Any:
    es.indices.refresh(index="lib,ing")
    docs = {i: es.search(index=i, size=100)["hits"]["hits"] for i in ("lib", "ing")}
    return docs, es.indices.get_mapping(index="lib,ing").body


def _raises(es: Any, call: Any, status: int, error_type: str, reason: str = "") -> str:
    before = _state(es)
    with pytest.raises(elasticsearch.ApiError) as info:
        call()
    assert info.value.status_code == status
    assert info.value.body["error"]["type"] == error_type
    assert reason in info.value.body["error"]["reason"]
    assert _state(es) == before
    return str(info.value.body["error"]["reason"])


def _item_error(es: Any, operations: Any, error_type: str, reason: str) -> None:
    before = _state(es)
    response = es.bulk(operations=operations)
    assert response["errors"] is True
    (item,) = response["items"]
    error = next(iter(item.values()))
    assert error["status"] == 400
    assert error["error"]["type"] == error_type
    assert reason in error["error"]["reason"]
    assert _state(es) == before


NESTING = (
    "Document nesting depth (1001) exceeds the maximum allowed "
    "(1000, from `StreamReadConstraints.getMaxNestingDepth()`)"
)


def test_deep_json_search_body(es: Any) -> None:
    body = '{"query":' + '{"bool":{"must":[' * 1000 + '{"match_all":{}}' + "]}}" * 1000 + "}"
    reason = _raises(es, lambda: es.search(index="lib", body=body), 400, "x_content_parse_exception", NESTING)
    assert reason.startswith("[1:")


def test_deep_json_bulk_line(es: Any) -> None:
    _raises(es, lambda: es.bulk(operations="[" * 5000 + "]" * 5000 + "\n"), 400, "x_content_parse_exception", NESTING)


def test_deep_json_msearch_line(es: Any) -> None:
    searches = "{}\n" + "[" * 5000 + "]" * 5000 + "\n"
    _raises(es, lambda: es.msearch(searches=searches), 400, "x_content_parse_exception", NESTING)


def test_nesting_at_the_limit_still_parses(es: Any) -> None:
    body = '{"query":{"match_all":{}},"ext":' + "[" * 998 + "]" * 998 + "}"
    with pytest.raises(elasticsearch.BadRequestError) as info:  # parsed; then refused for ``ext`` itself
        es.search(index="lib", body=body)
    assert "nesting depth" not in str(info.value)


def test_big_integer_in_knn_query_vector(es: Any) -> None:
    body = '{"knn":{"field":"vec","k":1,"num_candidates":5,"query_vector":[BIG,0,0]}}'.replace("BIG", BIG)
    _raises(es, lambda: es.search(index="lib", body=body), 400, "illegal_argument_exception", "infinite values")


def test_big_integer_boost(es: Any) -> None:
    body = '{"query":{"match":{"title":{"query":"a","boost":BIG}}}}'.replace("BIG", BIG)
    _raises(
        es,
        lambda: es.search(index="lib", body=body),
        400,
        "illegal_argument_exception",
        "boost must be a positive float, got Infinity",
    )


def test_big_integer_date_range(es: Any) -> None:
    body = '{"query":{"range":{"published":{"gte":BIG}}}}'.replace("BIG", BIG)
    _raises(es, lambda: es.search(index="lib", body=body), 400, "parse_exception", "failed to parse date field")


def test_big_integer_numeric_range_matches_nothing(es: Any) -> None:
    # Elasticsearch reads the bound as a double (Infinity): beyond every long, so nothing matches
    body = '{"query":{"range":{"pages":{"gte":BIG}}}}'.replace("BIG", BIG)
    assert es.search(index="lib", body=body)["hits"]["total"]["value"] == 0


def test_big_integer_search_after(es: Any) -> None:
    body = '{"sort":[{"pages":"asc"}],"search_after":[BIG]}'.replace("BIG", BIG)
    assert es.search(index="lib", body=body)["hits"]["hits"] == []


def test_big_integer_dense_vector_document(es: Any) -> None:
    es.indices.put_mapping(index="ing", properties={"v": {"type": "dense_vector", "dims": 3}})
    _raises(
        es,
        lambda: es.index(index="ing", id="v", document={"v": [10**400, 0, 0]}),
        400,
        "document_parsing_exception",
        "vectors do not support infinite values",
    )


def test_esql_deep_not(es: Any) -> None:
    query = "FROM lib | WHERE " + "NOT " * 1000 + "available"
    _raises(
        es,
        lambda: es.esql.query(query=query),
        400,
        "parsing_exception",
        "ESQL statement exceeded the maximum expression depth allowed (400)",
    )


def test_esql_deep_not_within_the_limit(es: Any) -> None:
    query = "FROM lib | WHERE " + "NOT " * 398 + "available"
    assert es.esql.query(query=query)["values"]


def test_esql_signed_boolean_in_array(es: Any) -> None:
    _raises(
        es,
        lambda: es.esql.query(query="FROM lib | WHERE KNN(vec, [1, 0, - true])"),
        400,
        "parsing_exception",
        "line 1:36: mismatched input 'true' expecting {DECIMAL_LITERAL, INTEGER_LITERAL}",
    )


def test_lone_surrogate_is_written_back_as_an_escape(es: Any) -> None:
    """JSON's ``\\ud800`` escape carries a lone surrogate in (Jackson accepts it); answers carry it
    back as the same escape, so the error naming the query reaches the client."""
    body = json.dumps({"query": 'ROW x = TEXT_EMBEDDING("a\ud800", ".all-minilm-l6-v2")'})
    headers = {"content-type": "application/json", "accept": "application/json"}
    call = lambda: es.perform_request("POST", "/_query", body=body, headers=headers)  # noqa: E731
    reason = _raises(es, call, 400, "illegal_argument_exception")
    assert "a\ud800" in reason


def test_deep_document_via_index(es: Any) -> None:
    # as JSON text: the official client's own serializer cannot write a dict this deep
    document = '{"a":' * 999 + '{"leaf":1}' + "}" * 999  # 1,000 objects: within JSON's limit
    _raises(
        es,
        lambda: es.index(index="ing", id="d", body=document),
        400,
        "illegal_argument_exception",
        "Limit of mapping depth [20] has been exceeded due to object field [" + ".".join(["a"] * 20) + "]",
    )


def test_deep_document_via_bulk(es: Any) -> None:
    line = '{"a":' * 1000 + "1" + "}" * 1000
    _item_error(
        es,
        '{"index":{"_index":"ing","_id":"e"}}\n' + line + "\n",
        "illegal_argument_exception",
        "Limit of mapping depth [20] has been exceeded",
    )


def test_mapping_depth_limit_is_the_index_setting(es: Any) -> None:
    es.indices.create(index="shallow", settings={"index.mapping.depth.limit": 3})
    es.index(index="shallow", id="1", document={"a": {"b": {"c": 1}}})  # objects a, a.b: depths 2 and 3
    deeper = {"a": {"b": {"c2": {"d": 1}}}}
    with pytest.raises(elasticsearch.BadRequestError, match=r"Limit of mapping depth \[3\].*\[a\.b\.c2\]"):
        es.index(index="shallow", id="2", document=deeper)
    es.indices.put_settings(index="shallow", settings={"index.mapping.depth.limit": 4})
    es.index(index="shallow", id="2", document=deeper)


def test_invalid_utf8_in_bulk_fails_its_item(es: Any) -> None:
    _item_error(
        es,
        b'{"index":{"_index":"ing"}}\n{"title":"\xff"}\n',
        "document_parsing_exception",
        "[1:11] failed to parse: Invalid UTF-8 start byte 0xff",
    )


def test_invalid_utf8_in_a_bulk_action_line_rejects_the_request(es: Any) -> None:
    _raises(
        es,
        lambda: es.bulk(operations=b'{"index":{"_index":"\xff"}}\n{"title":"x"}\n'),
        400,
        "x_content_parse_exception",
        "Invalid UTF-8 start byte 0xff",
    )


def test_lone_surrogate_reaches_the_embedder_as_java_sends_it() -> None:
    """``TEXT_EMBEDDING("a\\ud800", ...)``: the model gets ``a?`` (Java's UTF-8 encoding), as ES's would."""
    engine = retrievo.Engine()
    engine.indices.create(index="v", mappings={"properties": {"vec": {"type": "dense_vector", "dims": 384}}})
    engine.index(index="v", id="1", document={"vec": [0.1] * 384}, refresh=True)

    def score(text: str) -> Any:
        query = f'FROM v METADATA _score | WHERE KNN(vec, TEXT_EMBEDDING("{text}", ".all-minilm-l6-v2")) | KEEP _score'
        return engine.esql.query(query=query)["values"]

    assert score("a\ud800") == score("a?")


def test_bulk_rejected_as_a_whole_changes_nothing(es: Any) -> None:
    operations = [{"index": {"_index": "ing", "_id": "a"}}, {"title": "x"}, {"upsert": {}}]
    reason = _raises(es, lambda: es.bulk(operations=operations, refresh=True), 400, "illegal_argument_exception")
    assert reason.startswith("Malformed action/metadata line [3]")  # _raises checked nothing changed
    assert not es.exists(index="ing", id="a")
