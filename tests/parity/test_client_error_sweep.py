"""Every route, called through ``retrievo.Engine`` with malformed arguments, fails only as the official
client fails: an ``elasticsearch.ApiError`` subclass from the router's answer, or a ``TypeError`` /
``ValueError`` the client raises itself before any request reaches retrievo. Nothing else escapes.
"""

from __future__ import annotations

import copy
import inspect
import os
import traceback
from collections.abc import Callable
from typing import Any

import elastic_transport
import elasticsearch
import pytest

import retrievo
from retrievo.api.routes import ROUTES

# The sweep passes ``body=`` beside specific arguments on purpose; the client warns that this is deprecated.
pytestmark = pytest.mark.filterwarnings("ignore:Received .* in the presence of a 'body' parameter:DeprecationWarning")

RERANK = {
    "service": "test_reranking_service",
    "service_settings": {"model_id": "m", "api_key": "k"},
    "task_settings": {"use_text_length": True},
}
SEARCHES = [{"index": "books"}, {"query": {"match_all": {}}}]
RANK_EVAL = [
    {"id": "q", "request": {"query": {"match_all": {}}}, "ratings": [{"_index": "books", "_id": "1", "rating": 1}]}
]

QUERY_RULE = {
    "rule_id": "r1",
    "type": "pinned",
    "criteria": [{"type": "exact", "metadata": "q", "values": ["x"]}],
    "actions": {"ids": ["1"]},
    "priority": 1,
}

#: API name -> the arguments of one valid call; the sweep breaks one argument at a time.
VALID: dict[str, dict[str, Any]] = {
    "info": {},
    "ping": {},
    "cluster.health": {},
    "cluster.get_settings": {},
    "cluster.put_settings": {"persistent": {"plugins.ml_commons.only_run_on_ml_node": "false"}},
    "search": {"index": "books", "query": {"match": {"title": "darkness"}}},
    "scroll": {"scroll_id": "nope", "scroll": "1m"},
    "clear_scroll": {"scroll_id": "nope"},
    "msearch": {"searches": SEARCHES},
    "count": {"index": "books"},
    "explain": {"index": "books", "id": "1", "query": {"match": {"title": "darkness"}}},
    "rank_eval": {"index": "books", "requests": RANK_EVAL},
    "esql.query": {"query": "FROM books | LIMIT 1"},
    "bulk": {"operations": [{"index": {"_index": "books", "_id": "9"}}, {"title": "x"}]},
    "index": {"index": "books", "document": {"title": "x"}},
    "create": {"index": "books", "id": "9", "document": {"title": "x"}},
    "get": {"index": "books", "id": "1"},
    "exists": {"index": "books", "id": "1"},
    "delete": {"index": "books", "id": "1"},
    "mget": {"index": "books", "ids": ["1", "2"]},
    "update": {"index": "books", "id": "1", "doc": {"year": 2000}},
    "delete_by_query": {"index": "books", "query": {"match_all": {}}},
    "update_by_query": {"index": "books"},
    "indices.create": {"index": "fresh", "mappings": {"properties": {"x": {"type": "keyword"}}}},
    "indices.delete": {"index": "books"},
    "indices.exists": {"index": "books"},
    "indices.get": {"index": "books"},
    "indices.get_mapping": {"index": "books"},
    "indices.put_mapping": {"index": "books", "properties": {"x": {"type": "keyword"}}},
    "indices.get_settings": {"index": "books"},
    "indices.put_settings": {"index": "books", "settings": {"index": {"number_of_replicas": 0}}},
    "indices.refresh": {"index": "books"},
    "indices.flush": {"index": "books"},
    "indices.analyze": {"text": "hello world", "analyzer": "standard"},
    "indices.stats": {"index": "books"},
    "field_caps": {"index": "books", "fields": "*"},
    "indices.put_alias": {"index": "books", "name": "al"},
    "indices.delete_alias": {"index": "books", "name": "old"},
    "indices.get_alias": {"index": "books"},
    "indices.exists_alias": {"name": "old"},
    "indices.update_aliases": {"actions": [{"add": {"index": "books", "alias": "al2"}}]},
    "inference.get": {"inference_id": "rr"},
    "inference.put": {"inference_id": "rr2", "task_type": "rerank", "inference_config": RERANK},
    "inference.delete": {"inference_id": "rr"},
    "inference.rerank": {"inference_id": "rr", "query": "q", "input": ["a", "bb"]},
    "inference.text_embedding": {"inference_id": "rr", "input": ["a"]},
    "inference.inference": {"inference_id": "rr", "query": "q", "input": ["a", "bb"]},
    "query_rules.put_ruleset": {"ruleset_id": "rs", "rules": [QUERY_RULE]},
    "query_rules.get_ruleset": {"ruleset_id": "rs"},
    "query_rules.delete_ruleset": {"ruleset_id": "rs"},
    "query_rules.list_rulesets": {"from_": 0, "size": 5},
    "query_rules.put_rule": {
        "ruleset_id": "rs",
        "rule_id": "r2",
        **{k: v for k, v in QUERY_RULE.items() if k != "rule_id"},
    },
    "query_rules.get_rule": {"ruleset_id": "rs", "rule_id": "r1"},
    "query_rules.delete_rule": {"ruleset_id": "rs", "rule_id": "r1"},
    "query_rules.test": {"ruleset_id": "rs", "match_criteria": {"q": "x"}},
    "synonyms.put_synonym": {"id": "syn", "synonyms_set": [{"id": "r1", "synonyms": "hello, hi"}]},
    "synonyms.get_synonym": {"id": "syn"},
    "synonyms.delete_synonym": {"id": "syn"},
    "synonyms.get_synonyms_sets": {"from_": 0, "size": 5},
    "synonyms.put_synonym_rule": {"set_id": "syn", "rule_id": "r2", "synonyms": "a, b"},
    "synonyms.get_synonym_rule": {"set_id": "syn", "rule_id": "r1"},
    "synonyms.delete_synonym_rule": {"set_id": "syn", "rule_id": "r1"},
    "indices.reload_search_analyzers": {"index": "books"},
}

#: Calls that must fail (API name, arguments): unknown indices, wrong types, bad JSON, bad enum values.
MUST_FAIL: list[tuple[str, dict[str, Any]]] = [
    ("search", {"index": "missing"}),
    ("search", {"index": "books", "query": 5}),
    ("search", {"index": "books", "size": "ten"}),
    ("search", {"index": "books", "body": "{not json"}),
    ("search", {"index": "books", "search_type": "sideways"}),
    ("search", {"index": "books", "expand_wildcards": "sideways"}),
    ("search", {"index": "books", "retriever": {"rrf": {"retrievers": "x"}}}),
    ("count", {"index": "missing"}),
    ("count", {"index": "books", "query": {"nope": {}}}),
    ("explain", {"index": "missing", "id": "1", "query": {"match_all": {}}}),
    ("explain", {"index": "books", "id": "nope", "query": {"match_all": {}}}),
    ("explain", {"index": "books", "id": "1", "query": {"nope": {}}}),
    ("explain", {"index": "books", "id": "1", "body": {"query": {"match_all": {}}, "size": 1}}),
    ("msearch", {"body": "{not json\n{}\n"}),
    ("rank_eval", {"index": "books", "requests": "x"}),
    ("esql.query", {"query": "FROM"}),
    ("esql.query", {"query": "FROM books", "format": "xml"}),
    ("esql.query", {"query": 5}),
    ("bulk", {"body": "{not json\n"}),
    ("bulk", {"operations": [{"explode": {"_index": "books"}}, {}]}),
    ("index", {"index": "books", "document": {"year": "not a year"}}),
    ("index", {"index": "books", "document": {"title": "x"}, "op_type": "sideways"}),
    ("index", {"index": "books", "document": {"title": "x"}, "refresh": "sometimes"}),
    ("create", {"index": "books", "id": "1", "document": {"title": "dup"}}),
    ("get", {"index": "missing", "id": "1"}),
    ("get", {"index": "books", "id": "1", "version_type": "sideways", "version": 1}),
    ("delete", {"index": "books", "id": "nope"}),
    ("mget", {"index": "books", "ids": "x", "docs": 5}),
    ("update", {"index": "books", "id": "nope", "doc": {"year": 1}}),
    ("update", {"index": "books", "id": "1", "doc": 5}),
    ("delete_by_query", {"index": "books", "query": {"match_all": {}}, "conflicts": "sideways"}),
    ("update_by_query", {"index": "missing"}),
    ("indices.create", {"index": "books"}),
    ("indices.create", {"index": "Bad*Name"}),
    ("indices.create", {"index": "x", "mappings": {"properties": {"f": {"type": "no_such_type"}}}}),
    ("indices.create", {"index": "x", "mappings": {"properties": {"v": {"type": "dense_vector", "dims": "four"}}}}),
    ("indices.delete", {"index": "missing"}),
    ("indices.get", {"index": "missing"}),
    ("indices.put_mapping", {"index": "books", "properties": {"title": {"type": "integer"}}}),
    ("indices.put_settings", {"index": "missing", "settings": {"x": 1}}),
    ("indices.analyze", {"text": "x", "analyzer": "no_such_analyzer"}),
    ("indices.analyze", {"text": "x", "analyzer": {"type": "standard"}}),
    ("field_caps", {"index": "missing", "fields": "*"}),
    ("indices.put_alias", {"index": "missing", "name": "al"}),
    ("indices.put_alias", {"index": "books", "name": "al", "filter": {"nope": {}}}),
    ("indices.delete_alias", {"index": "books", "name": "missing"}),
    ("indices.get_alias", {"name": "missing"}),
    ("indices.update_aliases", {"actions": [{"explode": {}}]}),
    ("inference.get", {"inference_id": "missing"}),
    ("inference.put", {"inference_id": "x", "task_type": "rerank", "inference_config": {"service": "nope"}}),
    ("inference.put", {"inference_id": "x", "task_type": "sideways", "inference_config": RERANK}),
    ("inference.delete", {"inference_id": "missing"}),
    ("inference.rerank", {"inference_id": "rr", "query": "q", "input": 5}),
    ("inference.text_embedding", {"inference_id": "rr", "input": ["a"]}),
    ("inference.inference", {"inference_id": "missing", "input": ["a"]}),
    ("scroll", {"scroll_id": "nope"}),
    ("query_rules.get_ruleset", {"ruleset_id": "missing"}),
    ("query_rules.put_ruleset", {"ruleset_id": "rs", "rules": [{**QUERY_RULE, "type": "boost"}]}),
    ("query_rules.put_rule", {"ruleset_id": "rs", "rule_id": "r", "type": "pinned", "criteria": 5, "actions": {}}),
    ("query_rules.test", {"ruleset_id": "missing", "match_criteria": {"q": "x"}}),
    ("search", {"index": "books", "query": {"rule": {"organic": {"match_all": {}}, "match_criteria": {"q": 1}}}}),
    ("cluster.health", {"index": "missing", "wait_for_status": "purple"}),
    ("synonyms.get_synonym", {"id": "missing"}),
    ("synonyms.put_synonym", {"id": "syn", "synonyms_set": [{"id": "r1", "synonyms": 5}]}),
    ("synonyms.get_synonym_rule", {"set_id": "missing", "rule_id": "r1"}),
    ("indices.reload_search_analyzers", {"index": "missing"}),
]

#: What replaces one argument in the sweep: wrong types, a bad name or enum value, nesting where a scalar goes.
#: (Fresh copies each call: the client merges keyword arguments into a ``body`` dict it is given.)
GARBAGE: tuple[Any, ...] = ("%%bogus%%", -7, {"bogus": [1, {"x": None}]}, [None], True)

_CLIENT_PACKAGES = tuple(os.path.dirname(m.__file__ or "") + os.sep for m in (elasticsearch, elastic_transport))
_RETRIEVO = os.path.dirname(retrievo.__file__ or "") + os.sep


def _engine() -> retrievo.Engine:
    es = retrievo.Engine()
    es.indices.create(index="books", mappings={"properties": {"title": {"type": "text"}, "year": {"type": "integer"}}})
    es.index(index="books", id="1", document={"title": "The Left Hand of Darkness", "year": 1969})
    es.index(index="books", id="2", document={"title": "The Dispossessed", "year": 1974}, refresh=True)
    es.indices.put_alias(index="books", name="old")
    es.inference.put(inference_id="rr", task_type="rerank", inference_config=RERANK)
    es.query_rules.put_ruleset(ruleset_id="rs", rules=[QUERY_RULE])
    return es


def _method(es: retrievo.Engine, api: str) -> Callable[..., Any]:
    target: Any = es
    for part in api.split("."):
        target = getattr(target, part)
    return target  # type: ignore[no-any-return]


def _official(method: Callable[..., Any]) -> Callable[..., Any]:
    """The official client's function behind ``method`` (retrievo wraps a few as ``**kwargs``)."""
    name = method.__name__
    for cls in type(method.__self__).__mro__:
        if cls.__module__.split(".")[0] == "elasticsearch" and name in vars(cls):
            return vars(cls)[name]  # type: ignore[no-any-return]
    raise AssertionError(f"{name} is not the official client's")


def _check(call: Callable[[], Any], what: str, *, must_fail: bool) -> None:
    """``call`` succeeds (unless ``must_fail``) or raises what the official client would raise."""
    try:
        call()
    except elasticsearch.ApiError as err:
        # a 500 is the router's catch-all for an exception inside retrievo: a bug, not an answer
        assert err.status_code < 500, f"{what}: {err.body}"
        return
    except (TypeError, ValueError) as err:
        frames = [frame.filename for frame in traceback.extract_tb(err.__traceback__)]
        first = next((i for i, name in enumerate(frames) if name.startswith(_CLIENT_PACKAGES)), None)
        assert first is not None, f"{what}: {err!r} was raised outside the client: {frames}"
        reached = [name for name in frames[first:] if name.startswith(_RETRIEVO)]
        assert not reached, f"{what}: {err!r} came from retrievo ({reached})"
        return
    except Exception as err:  # noqa: BLE001 - the point of the sweep
        pytest.fail(f"{what}: {type(err).__module__}.{type(err).__name__}: {err}\n{traceback.format_exc()}")
    assert not must_fail, f"{what} did not fail"


#: Route families of the other systems retrievo serves (OpenSearch, Metarank, Cohere, TEI): the official
#: Elasticsearch client has no methods for them; their own clients are tested in tests/opensearch,
#: tests/seeds and tests/server.
FOREIGN = ("ml.", "search_pipeline.", "metarank.", "cohere.", "tei.")


def test_the_tables_cover_every_route() -> None:
    apis = {route.api for route in ROUTES if not route.api.startswith(FOREIGN)}
    assert apis == set(VALID)
    assert {api for api, _ in MUST_FAIL} <= apis
    es = retrievo.Engine()
    for api in apis:
        assert callable(_method(es, api)), api


@pytest.mark.parametrize(("api", "kwargs"), MUST_FAIL, ids=[f"{api}-{i}" for i, (api, _) in enumerate(MUST_FAIL)])
def test_malformed_calls_raise_the_clients_errors(api: str, kwargs: dict[str, Any]) -> None:
    es = _engine()
    _check(lambda: _method(es, api)(**copy.deepcopy(kwargs)), f"{api}({kwargs})", must_fail=True)


@pytest.mark.parametrize("api", sorted(VALID))
def test_every_argument_of_every_route_with_garbage(api: str) -> None:
    es = _engine()
    method = _method(es, api)
    names = [
        name
        for name, param in inspect.signature(_official(method)).parameters.items()
        if param.kind is inspect.Parameter.KEYWORD_ONLY
    ]
    assert names, api
    for name in names:
        for value in GARBAGE:
            kwargs = copy.deepcopy({**VALID[api], name: value})
            _check(lambda kwargs=kwargs: _method(es, api)(**kwargs), f"{api}({name}={value!r})", must_fail=False)
    # and a keyword the client does not know: its own TypeError, before any request
    _check(lambda: method(**VALID[api], no_such_argument=1), f"{api}(no_such_argument=1)", must_fail=True)
