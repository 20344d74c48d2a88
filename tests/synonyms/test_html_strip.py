"""The ``html_strip`` char filter through ``_analyze`` and search: ES's ``analysis-common/50_char_filters.yml``
case, the pre-built ``html_strip`` name, offsets mapped back to the HTML, and the ES chained-synonyms YAML
(``50_chained_synonym_filters.yml``). Lucene-exact token streams: ``tests/analysis/goldens/components.json``
(``html_strip_*`` chains)."""

from __future__ import annotations

from retrievo import Engine


def test_escaped_tags_yaml() -> None:
    # 50_char_filters.yml "html_strip"
    es = Engine()
    resp = es.indices.analyze(
        text="<html>test<yyy>foo</yyy></html>",
        tokenizer="keyword",
        char_filter=[{"type": "html_strip", "escaped_tags": ["xxx", "yyy"]}],
    )
    assert len(resp["tokens"]) == 1
    assert resp["tokens"][0]["token"] == "\ntest<yyy>foo</yyy>\n"


def test_prebuilt_html_strip_offsets_point_into_the_html() -> None:
    es = Engine()
    text = "<p>caf&eacute; <b>society</b></p>"
    tokens = es.indices.analyze(tokenizer="standard", char_filter=["html_strip"], text=text)["tokens"]
    assert [(t["token"], t["start_offset"], t["end_offset"]) for t in tokens] == [
        ("café", 3, 14),
        ("society", 18, 29),  # Lucene's correction point after a removed tag: the end takes "</b>" in
    ]
    assert text[3:14] == "caf&eacute;" and text[18:29] == "society</b>"


def test_html_is_stripped_at_index_and_search_time() -> None:
    es = Engine()
    es.indices.create(
        index="pages",
        settings={
            "analysis": {
                "analyzer": {"html": {"tokenizer": "standard", "char_filter": ["html_strip"], "filter": ["lowercase"]}}
            }
        },
        mappings={"properties": {"body": {"type": "text", "analyzer": "html"}}},
    )
    es.index(
        index="pages",
        id="1",
        document={"body": "<div class='x'>Rock &amp; <i>Roll</i></div><script>var div=1;</script>"},
    )
    es.index(index="pages", id="2", document={"body": "a div element"}, refresh=True)

    def ids(q: str) -> list[str]:
        return sorted(h["_id"] for h in es.search(index="pages", query={"match": {"body": q}})["hits"]["hits"])

    assert ids("div") == ["2"]  # tag names and script content are not indexed
    assert ids("roll") == ["1"]
    assert ids("<b>rock</b>") == ["1"]  # the search analyzer strips the query's markup too


def test_chained_synonym_graph_filters_yaml() -> None:
    # analysis-common/50_chained_synonym_filters.yml (the close/open step is not implemented)
    es = Engine()
    es.indices.create(
        index="test_chained_synonyms",
        settings={
            "analysis": {
                "filter": {
                    "synonyms_a": {"type": "synonym_graph", "synonyms": ["foo, bar"]},
                    "synonyms_b": {"type": "synonym_graph", "synonyms": ["baz, qux"]},
                    "synonyms_c": {"type": "synonym_graph", "synonyms": ["hello, world"]},
                },
                "analyzer": {
                    "chained_syn": {
                        "tokenizer": "standard",
                        "filter": ["lowercase", "synonyms_a", "synonyms_b", "synonyms_c"],
                    }
                },
            }
        },
        mappings={"properties": {"text": {"type": "text", "analyzer": "chained_syn"}}},
    )
    es.index(index="test_chained_synonyms", id="1", document={"text": "foo baz hello"}, refresh=True)
    resp = es.search(index="test_chained_synonyms", query={"match": {"text": "bar qux world"}})
    assert resp["hits"]["total"]["value"] == 1 and resp["hits"]["hits"][0]["_id"] == "1"
    tokens = es.indices.analyze(index="test_chained_synonyms", text="foo", analyzer="chained_syn")["tokens"]
    assert [t["position"] for t in tokens] == [0, 0]
    tokens = es.indices.analyze(index="test_chained_synonyms", text="foo baz hello", analyzer="chained_syn")["tokens"]
    assert [t["position"] for t in tokens] == [0, 0, 1, 1, 2, 2]
    assert [t["token"] for t in tokens] == ["bar", "foo", "qux", "baz", "world", "hello"]
