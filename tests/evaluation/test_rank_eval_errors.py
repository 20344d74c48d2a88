"""Bad ``_rank_eval`` input: Elasticsearch-shaped 400s naming the field, nothing run or changed."""

from __future__ import annotations

import pytest

from retrievo import Engine
from retrievo.errors import ApiError, BadRequestError

RATINGS = [{"_index": "idx", "_id": "1", "rating": 1}]
REQUEST = {"id": "q", "request": {"query": {"match": {"text": "apple"}}}, "ratings": RATINGS}


@pytest.fixture(scope="module")
def engine() -> Engine:
    engine = Engine()
    engine.index(index="idx", id="1", document={"text": "apple"}, refresh=True)
    return engine


def _error(engine: Engine, **kwargs) -> dict:
    with pytest.raises(BadRequestError) as caught:
        engine.rank_eval(**kwargs)
    assert caught.value.status_code == 400 and caught.value.body["status"] == 400
    return caught.value.body["error"]


def _innermost(error: dict) -> dict:
    while "caused_by" in error:
        error = error["caused_by"]
    return error


def test_unknown_metric_suggests_the_known_ones(engine):
    error = _error(engine, requests=[REQUEST], metric={"precison": {}})
    assert error["reason"] == "[rank_eval] failed to parse field [metric]"
    assert error["caused_by"]["type"] == "named_object_not_found_exception"
    assert "unknown field [precison]" in error["caused_by"]["reason"]


@pytest.mark.parametrize(
    "metric, reason",
    [
        ({"precision": {"k": 0}}, "Window size k must be positive."),
        ({"recall": {"k": -3}}, "Window size k must be positive."),
        (
            {"mean_reciprocal_rank": {"relevant_rating_threshold": -1}},
            "Relevant rating threshold for precision must be positive integer.",
        ),
        ({"expected_reciprocal_rank": {"k": 5}}, "Required [maximum_relevance]"),
        ({"precision": {"k": "ten"}}, 'For input string: "ten"'),
        ({"dcg": {"normalise": True}}, "[dcg] unknown field [normalise] did you mean [normalize]?"),
        (
            {"precision": {"ignore_unlabeled": "maybe"}},
            "Failed to parse value [maybe] as only [true] or [false] are allowed.",
        ),
    ],
)
def test_bad_metric_parameters(engine, metric, reason):
    error = _error(engine, requests=[REQUEST], metric=metric)
    assert error["reason"] == "[rank_eval] failed to parse field [metric]"
    assert _innermost(error)["reason"] == reason


def test_missing_sections(engine):
    assert _error(engine, body={"requests": [REQUEST]})["reason"] == "Required [metric]"
    error = _error(engine, requests=[{"id": "q", "request": {"query": {"match_all": {}}}}], metric={"precision": {}})
    assert _innermost(error)["reason"] == "Required [ratings]"
    error = _error(engine, requests=[], metric={"precision": {}})
    assert (
        "Cannot evaluate ranking if no search requests with rated results are provided" in _innermost(error)["reason"]
    )
    error = _error(engine, requests=[{"id": "q", "ratings": RATINGS}], metric={"precision": {}})
    assert _innermost(error)["reason"] == "Need to set at least test request or test request template parameters."


def test_bad_rated_requests(engine):
    both = {**REQUEST, "params": {"a": 1}, "template_id": "t"}
    assert "Ambiguous rated request" in _innermost(_error(engine, requests=[both], metric={"precision": {}}))["reason"]
    dup = {**REQUEST, "ratings": RATINGS * 2}
    reason = _innermost(_error(engine, requests=[dup], metric={"precision": {}}))["reason"]
    assert reason == 'Found duplicate rated document key [{"_index":"idx","_id":"1"}] in evaluation request [q]'
    unknown = {**REQUEST, "size": 3}
    assert "[request] unknown field [size]" in str(_error(engine, requests=[unknown], metric={"precision": {}}))
    no_template = {"id": "q", "params": {"q": "x"}, "template_id": "missing", "ratings": RATINGS}
    # templates travel in the body: the official client's rank_eval has no keyword for them
    error = _error(
        engine,
        body={
            "requests": [no_template],
            "metric": {"precision": {}},
            "templates": [{"id": "other", "template": {"source": "{}"}}],
        },
    )
    assert "Template with id [missing] not found" in error["reason"]


def test_bad_search_body_fails_the_whole_call(engine):
    error = _error(engine, requests=[{**REQUEST, "request": {"query": {"matchh": {}}}}], metric={"precision": {}})
    assert "matchh" in str(error)
    error = _error(engine, requests=[{**REQUEST, "request": {"aggs": {}}}], metric={"precision": {}})
    assert "Query in rated requests should not contain aggregations." in str(error)


def test_template_rendering_invalid_json(engine):
    error = _error(
        engine,
        body={
            "templates": [{"id": "t", "template": {"source": '{"query": {{q}} }'}}],
            "requests": [{"id": "q", "params": {"q": "x"}, "template_id": "t", "ratings": RATINGS}],
            "metric": {"precision": {}},
        },
    )
    assert error["type"] == "x_content_parse_exception" and "[t]" in error["reason"]


def test_request_parameters(engine):
    assert "No search type for [scan]" in str(
        _error(engine, requests=[REQUEST], metric={"precision": {}}, search_type="scan")
    )
    engine2 = Engine()
    engine2.index(index="a1", id="1", document={"text": "apple"}, refresh=True)
    engine2.index(index="a2", id="1", document={"text": "apple"}, refresh=True)
    # an expression over several indices searches them all, as _search does
    ratings = [{"_index": "a1", "_id": "1", "rating": 1}, {"_index": "a2", "_id": "1", "rating": 1}]
    request = {**REQUEST, "ratings": ratings}
    result = engine2.rank_eval(index="a*", requests=[request], metric={"precision": {}})
    assert result["metric_score"] == 1.0 and len(result["details"]["q"]["hits"]) == 2
    with pytest.raises(ValueError, match="Empty value passed for parameter 'requests'"):
        engine.rank_eval(metric={"precision": {}})
    with pytest.raises(ValueError, match="Received multiple values for 'metric'"):
        engine.rank_eval(body={"requests": [REQUEST], "metric": {"precision": {}}}, metric={"recall": {}})


def test_keyword_arguments_and_body_give_the_same_response(engine):
    by_body = engine.rank_eval(index="idx", body={"requests": [REQUEST], "metric": {"recall": {"k": 3}}})
    by_kwargs = engine.rank_eval(index="idx", requests=[REQUEST], metric={"recall": {"k": 3}})
    by_text = engine.rank_eval(
        index="idx",
        body='{"requests": [{"id": "q", "request": {"query": {"match": '
        '{"text": "apple"}}}, "ratings": [{"_index": "idx", "_id": "1", "rating": 1}]}], '
        '"metric": {"recall": {"k": 3}}}',
    )
    assert by_body == by_kwargs == by_text
    assert by_body["metric_score"] == 1.0


def test_errors_are_api_errors_not_tracebacks(engine):
    for body in (None, "not json", [], {"requests": "x", "metric": {}}, {"requests": [REQUEST], "metric": []}):
        with pytest.raises((ApiError, ValueError)):
            engine.rank_eval(body=body)
