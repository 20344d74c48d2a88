"""Property tests: random ASTs that ES|QL can express (tests/esql/esql_strategies.py) print to ES|QL
text that parses back into the very same AST, and that text runs to the same hits as the AST's
retriever JSON (``node.to_json()``) on the test index."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from conftest import assert_same_hits, build_library, esql_hits, json_hits
from esql_strategies import FREE, LIB, json_body, search_requests
from retrievo.grammar.esql import parse_esql, to_esql
from retrievo.retrievers import SearchRequest, TextSimilarityReranker

ENGINE = build_library()
SETTINGS = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(search_requests(FREE))
def test_esql_round_trip_with_awkward_names_and_values(request: SearchRequest) -> None:
    text = to_esql(request)
    assert parse_esql(text).request == request, text
    assert to_esql(parse_esql(text)) == text


@SETTINGS
@given(search_requests(LIB, json_form=True))
def test_esql_and_retriever_json_give_the_same_hits(request: SearchRequest) -> None:
    text = to_esql(request)
    assert ENGINE.esql.parse(text).request == request, text
    esql = ENGINE.esql.query(query=text)
    json = ENGINE.search(index="lib", body=json_body(request))
    assert_same_hits(esql_hits(esql), json_hits(json), reranked=isinstance(request.retriever, TextSimilarityReranker))
