"""Plans of one ``match`` shape reused for other texts (``planner/match_template.py``).

A swapped plan must be the very plan that planning the search from scratch gives -- request, operator
tree, logical plan and rule notes compared by value -- and a search answered through a template must
answer exactly what an engine without the plan cache answers, through the official client. Texts
that do not fit the swap (repeated terms, synonyms at one position, another number of terms) and
shapes it does not cover (a boost, fuzziness, ``minimum_should_match``, a name, several shards) are
planned in full, which the ``templated`` count shows.
"""

from __future__ import annotations

import dataclasses
import functools
import random
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from retrievo import ApiError, Engine
from retrievo.api.search import parse_for
from retrievo.multi_search import multi_search
from retrievo.planner.execute import PreparedSearch, finish_search, prepare_search
from retrievo.planner.match_template import MatchTemplates, match_shape
from retrievo.planner.operators.base import Origin
from retrievo.planner.operators.pruned_top_docs import PrunedTopDocs
from retrievo.planner.operators.query import Bm25Score
from retrievo.planner.operators.top_docs import Page, TopDocs
from retrievo.planner.plan import Plan

VOCAB = ["apple", "pear", "plum", "fig", "kiwi", "lime", "date", "grape", "the", "of", "Apples", "running", "zzz"]
SETTINGS: dict[str, Any] = {
    "analysis": {
        "filter": {"fruit_syn": {"type": "synonym_graph", "synonyms": ["fig, kiwi"]}},
        "analyzer": {"syn": {"tokenizer": "standard", "filter": ["lowercase", "fruit_syn"]}},
    }
}
MAPPINGS: dict[str, Any] = {
    "properties": {
        "title": {"type": "text"},
        "body": {"type": "text", "analyzer": "english"},
        "tagged": {"type": "text", "search_analyzer": "syn", "analyzer": "standard"},
        "tag": {"type": "keyword"},
    }
}


def _engine(cached: bool, shards: int = 1) -> Engine:
    e = Engine()
    e.catalog.plan_cache.enabled = cached
    e.indices.create(index="docs", mappings=MAPPINGS, settings={**SETTINGS, "number_of_shards": shards})
    rng = random.Random(7)
    ops: list[dict[str, Any]] = []
    for i in range(80):
        words = " ".join(rng.choice(VOCAB) for _ in range(2 + i % 9))
        doc = {"title": words, "body": words + " apple", "tagged": words, "tag": "abc"[i % 3]}
        ops += [{"index": {"_index": "docs", "_id": str(i)}}, doc]
    e.bulk(operations=ops, refresh=True)
    return e


def _texts(seed: int, n: int) -> list[str]:
    """Texts of 0-6 words from the vocabulary: repeats, stop words and stemming included."""
    rng = random.Random(seed)
    return [" ".join(rng.choice(VOCAB) for _ in range(rng.randint(0, 6))) for _ in range(n)]


#: Bodies with their text left out: each builds the body for a text.
SHAPES: dict[str, Callable[[str], dict[str, Any]]] = {
    "plain": lambda t: {"query": {"match": {"title": t}}},
    "options": lambda t: {"query": {"match": {"title": {"query": t}}}, "size": 3, "_source": False},
    "and": lambda t: {"query": {"match": {"title": {"query": t, "operator": "and"}}}, "from": 2},
    "english": lambda t: {"query": {"match": {"body": t}}, "track_total_hits": True},
    "counted": lambda t: {"query": {"match": {"body": t}}, "track_total_hits": 3},
    "highlighted": lambda t: {"query": {"match": {"title": t}}, "highlight": {"fields": {"title": {}}}},
    "explained": lambda t: {"query": {"match": {"title": t}}, "explain": True, "size": 2},
    "aggregated": lambda t: {"query": {"match": {"title": t}}, "aggs": {"t": {"terms": {"field": "tag"}}}},
    "sorted": lambda t: {"query": {"match": {"title": t}}, "sort": [{"tag": "asc"}, "_score"]},
    "zero_all": lambda t: {"query": {"match": {"title": {"query": t, "zero_terms_query": "all"}}}},
    "analyzer": lambda t: {"query": {"match": {"title": {"query": t, "analyzer": "english"}}}},
    "retriever": lambda t: {"retriever": {"standard": {"query": {"match": {"title": t}}}}, "size": 4},
    "bool_filter": lambda t: {
        "query": {"bool": {"must": [{"match": {"title": t}}], "filter": [{"term": {"tag": "a"}}]}}
    },
    "bool_must": lambda t: {"query": {"bool": {"must": {"match": {"body": {"query": t, "operator": "and"}}}}}},
    "bool_not": lambda t: {
        "query": {"bool": {"must": [{"match": {"title": t}}], "must_not": {"match": {"title": "apple"}}}},
        "explain": True,
    },
    "bool_retriever": lambda t: {
        "retriever": {
            "standard": {
                "query": {
                    "bool": {
                        "must": {"match": {"title": t}},
                        "filter": [{"terms": {"tag": ["a", "b"]}}, {"match": {"body": "pear"}}],
                    }
                }
            }
        }
    },
}
#: Shapes planned in full every time (their compiled query is not the plain term query).
NEVER: dict[str, Callable[[str], dict[str, Any]]] = {
    "boost": lambda t: {"query": {"match": {"title": {"query": t, "boost": 2}}}},
    "fuzzy": lambda t: {"query": {"match": {"title": {"query": t, "fuzziness": 1}}}},
    "msm": lambda t: {"query": {"match": {"title": {"query": t, "minimum_should_match": "50%"}}}},
    "named": lambda t: {"query": {"match": {"title": {"query": t, "_name": "m"}}}},
    "keyword": lambda t: {"query": {"match": {"tag": t}}},
    "collapsed": lambda t: {"query": {"match": {"title": t}}, "collapse": {"field": "tag"}},
    "min_score": lambda t: {"query": {"match": {"title": t}}, "min_score": 0.1},
    "bool_should": lambda t: {
        "query": {"bool": {"should": [{"match": {"title": t}}], "filter": {"term": {"tag": "a"}}}}
    },
    "bool_two": lambda t: {"query": {"bool": {"must": [{"match": {"title": t}}, {"term": {"tag": "a"}}]}}},
    "bool_boost": lambda t: {"query": {"bool": {"must": [{"match": {"title": t}}], "filter": [], "boost": 2}}},
    "bool_msm": lambda t: {"query": {"bool": {"must": [{"match": {"title": t}}], "minimum_should_match": 1}}},
}


def _prepared(e: Engine, body: dict[str, Any]) -> PreparedSearch:
    shard = e.catalog.shard("docs")
    return prepare_search(shard, parse_for(shard, body))


def _answer(e: Engine, body: dict[str, Any]) -> Any:
    try:
        out = dict(e.search(index="docs", body=body).body)
    except ApiError as err:
        return {"error": err.body, "status": err.status_code}
    out.pop("took")
    return out


@pytest.fixture(scope="module")
def engine() -> Engine:
    return _engine(False)


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_swapped_plans_are_the_plans_planning_makes(engine: Engine, name: str) -> None:
    make = SHAPES[name]
    templates: MatchTemplates | None = None
    swapped = 0
    for text in _texts(zlib.crc32(name.encode()), 60):
        fresh = _prepared(engine, make(text))
        got = templates.instantiate(text) if templates is not None else None
        if got is None:
            templates = templates or MatchTemplates.of(fresh, text)
            if templates is not None:
                templates.add(fresh, text)
            continue
        swapped += 1
        assert got.request == fresh.request
        assert got.plan.root == fresh.plan.root, text
        assert got.plan.logical == fresh.plan.logical
        assert got.plan.physical is not None and fresh.plan.physical is not None
        assert got.plan.physical.notes == fresh.plan.physical.notes
        assert str(got.plan) == str(fresh.plan)
        want = finish_search(fresh)
        have = finish_search(got)
        want.pop("took"), have.pop("took")
        assert have == want, text
    assert swapped >= 20, swapped


@pytest.mark.parametrize("name", sorted(NEVER))
def test_shapes_the_swap_does_not_cover(engine: Engine, name: str) -> None:
    for text in ("apple pear", "plum fig kiwi", "a"):
        prepared = _prepared(engine, NEVER[name](text))
        assert MatchTemplates.of(prepared, text) is None


def test_texts_that_do_not_fit_are_planned_in_full(engine: Engine) -> None:
    make = SHAPES["plain"]
    templates = MatchTemplates.of(_prepared(engine, make("apple pear")), "apple pear")
    assert templates is not None
    assert templates.instantiate("plum fig") is not None
    assert templates.instantiate("plum") is None  # no template for one term yet
    assert templates.instantiate("plum plum") is None  # repeated: merged into one boosted clause
    assert templates.instantiate("") is None
    synonyms = MatchTemplates.of(_prepared(engine, {"query": {"match": {"tagged": "pear plum"}}}), "pear plum")
    assert synonyms is not None and synonyms.instantiate("apple lime") is not None
    assert synonyms.instantiate("fig pear") is None  # "fig" and "kiwi" at one position


def test_several_shards_are_never_templated() -> None:
    e = _engine(False, shards=2)
    assert MatchTemplates.of(_prepared(e, {"query": {"match": {"title": "apple pear"}}}), "apple pear") is None


def test_swapped_objects_compute_nothing_when_built() -> None:
    """A swap copies the plan's objects field by field (``_with``) instead of building them again: that
    is only the same when building them computes nothing."""
    for cls in (Page, TopDocs, PrunedTopDocs, Bm25Score, Origin, Plan, PreparedSearch):
        assert not hasattr(cls, "__post_init__"), cls
        assert all(f.init for f in dataclasses.fields(cls)), cls
        assert not any(isinstance(v, functools.cached_property) for c in cls.__mro__ for v in vars(c).values()), cls


def test_shapes() -> None:
    shape = match_shape({"query": {"match": {"f": "a b"}}, "size": 3})
    assert shape is not None and shape.text == "a b"
    other = match_shape({"query": {"match": {"f": "c"}}, "size": 3})
    assert other is not None and other.shape == shape.shape
    spelled = match_shape({"query": {"match": {"f": {"query": "c", "operator": "and"}}}})
    assert spelled is not None and spelled.text == "c"
    assert match_shape({"query": {"match": {"f": 5}}}) is None
    assert match_shape({"query": {"match": {"f": "a", "g": "b"}}}) is None
    in_bool = match_shape({"query": {"bool": {"must": [{"match": {"f": "a"}}], "filter": {"term": {"g": 1}}}}})
    assert in_bool is not None and in_bool.text == "a"
    assert in_bool.shape["query"]["bool"]["filter"] == {"term": {"g": 1}}
    assert match_shape({"query": {"bool": {"must": [{"match": {"f": "a"}}, {"match": {"f": "b"}}]}}}) is None
    assert match_shape({"query": {"bool": {"must": [{"match": {"f": "a"}}], "should": []}}}) is None
    retriever = match_shape({"retriever": {"standard": {"query": {"match": {"f": "a"}}, "min_score": 1}}})
    assert retriever is not None and retriever.text == "a"
    assert match_shape({"retriever": {"rrf": {"retrievers": []}}}) is None


def test_through_the_client_as_without_the_cache() -> None:
    cached, plain = _engine(True), _engine(False)
    texts = _texts(11, 40)
    for make in [*SHAPES.values(), *NEVER.values()]:
        for text in texts:
            body = make(text)
            assert _answer(cached, body) == _answer(plain, body), body
    stats = cached.catalog.plan_cache.stats()
    assert stats["templated"] > 200, stats
    # a write publishes a new snapshot: the templates of the old one are never used again
    for e in (cached, plain):
        e.index(index="docs", id="new", document={"title": "apple apple pear zzz"}, refresh=True)
    before = cached.catalog.plan_cache.stats()["templated"]
    body = SHAPES["plain"]("zzz apple")
    assert _answer(cached, body) == _answer(plain, body)
    assert cached.catalog.plan_cache.stats()["templated"] == before
    for text in ("pear zzz", "zzz lime", "zzz"):
        body = SHAPES["plain"](text)
        assert _answer(cached, body) == _answer(plain, body)


def test_threads_share_templates() -> None:
    """``retrievo serve`` searches on a thread pool: texts of one shape from 8 threads at once answer as
    one at a time (templates are added to while others read them)."""
    cached, plain = _engine(True), _engine(False)
    bodies = [SHAPES[name](text) for name in ("plain", "english", "and") for text in _texts(5, 50)]
    expected = [_answer(plain, b) for b in bodies]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda b: _answer(cached, b), bodies * 2))
    assert got == expected * 2
    assert cached.catalog.plan_cache.stats()["templated"] > 100


def test_msearch_plans_a_shape_once_per_number_of_terms() -> None:
    """``_msearch``: the searches of one ``match`` shape in a request reuse the first plan made for
    their number of terms; every search answers what it answers alone through ``_search``."""
    e, plain = _engine(False), _engine(False)
    bodies = [make(text) for make in [*SHAPES.values(), *NEVER.values()] for text in _texts(23, 40)]
    searches: list[dict[str, Any]] = []
    for b in bodies:
        searches += [{"index": "docs"}, b]
    got = e.msearch(searches=searches).body["responses"]
    for body, answer in zip(bodies, got):
        want = _answer(plain, body)
        if "error" in want:
            assert answer["status"] == want["status"] and answer["error"] == want["error"]["error"], body
            continue
        assert answer.pop("status") == 200
        answer.pop("took")
        assert answer == want, body
    _, report = multi_search(e.catalog, searches)
    assert report.templated > len(bodies) // 5, report  # texts with repeated terms, no terms etc. plan in full
