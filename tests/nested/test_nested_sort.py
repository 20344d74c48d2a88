"""Sorting parents by their nested objects' values (a field sort's ``nested`` context).

Expected orders and sort values are computed in the tests from the documents (plain Python over the
source objects), independently of the engine.
"""

from __future__ import annotations

import statistics
from typing import Any

import pytest
from elasticsearch import ApiError

from retrievo import Engine

DOCS: dict[str, list[dict[str, Any]]] = {
    "1": [{"seller": "ann", "price": 10, "ok": True}, {"seller": "zed", "price": 30, "ok": False}],
    "2": [{"seller": "bob", "price": 20, "ok": True}],
    "3": [
        {"seller": "cat", "price": 5, "ok": False},
        {"seller": "dan", "price": 40, "ok": True},
        {"seller": "eve", "price": 12, "ok": True},
    ],
    "4": [],
}
LONG_MAX, LONG_MIN = 2**63 - 1, -(2**63)


@pytest.fixture(scope="module")
def es() -> Engine:
    e = Engine()
    e.indices.create(
        index="s",
        mappings={
            "properties": {
                "offers": {
                    "type": "nested",
                    "properties": {"seller": {"type": "keyword"}, "price": {"type": "long"}, "ok": {"type": "boolean"}},
                }
            }
        },
    )
    for doc_id, offers in DOCS.items():
        e.index(index="s", id=doc_id, document={"offers": offers})
    e.indices.refresh()
    return e


def _expected(mode: str, order: str, keep: Any = lambda o: True, limit: int | None = None) -> list[tuple[str, Any]]:
    reduce = {"min": min, "max": max, "sum": sum, "avg": statistics.mean, "median": statistics.median}[mode]
    values: dict[str, Any] = {}
    for doc_id, offers in DOCS.items():
        kept = [o["price"] for o in offers if keep(o)][:limit]
        values[doc_id] = reduce(kept) if kept else None
    # ties (none here) would go by document order, as the sort's last key is the doc id
    present = sorted(
        ((v, d) for d, v in values.items() if v is not None), key=lambda p: (-p[0] if order == "desc" else p[0], p[1])
    )
    missing = [(d, None) for d, v in values.items() if v is None]
    return [(d, v) for v, d in present] + missing


def _sorted(es: Engine, sort: dict[str, Any]) -> list[tuple[str, Any]]:
    resp = es.search(index="s", sort=[sort])
    return [(h["_id"], h["sort"][0]) for h in resp["hits"]["hits"]]


def _shown(pairs: list[tuple[str, Any]], order: str, numeric: bool = True) -> list[tuple[str, Any]]:
    if not numeric:
        return pairs
    fill = LONG_MAX if order == "asc" else LONG_MIN
    return [(d, fill if v is None else v) for d, v in pairs]


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("mode", [None, "min", "max", "sum", "avg", "median"])
def test_modes(es: Engine, mode: str | None, order: str) -> None:
    spec: dict[str, Any] = {"order": order, "nested": {"path": "offers"}}
    if mode is not None:
        spec["mode"] = mode
    effective = mode or ("max" if order == "desc" else "min")
    got = _sorted(es, {"offers.price": spec})
    expected = _shown(_expected(effective, order), order)
    assert [d for d, _ in got] == [d for d, _ in expected]
    assert [v for _, v in got] == pytest.approx([v for _, v in expected])


def test_filter_restricts_the_objects(es: Engine) -> None:
    spec = {"order": "asc", "nested": {"path": "offers", "filter": {"term": {"offers.ok": True}}}}
    assert _sorted(es, {"offers.price": spec}) == _shown(_expected("min", "asc", keep=lambda o: o["ok"]), "asc")


def test_max_children(es: Engine) -> None:
    spec = {"order": "desc", "nested": {"path": "offers", "max_children": 1}}
    assert _sorted(es, {"offers.price": spec}) == _shown(_expected("max", "desc", limit=1), "desc")


def test_keyword_values(es: Engine) -> None:
    got = _sorted(es, {"offers.seller": {"order": "desc", "nested": {"path": "offers"}}})
    assert got == [("1", "zed"), ("3", "eve"), ("2", "bob"), ("4", None)]


def test_nested_context_is_mandatory(es: Engine) -> None:
    with pytest.raises(ApiError) as err:
        es.search(index="s", sort=[{"offers.price": "asc"}])
    assert err.value.body["error"]["reason"] == (
        "it is mandatory to set the [nested] context on the nested sort field: [offers.price]."
    )


def test_nested_path_must_be_nested(es: Engine) -> None:
    with pytest.raises(ApiError) as err:
        es.search(index="s", sort=[{"offers.price": {"nested": {"path": "nope"}}}])
    assert err.value.body["error"]["reason"] == "[nested] failed to find nested object under path [nope]"


def test_sort_prints_back() -> None:
    from retrievo.grammar.json.sort import parse_sort

    spec = {
        "offers.price": {
            "order": "asc",
            "nested": {"path": "offers", "filter": {"term": {"offers.ok": True}}, "max_children": 2},
        }
    }
    [field] = parse_sort([spec])
    assert field.to_json() == {
        "offers.price": {
            "order": "asc",
            "nested": {"path": "offers", "filter": {"term": {"offers.ok": {"value": True}}}, "max_children": 2},
        }
    }
