"""The plan cache (``planner/plan_cache.py``): a repeated search runs the plan made before, and
answers exactly what a search without the cache answers, whatever changed in between.

Every scenario runs on two engines fed the same operations, one with the cache and one without: each
step's answers must be equal (``took`` aside), the cached engine must really have answered from its
cache where the request is cacheable, and the change under test must change the answer (so that a
stale plan would have been caught)."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from retrievo import ApiError, Engine

WORDS = ["apple", "pear", "plum", "fig", "kiwi", "lime", "date", "grape"]
MAPPINGS: dict[str, Any] = {
    "properties": {
        "title": {"type": "text"},
        "body": {"type": "text", "fields": {"raw": {"type": "keyword"}}},
        "tag": {"type": "keyword"},
        "year": {"type": "integer"},
        "day": {"type": "date"},
        "vec": {"type": "dense_vector", "dims": 4, "similarity": "l2_norm", "index_options": {"type": "flat"}},
    }
}
DAY_MS = 86_400_000
#: 2020-01-10T00:00:00Z: the documents' days count from here.
EPOCH_2020_01_10 = 1_578_614_400_000


def _doc(i: int) -> dict[str, Any]:
    rng = np.random.default_rng(i)
    words = [WORDS[j] for j in rng.integers(0, len(WORDS), size=3 + i % 7)]
    return {
        "title": " ".join(words[:3]),
        "body": " ".join(words),
        "tag": "abc"[i % 3],
        "year": 2000 + i % 12,
        "day": EPOCH_2020_01_10 + (i % 5) * DAY_MS,
        "vec": [float(x) for x in rng.normal(size=4)],
    }


def _engine(cached: bool, settings: dict[str, Any] | None = None, docs: int = 60) -> Engine:
    e = Engine()
    e.catalog.plan_cache.enabled = cached
    e.indices.create(index="docs", mappings=MAPPINGS, settings=settings)
    ops: list[dict[str, Any]] = []
    for i in range(docs):
        ops += [{"index": {"_index": "docs", "_id": str(i)}}, _doc(i)]
    e.bulk(operations=ops, refresh=True)
    return e


class Pair:
    """The same engine twice, with and without the plan cache; every call goes to both."""

    def __init__(self, make: Callable[[bool], Engine] = _engine) -> None:
        self.cached, self.plain = make(True), make(False)

    def do(self, action: Callable[[Engine], Any]) -> None:
        action(self.cached)
        action(self.plain)

    def search(self, **kwargs: Any) -> Any:
        """Both engines' answers, checked equal (the cached engine's one is returned)."""
        got, want = _answer(self.cached, kwargs), _answer(self.plain, kwargs)
        assert got == want, kwargs
        return got

    def stats(self) -> dict[str, int]:
        return self.cached.catalog.plan_cache.stats()


def _answer(e: Engine, kwargs: dict[str, Any]) -> Any:
    try:
        body = dict(e.search(**kwargs).body)
    except ApiError as err:
        return {"error": err.body, "status": err.status_code}
    body.pop("took")
    return body


def _ids(answer: Any) -> list[str]:
    return [h["_id"] for h in answer["hits"]["hits"]]


@pytest.fixture(scope="module")
def pair() -> Pair:
    return Pair()


VEC = [0.1, -0.3, 0.5, 0.2]
CORPUS: list[dict[str, Any]] = [
    {"query": {"match": {"body": "apple pear"}}},
    {"query": {"match": {"body": {"query": "apple plum", "operator": "and"}}}, "size": 3, "from": 2},
    {"query": {"bool": {"must": [{"match": {"title": "fig"}}], "filter": [{"term": {"tag": "a"}}]}}},
    {"query": {"bool": {"filter": [{"term": {"tag": "a"}}], "must": [{"match": {"title": "fig"}}]}}},
    {"query": {"multi_match": {"query": "kiwi lime", "fields": ["title^2", "body"]}}, "explain": True},
    {"query": {"range": {"year": {"gte": 2004, "lt": 2008}}}, "sort": [{"year": "desc"}, "_doc"]},
    {"query": {"range": {"day": {"gte": "2020-01-11", "lte": "2020-01-12||+1d"}}}},
    {"query": {"terms": {"tag": ["b", "c"]}}, "track_total_hits": 5, "_source": ["title"]},
    {"query": {"match_phrase": {"body": "apple pear"}}, "highlight": {"fields": {"body": {}}}},
    {"query": {"query_string": {"query": "grape AND NOT date", "default_field": "body"}}},
    {"query": {"match": {"body": "fig"}}, "aggs": {"tags": {"terms": {"field": "tag"}}}, "size": 0},
    {"query": {"match": {"body": "apple"}}, "post_filter": {"term": {"tag": "b"}}, "fields": ["year"]},
    {"query": {"match": {"body": "plum"}}, "collapse": {"field": "tag"}},
    {
        "query": {"match": {"body": "pear"}},
        "rescore": {"window_size": 5, "query": {"rescore_query": {"match": {"title": "pear"}}}},
    },
    {"knn": {"field": "vec", "query_vector": VEC, "k": 5, "num_candidates": 20}},
    {"query": {"match": {"body": "kiwi"}}, "knn": {"field": "vec", "query_vector": VEC, "k": 3, "num_candidates": 9}},
    {
        "retriever": {
            "rrf": {
                "retrievers": [
                    {"standard": {"query": {"match": {"body": "apple"}}}},
                    {"knn": {"field": "vec", "query_vector": VEC, "k": 5, "num_candidates": 20}},
                ]
            }
        }
    },
    {"query": {"function_score": {"query": {"match": {"body": "lime"}}, "field_value_factor": {"field": "year"}}}},
    {"query": {"match": {"body": "apple"}}, "suggest": {"s": {"text": "aple", "term": {"field": "body"}}}},
    {"query": {"match_all": {}}, "search_after": [2003, 5], "sort": [{"year": "asc"}, "_doc"], "size": 4},
    {"query": {"match": {"body": "date grape"}}, "min_score": 0.5, "version": True, "seq_no_primary_term": True},
    {"query": {"bool": {"should": [{"match": {"body": {"query": "fig", "_name": "f"}}}]}}},
    {"query": {"match": {"nope": "x"}}},
    {"query": {"term": {"year": "not a number"}}},  # an error: never cached, answered the same each time
]


@pytest.mark.parametrize("body", CORPUS, ids=[str(i) for i in range(len(CORPUS))])
def test_hits_are_identical_with_and_without_the_cache(pair: Pair, body: dict[str, Any]) -> None:
    before = pair.stats()
    first = pair.search(index="docs", body=body)
    again = pair.search(index="docs", body=body)
    third = pair.search(index="docs", body=body)
    assert first == again == third
    if "error" not in first:
        after = pair.stats()
        # the second sighting stored the plan (admission), the third search ran it
        assert after["hits"] == before["hits"] + 1


def test_url_parameters_key_the_plan(pair: Pair) -> None:
    query = {"match": {"body": "apple"}}
    sizes = [_ids(pair.search(index="docs", query=query, size=n)) for n in (2, 5, 2, 5)]
    assert sizes[0] == sizes[2] and sizes[1] == sizes[3] and len(sizes[0]) == 2 and len(sizes[1]) == 5
    totals = pair.search(index="docs", query=query, rest_total_hits_as_int=True)["hits"]["total"]
    assert isinstance(totals, int)
    aggs = {"t": {"terms": {"field": "tag"}}}
    assert "sterms#t" in pair.search(index="docs", query=query, aggs=aggs, typed_keys=True)["aggregations"]
    assert "t" in pair.search(index="docs", query=query, aggs=aggs)["aggregations"]
    assert "sterms#t" in pair.search(index="docs", query=query, aggs=aggs, typed_keys=True)["aggregations"]
    routed = [_ids(pair.search(index="docs", query=query, routing=r)) for r in ("1", "2", "1")]
    assert routed[0] == routed[2]


@pytest.mark.parametrize("interval", ["1s", "-1"])
def test_writes_and_refresh_invalidate(interval: str) -> None:
    p = Pair(lambda cached: _engine(cached, settings={"index.refresh_interval": interval}))
    body = {"query": {"match": {"body": "zucchini"}}}
    assert _ids(p.search(index="docs", body=body)) == []
    p.search(index="docs", body=body)  # the second sighting stores the plan
    p.search(index="docs", body=body)
    p.do(lambda e: e.index(index="docs", id="new", document={"body": "zucchini soup"}))
    # searches see pending writes unless refresh is switched off, then the old snapshot answers
    assert _ids(p.search(index="docs", body=body)) == ([] if interval == "-1" else ["new"])
    p.do(lambda e: e.indices.refresh(index="docs"))
    assert _ids(p.search(index="docs", body=body)) == ["new"]
    p.do(lambda e: e.delete(index="docs", id="new", refresh=True))
    assert _ids(p.search(index="docs", body=body)) == []
    # the old snapshots' plans were dropped: the plan and its shape's templates (match_template.py) are left
    assert len(p.cached.catalog.plan_cache) == 2
    # the third search, and one more on an unchanged snapshot (after a refresh that published nothing new,
    # or, with refresh off, before the refresh)
    assert p.stats()["hits"] == 2


def test_mapping_change_invalidates() -> None:
    p = Pair()
    body = {"query": {"match": {"title": "fig pear"}}}
    assert p.search(index="docs", body=body)["hits"]["total"]["value"] > 0
    p.search(index="docs", body=body)
    new_analyzer = {"title": {"type": "text", "search_analyzer": "keyword"}}
    p.do(lambda e: e.indices.put_mapping(index="docs", properties=new_analyzer))
    p.search(index="docs", body=body)
    p.do(lambda e: e.index(index="docs", id="x", document={"title": "fig pear"}, refresh=True))
    # the keyword search analyzer keeps "fig pear" whole: no indexed term is that
    assert p.search(index="docs", body=body)["hits"]["total"]["value"] == 0


def test_settings_change_invalidates() -> None:
    p = Pair()
    body = {"query": {"query_string": {"query": "fig"}}}
    everywhere = p.search(index="docs", body=body)
    p.search(index="docs", body=body)
    p.do(lambda e: e.indices.put_settings(index="docs", settings={"index.query.default_field": ["tag"]}))
    assert p.search(index="docs", body=body)["hits"]["total"]["value"] == 0 < everywhere["hits"]["total"]["value"]
    p.do(lambda e: e.indices.put_settings(index="docs", settings={"index.max_result_window": 5}))
    assert p.search(index="docs", body={"query": {"match_all": {}}, "size": 6})["status"] == 400


def test_alias_filter_change_invalidates() -> None:
    p = Pair()
    p.do(lambda e: e.indices.put_alias(index="docs", name="only", filter={"term": {"tag": "a"}}))
    body = {"query": {"match": {"body": "apple"}}}
    tags = {h["_source"]["tag"] for h in p.search(index="only", body=body)["hits"]["hits"]}
    assert tags == {"a"}
    p.search(index="only", body=body)
    p.do(lambda e: e.indices.put_alias(index="docs", name="only", filter={"term": {"tag": "b"}}))
    tags = {h["_source"]["tag"] for h in p.search(index="only", body=body)["hits"]["hits"]}
    assert tags == {"b"}
    p.do(lambda e: e.indices.put_alias(index="docs", name="only", search_routing="1"))  # routing, no filter
    p.search(index="only", body=body)


def test_ruleset_change_invalidates() -> None:
    p = Pair()

    def rules(ids: list[str]) -> Callable[[Engine], Any]:
        rule = {"rule_id": "r", "type": "pinned", "criteria": [{"type": "always"}], "actions": {"ids": ids}}
        return lambda e: e.query_rules.put_ruleset(ruleset_id="rs", rules=[rule])

    p.do(rules(["7", "8"]))
    body = {
        "query": {"rule": {"organic": {"match": {"body": "apple"}}, "ruleset_ids": ["rs"], "match_criteria": {"q": 1}}}
    }
    assert _ids(p.search(index="docs", body=body))[:2] == ["7", "8"]
    p.do(rules(["9"]))
    assert _ids(p.search(index="docs", body=body))[:1] == ["9"]
    retriever = {
        "rule": {
            "retriever": {"standard": {"query": {"match": {"body": "apple"}}}},
            "ruleset_ids": ["rs"],
            "match_criteria": {"q": 1},
        }
    }
    assert _ids(p.search(index="docs", body={"retriever": retriever}))[:1] == ["9"]
    p.do(lambda e: e.query_rules.delete_ruleset(ruleset_id="rs"))
    assert p.search(index="docs", body=body)["status"] == 404
    assert p.stats()["stored"] == 0


def _synonym_index(cached: bool) -> Engine:
    e = Engine()
    e.catalog.plan_cache.enabled = cached
    e.synonyms.put_synonym(id="s", synonyms_set=[{"id": "r1", "synonyms": "car, automobile"}])
    e.indices.create(
        index="docs",
        settings={
            "analysis": {
                "filter": {"syn": {"type": "synonym_graph", "synonyms_set": "s", "updateable": True}},
                "analyzer": {"search": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "syn"]}},
            }
        },
        mappings={"properties": {"t": {"type": "text", "search_analyzer": "search"}}},
    )
    e.index(index="docs", id="1", document={"t": "automobile"})
    e.index(index="docs", id="2", document={"t": "truck"}, refresh=True)
    return e


def test_synonyms_update_and_reload_invalidate() -> None:
    p = Pair(_synonym_index)
    body = {"query": {"match": {"t": "car"}}}
    assert _ids(p.search(index="docs", body=body)) == ["1"]
    p.search(index="docs", body=body)
    p.do(lambda e: e.synonyms.put_synonym(id="s", synonyms_set=[{"id": "r1", "synonyms": "car, truck"}]))
    assert _ids(p.search(index="docs", body=body)) == ["2"]  # the set's update reloads the analyzer in place
    p.do(lambda e: e.synonyms.put_synonym_rule(set_id="s", rule_id="r1", synonyms="car, automobile"))
    p.do(lambda e: e.indices.reload_search_analyzers(index="docs"))
    assert _ids(p.search(index="docs", body=body)) == ["1"]
    assert p.stats()["stored"] == 0  # an index with an updateable filter is never cached


def _inference_index(cached: bool) -> Engine:
    e = Engine()
    e.catalog.plan_cache.enabled = cached
    _put_endpoint(e, "sparse_embedding")
    e.indices.create(
        index="docs",
        mappings={
            "properties": {
                "tokens": {"type": "sparse_vector", "index_options": {"prune": False}},
                "vec": {"type": "dense_vector", "dims": 4, "similarity": "cosine", "index_options": {"type": "flat"}},
            }
        },
    )
    e.index(index="docs", id="a", document={"tokens": {"feature_0": 1.0}, "vec": [1.0, 0.0, 0.0, 0.0]})
    e.index(index="docs", id="b", document={"tokens": {"other": 1.0}, "vec": [0.0, 1.0, 0.0, 0.0]}, refresh=True)
    return e


def _put_endpoint(e: Engine, task: str, inference_id: str = "ep") -> None:
    service = "test_service" if task == "sparse_embedding" else "text_embedding_test_service"
    settings: dict[str, Any] = {"model": "m", "api_key": "k"}
    if task == "text_embedding":
        settings.update(dimensions=4, similarity="cosine")
    e.inference.put(task_type=task, inference_id=inference_id, body={"service": service, "service_settings": settings})


def test_endpoint_change_invalidates() -> None:
    p = Pair(_inference_index)
    sparse = {"query": {"sparse_vector": {"field": "tokens", "inference_id": "ep", "query": "hello"}}}
    assert _ids(p.search(index="docs", body=sparse)) == ["a"]
    p.search(index="docs", body=sparse)
    assert p.stats()["stored"] == 0  # expanded by the model while planning: not cached
    p.do(lambda e: e.inference.delete(inference_id="ep"))
    p.do(lambda e: _put_endpoint(e, "text_embedding"))
    assert p.search(index="docs", body=sparse)["status"] == 400  # now a dense endpoint: refused
    # a query vector built while the plan runs: the plan is cached, the model is asked every run
    dense = {
        "knn": {
            "field": "vec",
            "k": 2,
            "num_candidates": 2,
            "query_vector_builder": {"text_embedding": {"model_id": "ep", "model_text": "hi"}},
        }
    }
    first = p.search(index="docs", body=dense)
    assert len(_ids(first)) == 2
    p.search(index="docs", body=dense)
    p.do(lambda e: e.inference.delete(inference_id="ep"))
    gone = p.search(index="docs", body=dense)
    assert "error" in gone
    p.do(lambda e: _put_endpoint(e, "text_embedding"))
    assert p.search(index="docs", body=dense) == first


def _pipeline_index(cached: bool) -> Engine:
    e = _engine(cached, settings={"index.search.default_pipeline": "p"})
    _put_pipeline(e, "a")
    return e


def _put_pipeline(e: Engine, tag: str) -> None:
    pipeline = {"request_processors": [{"filter_query": {"query": {"term": {"tag": tag}}}}]}
    e.perform_request(
        "PUT",
        "/_search/pipeline/p",
        headers={"content-type": "application/json", "accept": "application/json"},
        body=pipeline,
    )


def test_pipeline_change_invalidates() -> None:
    p = Pair(_pipeline_index)
    body = {"query": {"match": {"body": "apple"}}}
    assert {h["_source"]["tag"] for h in p.search(index="docs", body=body)["hits"]["hits"]} == {"a"}
    p.search(index="docs", body=body)
    p.search(index="docs", body=body)
    assert p.stats()["hits"] == 1
    p.do(lambda e: _put_pipeline(e, "c"))
    assert {h["_source"]["tag"] for h in p.search(index="docs", body=body)["hits"]["hits"]} == {"c"}


def test_date_math_with_now_is_never_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    p = Pair()
    body = {"query": {"range": {"day": {"gte": "now-1d/d"}}}}
    clock = {"now": EPOCH_2020_01_10 / 1000 + 2.5 * 86_400}
    monkeypatch.setattr(time, "time", lambda: clock["now"])
    early = p.search(index="docs", body=body)["hits"]["total"]["value"]  # days 1..4 (from 2020-01-11)
    clock["now"] += 2 * 86_400
    late = p.search(index="docs", body=body)["hits"]["total"]["value"]  # days 3..4
    assert early > late > 0
    seedless: dict[str, Any] = {"query": {"function_score": {"query": {"match_all": {}}, "random_score": {}}}}
    p.cached.search(index="docs", body=seedless)
    assert p.stats()["stored"] == 0


def test_a_plan_is_kept_from_its_second_sighting() -> None:
    e = _engine(True, docs=5)
    cache = e.catalog.plan_cache
    body = {"query": {"term": {"body": WORDS[0]}}}  # not a match: no shape templates (tested below)
    e.search(index="docs", body=body)
    assert cache.stats() == {"hits": 0, "misses": 1, "stored": 0, "size": 0, "templated": 0}  # seen once: nothing kept
    e.search(index="docs", body=body)
    assert cache.stats() == {"hits": 0, "misses": 2, "stored": 1, "size": 1, "templated": 0}
    e.search(index="docs", body=body)
    assert cache.stats() == {"hits": 1, "misses": 2, "stored": 1, "size": 1, "templated": 0}


def test_profile_is_planned_every_time(pair: Pair) -> None:
    body = {"query": {"match": {"body": "kiwi"}}, "profile": True}
    stored = pair.stats()["stored"]
    pair.cached.search(index="docs", body=body)
    pair.cached.search(index="docs", body=body)
    assert pair.stats()["stored"] == stored


def test_concurrent_searches_answer_as_one_at_a_time() -> None:
    p = Pair()
    bodies = [b for b in CORPUS if "error" not in _answer(p.plain, {"index": "docs", "body": b})]
    expected = [_answer(p.plain, {"index": "docs", "body": b}) for b in bodies]
    jobs = [i % len(bodies) for i in range(8 * len(bodies))]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda i: _answer(p.cached, {"index": "docs", "body": bodies[i]}), jobs))
    assert all(got[n] == expected[i] for n, i in enumerate(jobs))
    assert p.stats()["hits"] > 0


def test_bounded_and_switchable() -> None:
    e = _engine(True, docs=5)
    cache = e.catalog.plan_cache
    cache.capacity = 3
    for word in WORDS[:3]:  # a plan is stored the second time its search is seen
        e.search(index="docs", query={"term": {"body": word}})
        e.search(index="docs", query={"term": {"body": word}})
    assert len(cache) == 3 and cache.stats()["stored"] == 3
    for _ in range(2):  # full: a search seen as often as the least recently used plan's does not displace it
        e.search(index="docs", query={"term": {"body": WORDS[3]}})
    assert cache.stats()["stored"] == 3
    e.search(index="docs", query={"term": {"body": WORDS[3]}})  # seen more often: it takes that place
    assert len(cache) == 3 and cache.stats()["stored"] == 4
    e.search(index="docs", query={"term": {"body": WORDS[3]}})
    e.search(index="docs", query={"term": {"body": WORDS[0]}})  # the plan pushed out was the oldest
    assert cache.stats()["hits"] == 1 and cache.stats()["misses"] == 10
    cache.enabled = False
    assert len(cache) == 0
    e.search(index="docs", query={"term": {"body": WORDS[3]}})
    assert len(cache) == 0 and cache.stats()["hits"] == 1
    cache.enabled = True
    e.indices.delete(index="docs")
    assert len(cache) == 0


def test_kept_plans_hold_no_run() -> None:
    """A cached plan is kept with an unused run context: the context the run filled (its evaluator's
    memo of every score computed, whole-index arrays for aggregations) would otherwise live as long."""
    e = _engine(True)
    body = {"query": {"match": {"title": "apple pear"}}, "aggs": {"t": {"terms": {"field": "tag"}}}}
    for _ in range(3):
        e.search(index="docs", body=body)
    cache = e.catalog.plan_cache
    kept = [v for _, v in cache._plans.values()]
    plans = [v for v in kept if hasattr(v, "ctx")] + [p for v in kept for p in getattr(v, "by_count", {}).values()]
    assert len(plans) == 2 and cache.stats()["hits"] == 1
    assert all(not p.ctx.evaluator.memo for p in plans)
