"""``index.query.default_field`` also applies where a query is compiled outside the main search: a
``filter`` aggregation's query and the highlighter's view of the query."""

from __future__ import annotations

from retrievo import Engine


def _engine() -> Engine:
    es = Engine()
    es.indices.create(
        index="docs",
        settings={"index.query.default_field": "title"},
        mappings={"properties": {"title": {"type": "text"}, "body": {"type": "text"}}},
    )
    es.index(index="docs", id="1", document={"title": "red fox", "body": "a dog"})
    es.index(index="docs", id="2", document={"title": "blue whale", "body": "a red herring"})
    es.index(index="docs", id="3", document={"title": "red panda", "body": "red leaves"}, refresh=True)
    return es


def test_filter_aggregation_reads_the_default_field() -> None:
    # "red" is in the titles of 1 and 3; 2 has it only in its body, which the default field leaves out
    resp = _engine().search(index="docs", size=0, aggs={"f": {"filter": {"query_string": {"query": "red"}}}}).body
    assert resp["aggregations"]["f"]["doc_count"] == 2


def test_highlight_reads_the_default_field() -> None:
    resp = (
        _engine()
        .search(
            index="docs",
            query={"ids": {"values": ["3"]}},
            highlight={"fields": {"*": {}}, "highlight_query": {"query_string": {"query": "red"}}},
        )
        .body
    )
    # only the title is searched by default, so only the title is highlighted
    assert resp["hits"]["hits"][0]["highlight"] == {"title": ["<em>red</em> panda"]}
