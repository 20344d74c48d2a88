"""Synonym graphs with holes: a ``stop`` filter after a ``synonym_graph`` (a stop word inside a
multi-word synonym) or before it (a hole between a synonym and the next word).

Lucene's ``GraphTokenStreamFiniteStrings`` folds a hole into the edge of the token after it and drops
the states left dead; each path keeps its tokens' position increments. So a ``match`` builds the graph
boolean with phrases that keep the hole (``"united states ? america"``), a sloppy ``match_phrase`` one
sloppy phrase per path, and a ``match_phrase`` without slop Elasticsearch 9.1's span query, whose
``createSpanQuery`` adds the gap before the term preceding the hole (elastic/elasticsearch#86021) and
whose segments lose a hole between them.

Expected queries, hits and scores (float bits) were computed with Lucene 8.8.1's own classes (its
``StandardTokenizer``, ``LowerCaseFilter``, ``SynonymGraphFilter``, ``StopFilter``,
``GraphTokenStreamFiniteStrings``, ``PhraseQuery``/``SpanNearQuery.Builder.addGap``, and
``LegacyBM25Similarity``) driven by a transcription of Elasticsearch 9.1's ``MatchQueryParser``
``analyzeGraphBoolean``/``analyzeGraphPhrase``/``createSpanQuery`` over the same ten documents,
indexed one segment with ``standard`` + ``lowercase`` + ``stop``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from retrievo import Engine

DOCS = [
    "united states of america",
    "the usa today",
    "united states america",
    "united x states america",
    "states of united america",
    "new york city",
    "ny city",
    "new york the city",
    "usa usa and the united states of america",
    "new york of the city",
]

USA_FULL = "united states ? america"
USA_SPAN = "spanNear([f:united, SpanGap(:1), f:states, f:america], 0, true)"
NY_SPAN = "spanOr([spanNear([f:new, f:york], 0, true), f:ny])"
USA_MATCH_HITS = "9=404aa2aa 1=40089386 2=3fe002ba"
USA_SPAN_HITS = "2=40869a4e 9=407b7bc8 4=404ec2cc"
NY_CITY_HITS = "7=405a314f 6=405120da 8=405120da 10=405120da"

#: (search analyzer, text, kind, slop, profile description, hits as ``id=score bits``)
CASES = [
    ("after", "usa", "match", 0, f'f:"{USA_FULL}" f:usa', USA_MATCH_HITS),
    ("after", "united states of america", "match", 0, f'f:usa f:"{USA_FULL}"', USA_MATCH_HITS),
    ("after", "the usa", "match", 0, f'f:"{USA_FULL}" f:usa', USA_MATCH_HITS),  # a leading hole, rewritten away
    ("after", "usa", "phrase", 0, f"spanOr([{USA_SPAN}, f:usa])", USA_SPAN_HITS),
    ("after", "united states of america", "phrase", 0, f"spanOr([f:usa, {USA_SPAN}])", USA_SPAN_HITS),
    (
        "after",
        "usa",
        "phrase",
        2,
        f'f:"{USA_FULL}"~2 f:usa',
        "9=404aa2aa 1=40089386 2=3fe002ba 3=3fb21ed0 4=3f9818a6",
    ),
    (
        "after",
        "usa",
        "match_no_auto_phrase",
        0,
        "(+f:united +f:states +f:america) f:usa",
        "9=404aa2aa 1=40089386 3=40089386 5=40089386 4=3ff178f4 2=3fe002ba",
    ),
    ("before", "ny of the city", "match", 0, 'f:"new york" f:ny f:city', NY_CITY_HITS),
    ("before", "ny of the city", "phrase", 0, f"spanNear([{NY_SPAN}, f:city], 0, true)", "7=40c3aa4d 6=40a9feb0"),
    (
        "before",
        "new york of the city",
        "phrase",
        1,
        'f:"ny ? ? city"~1 f:"new york ? ? city"~1',
        "10=405120d9 8=40085ee8",
    ),
    ("before", "the ny", "phrase", 0, NY_SPAN, "7=40a1e14f 6=408ca467 8=408ca467 10=408ca467"),
    ("before", "city of ny", "phrase", 0, f"spanNear([f:city, {NY_SPAN}], 0, true)", ""),
    ("before", "city of ny", "match", 0, 'f:city f:"new york" f:ny', NY_CITY_HITS),
]


@pytest.fixture(scope="module")
def es() -> Engine:
    engine = Engine()
    engine.indices.create(
        index="g",
        settings={
            "number_of_shards": 1,
            "analysis": {
                "filter": {
                    "usa": {"type": "synonym_graph", "synonyms": ["usa, united states of america"]},
                    "ny": {"type": "synonym_graph", "synonyms": ["ny, new york"]},
                    "st": {"type": "stop", "stopwords": ["of", "the"]},
                },
                "analyzer": {
                    "idx": {"tokenizer": "standard", "filter": ["lowercase", "st"]},
                    "after": {"tokenizer": "standard", "filter": ["lowercase", "usa", "st"]},
                    "before": {"tokenizer": "standard", "filter": ["lowercase", "st", "ny"]},
                },
            },
        },
        mappings={"properties": {"f": {"type": "text", "analyzer": "idx"}}},
    )
    for i, doc in enumerate(DOCS, start=1):
        engine.index(index="g", id=str(i), document={"f": doc})
    engine.indices.refresh(index="g")
    return engine


def _query(analyzer: str, text: str, kind: str, slop: int) -> dict[str, Any]:
    if kind == "phrase":
        return {"match_phrase": {"f": {"query": text, "analyzer": analyzer, "slop": slop}}}
    auto = kind != "match_no_auto_phrase"
    return {"match": {"f": {"query": text, "analyzer": analyzer, "auto_generate_synonyms_phrase_query": auto}}}


@pytest.mark.parametrize(("analyzer", "text", "kind", "slop", "lucene", "hits"), CASES)
def test_graphs_with_holes_match_lucene(
    es: Engine, analyzer: str, text: str, kind: str, slop: int, lucene: str, hits: str
) -> None:
    r = es.search(index="g", query=_query(analyzer, text, kind, slop), size=20, profile=True)
    got = " ".join(f"{h['_id']}={np.float32(h['_score']).view(np.uint32):08x}" for h in r["hits"]["hits"])
    assert got == hits
    assert r["hits"]["total"]["value"] == len(hits.split())
    assert r["profile"]["shards"][0]["searches"][0]["query"][0]["description"] == lucene


def test_the_analyzer_leaves_the_holes(es: Engine) -> None:
    """The token streams the cases start from (Lucene's, as (term, position, position length))."""
    after = es.indices.analyze(index="g", analyzer="after", text="usa")["tokens"]
    assert [(t["token"], t["position"], t.get("positionLength", 1)) for t in after] == [
        ("united", 0, 1),
        ("usa", 0, 4),
        ("states", 1, 1),
        ("america", 3, 1),
    ]
    before = es.indices.analyze(index="g", analyzer="before", text="ny of the city")["tokens"]
    assert [(t["token"], t["position"]) for t in before] == [("new", 0), ("ny", 0), ("york", 1), ("city", 4)]


def test_explain_and_highlight_over_a_gap(es: Engine) -> None:
    """The span query with a gap explains and highlights through its terms (the gap has none)."""
    query = _query("after", "usa", "phrase", 0)
    r = es.search(index="g", query=query, explain=True, highlight={"fields": {"f": {}}})
    top = r["hits"]["hits"][0]
    assert top["_id"] == "2"
    assert top["_explanation"]["value"] == pytest.approx(top["_score"])
    assert top["_explanation"]["description"].startswith(f"weight(spanOr([{USA_SPAN}, f:usa]) in ")
    assert top["highlight"]["f"] == ["the <em>usa</em> today"]


def test_multi_field_queries_over_a_gap() -> None:
    """``combined_fields`` and ``cross_fields`` rebuild the graph per field: the phrase keeps its hole
    (``united states america``, without the hole, is not a match)."""
    engine = Engine()
    engine.indices.create(
        index="m",
        settings={
            "analysis": {
                "filter": {
                    "usa": {"type": "synonym_graph", "synonyms": ["usa, united states of america"]},
                    "st": {"type": "stop", "stopwords": ["of", "the"]},
                },
                "analyzer": {
                    "idx": {"tokenizer": "standard", "filter": ["lowercase", "st"]},
                    "after": {"tokenizer": "standard", "filter": ["lowercase", "usa", "st"]},
                },
            }
        },
        mappings={
            "properties": {
                "a": {"type": "text", "analyzer": "idx", "search_analyzer": "after"},
                "b": {"type": "text", "analyzer": "idx", "search_analyzer": "after"},
            }
        },
    )
    for i, doc in enumerate(DOCS, start=1):
        engine.index(index="m", id=str(i), document={"a": doc, "b": "nothing here"})
    engine.indices.refresh(index="m")
    for query in (
        {"combined_fields": {"query": "usa", "fields": ["a", "b"]}},
        {"multi_match": {"query": "usa", "fields": ["a", "b"], "type": "cross_fields"}},
    ):
        hits = engine.search(index="m", query=query, size=20)["hits"]["hits"]
        assert sorted(h["_id"] for h in hits) == ["1", "2", "9"]
