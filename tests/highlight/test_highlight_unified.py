"""The unified highlighter (Elasticsearch's default) on hand-worked cases.

Expected fragments are worked out by hand from Lucene's and Elasticsearch's rules: passages come from the
sentence break iterator (cut to ``fragment_size`` by ``BoundedBreakIteratorScanner``), are scored with
Lucene's ``PassageScorer`` (BM25 with k1 1.2, b 0.75, pivot 87, times ``1 + 1/ln(87 + start)``) and are
returned in text order unless ``order: score``.
"""

from __future__ import annotations

from typing import Any

import pytest

from retrievo import Engine

QUICK = "The quick brown fox is brown."
SENTENCES = "Alpha beta. Fox runs. The fox and the fox."
COUNTING = "one two three four five six seven eight nine ten fox eleven twelve thirteen fourteen fifteen"


@pytest.fixture(scope="module")
def engine() -> Engine:
    e = Engine()
    e.indices.create(
        index="hl",
        mappings={
            "properties": {
                "text": {"type": "text"},
                "tags": {"type": "keyword"},
                "title": {"type": "text"},
                "count": {"type": "integer"},
            }
        },
    )
    docs = {
        "1": {"text": QUICK, "tags": ["red", "blue"], "title": "brown bears", "count": 3},
        "2": {"text": SENTENCES, "tags": "green"},
        "3": {"text": COUNTING},
        "4": {"text": ["first fox", "second value", "third fox"]},
        "5": {"text": "<b>Fox</b> & co's"},
        "6": {"text": "  padded fox  "},
    }
    for doc_id, doc in docs.items():
        e.index(index="hl", id=doc_id, document=doc)
    e.indices.refresh()
    return e


def highlight(e: Engine, query: dict[str, Any], hl: dict[str, Any], doc_id: str) -> dict[str, Any] | None:
    resp = e.search(
        index="hl", query={"bool": {"must": [query], "filter": [{"ids": {"values": [doc_id]}}]}}, highlight=hl
    )
    hits = resp["hits"]["hits"]
    assert [h["_id"] for h in hits] == [doc_id]
    result: dict[str, Any] | None = hits[0].get("highlight")
    return result


def test_terms_highlight_each_occurrence(engine: Engine) -> None:
    hl = highlight(engine, {"match": {"text": "brown fox"}}, {"fields": {"text": {}}}, "1")
    assert hl == {"text": ["The quick <em>brown</em> <em>fox</em> is <em>brown</em>."]}


def test_phrase_is_one_span_where_it_matches(engine: Engine) -> None:
    """WEIGHT_MATCHES (require_field_match, one query): the phrase is highlighted whole, and the second
    "brown" (not part of the phrase) not at all."""
    hl = highlight(engine, {"match_phrase": {"text": "quick brown"}}, {"fields": {"text": {}}}, "1")
    assert hl == {"text": ["The <em>quick brown</em> fox is brown."]}


def test_phrase_terms_without_weight_matches(engine: Engine) -> None:
    """Without ``require_field_match`` the phrase's terms are highlighted one by one, still only where
    the phrase matched."""
    hl = highlight(
        engine, {"match_phrase": {"text": "quick brown"}}, {"require_field_match": False, "fields": {"text": {}}}, "1"
    )
    assert hl == {"text": ["The <em>quick</em> <em>brown</em> fox is brown."]}


def test_prefix_query(engine: Engine) -> None:
    hl = highlight(engine, {"prefix": {"text": "bro"}}, {"fields": {"text": {}}}, "1")
    assert hl == {"text": ["The quick <em>brown</em> fox is <em>brown</em>."]}


def test_must_not_never_highlights(engine: Engine) -> None:
    query = {"bool": {"should": [{"match": {"text": "fox"}}], "must_not": [{"match": {"text": "quick"}}]}}
    hl = highlight(engine, {"match": {"text": "fox"}}, {"highlight_query": query, "fields": {"text": {}}}, "1")
    assert hl == {"text": ["The quick brown <em>fox</em> is brown."]}


def test_filter_clauses_highlight(engine: Engine) -> None:
    query = {"bool": {"must": [{"match": {"text": "fox"}}], "filter": [{"term": {"text": "quick"}}]}}
    hl = highlight(engine, query, {"fields": {"text": {}}}, "1")
    assert hl == {"text": ["The <em>quick</em> brown <em>fox</em> is brown."]}


def test_require_field_match_decides_other_fields(engine: Engine) -> None:
    query = {"match": {"title": "brown"}}
    assert highlight(engine, query, {"fields": {"text": {}, "title": {}}}, "1") == {"title": ["<em>brown</em> bears"]}
    both = highlight(engine, query, {"require_field_match": False, "fields": {"text": {}, "title": {}}}, "1")
    assert both == {"text": ["The quick <em>brown</em> fox is <em>brown</em>."], "title": ["<em>brown</em> bears"]}


def test_pattern_picks_text_and_keyword_fields_only(engine: Engine) -> None:
    query = {"bool": {"should": [{"match": {"text": "fox"}}, {"term": {"tags": "blue"}}, {"term": {"count": 3}}]}}
    hl = highlight(engine, query, {"fields": {"*": {}}}, "1")
    assert hl == {"text": ["The quick brown <em>fox</em> is brown."], "tags": ["<em>blue</em>"]}


def test_bounded_sentences_fill_fragment_size(engine: Engine) -> None:
    """``BoundedBreakIteratorScanner`` takes the last sentence break that keeps the passage within
    ``fragment_size`` (100): from the first match's sentence (12) to the end of the text (42)."""
    hl = highlight(engine, {"match": {"text": "fox"}}, {"fields": {"text": {}}}, "2")
    assert hl == {"text": ["<em>Fox</em> runs. The <em>fox</em> and the <em>fox</em>."]}


def test_passages_in_text_order_or_by_score(engine: Engine) -> None:
    """``fragment_size: 0``: plain sentences. "Fox runs. " (start 12, length 10, one match) and
    "The fox and the fox." (start 22, length 20, two); both share the term weight, so compare
    tf(1, 10) = 1 / (1 + 1.2 * (0.25 + 0.75 * 10/87)) = 0.7125, × (1 + 1/ln 99) = 0.8676, with
    tf(2, 20) = 2 / (2 + 1.2 * (0.25 + 0.75 * 20/87)) = 0.7978, × (1 + 1/ln 109) = 0.9679: the second wins."""
    query = {"match": {"text": "fox"}}
    in_order = highlight(engine, query, {"fragment_size": 0, "fields": {"text": {}}}, "2")
    assert in_order == {"text": ["<em>Fox</em> runs.", "The <em>fox</em> and the <em>fox</em>."]}
    by_score = highlight(engine, query, {"fragment_size": 0, "order": "score", "fields": {"text": {}}}, "2")
    assert by_score == {"text": ["The <em>fox</em> and the <em>fox</em>.", "<em>Fox</em> runs."]}
    best = highlight(engine, query, {"fields": {"text": {"fragment_size": 0, "number_of_fragments": 1}}}, "2")
    assert best == {"text": ["The <em>fox</em> and the <em>fox</em>."]}


def test_fragment_size_bounds_a_long_sentence(engine: Engine) -> None:
    """One 92-character sentence, ``fox`` at 49-52, fragment_size 20: the sentence is too long, so the
    passage (grown from the match's middle, 50) starts at the word boundary before 50 - 20 = 30 ("seven",
    28) and, with no room left (20 - (50 - 28) < 0), ends at the word boundary after the match (52)."""
    hl = highlight(engine, {"match": {"text": "fox"}}, {"fields": {"text": {"fragment_size": 20}}}, "3")
    assert hl == {"text": ["seven eight nine ten <em>fox</em>"]}


def test_whole_field_with_zero_fragments(engine: Engine) -> None:
    hl = highlight(engine, {"match": {"text": "fox"}}, {"fields": {"text": {"number_of_fragments": 0}}}, "2")
    assert hl == {"text": ["Alpha beta. <em>Fox</em> runs. The <em>fox</em> and the <em>fox</em>."]}


def test_multi_valued_field_gives_a_passage_per_value(engine: Engine) -> None:
    query = {"match": {"text": "fox"}}
    assert highlight(engine, query, {"fields": {"text": {}}}, "4") == {
        "text": ["first <em>fox</em>", "third <em>fox</em>"]
    }
    whole = highlight(engine, query, {"fields": {"text": {"number_of_fragments": 0}}}, "4")
    assert whole == {"text": ["first <em>fox</em>", "third <em>fox</em>"]}


def test_no_match_size(engine: Engine) -> None:
    """Nothing matches in ``text``: its first 10 characters, up to the next word boundary (15, after "brown")."""
    query = {"match": {"title": "bears"}}
    hl = highlight(engine, query, {"fields": {"text": {"no_match_size": 10}}}, "1")
    assert hl == {"text": ["The quick brown"]}
    assert highlight(engine, query, {"fields": {"text": {}}}, "1") is None


def test_tags_and_schemas(engine: Engine) -> None:
    query = {"match": {"text": "fox"}}
    custom = highlight(engine, query, {"pre_tags": ["<b>"], "post_tags": ["</b>"], "fields": {"text": {}}}, "1")
    assert custom == {"text": ["The quick brown <b>fox</b> is brown."]}
    styled = highlight(engine, query, {"tags_schema": "styled", "fields": {"text": {}}}, "1")
    assert styled == {"text": ['The quick brown <em class="hlt1">fox</em> is brown.']}
    per_field = highlight(
        engine,
        query,
        {"pre_tags": ["<b>"], "post_tags": ["</b>"], "fields": {"text": {"pre_tags": ["["], "post_tags": ["]"]}}},
        "1",
    )
    assert per_field == {"text": ["The quick brown [fox] is brown."]}


def test_html_encoder(engine: Engine) -> None:
    query = {"match": {"text": "fox"}}
    assert highlight(engine, query, {"fields": {"text": {}}}, "5") == {"text": ["<b><em>Fox</em></b> & co's"]}
    encoded = highlight(engine, query, {"encoder": "html", "fields": {"text": {}}}, "5")
    assert encoded == {"text": ["&lt;b&gt;<em>Fox</em>&lt;&#x2F;b&gt; &amp; co&#x27;s"]}


def test_keyword_values_highlight_whole(engine: Engine) -> None:
    hl = highlight(engine, {"terms": {"tags": ["blue", "green"]}}, {"fields": {"tags": {}}}, "1")
    assert hl == {"tags": ["<em>blue</em>"]}


def test_fields_as_an_array(engine: Engine) -> None:
    hl = highlight(engine, {"match": {"text": "fox"}}, {"fields": [{"text": {"number_of_fragments": 0}}]}, "1")
    assert hl == {"text": ["The quick brown <em>fox</em> is brown."]}


def test_highlight_without_source(engine: Engine) -> None:
    resp = engine.search(
        index="hl", query={"match": {"text": "quick"}}, source=False, highlight={"fields": {"text": {}}}
    )
    hit = resp["hits"]["hits"][0]
    assert "_source" not in hit
    assert hit["highlight"] == {"text": ["The <em>quick</em> brown fox is brown."]}


def test_compound_retriever_highlights_every_child_query_term_by_term(engine: Engine) -> None:
    """An rrf's final query holds its children's queries (no WEIGHT_MATCHES): the phrase's terms are marked
    one by one, and the other child's term as well."""
    retriever = {
        "rrf": {
            "retrievers": [
                {"standard": {"query": {"match_phrase": {"text": "quick brown"}}}},
                {"standard": {"query": {"match": {"text": "fox"}}}},
            ]
        }
    }
    resp = engine.search(index="hl", retriever=retriever, highlight={"fields": {"text": {}}}, size=1)
    assert resp["hits"]["hits"][0]["_id"] == "1"
    assert resp["hits"]["hits"][0]["highlight"] == {
        "text": ["The <em>quick</em> <em>brown</em> <em>fox</em> is brown."]
    }


@pytest.fixture(scope="module")
def vectors() -> Engine:
    e = Engine()
    e.indices.create(
        index="vec",
        mappings={
            "properties": {
                "text": {"type": "text", "analyzer": "english"},
                "v": {"type": "dense_vector", "dims": 2, "similarity": "l2_norm", "index_options": {"type": "flat"}},
            }
        },
    )
    e.index(index="vec", id="1", document={"text": "Running foxes jumped quickly", "v": [1.0, 0.0]}, refresh=True)
    return e


def test_knn_pre_filter_terms_never_highlight(vectors: Engine) -> None:
    knn = {"field": "v", "query_vector": [1.0, 0.0], "k": 1, "num_candidates": 1, "filter": {"term": {"text": "fox"}}}
    resp = vectors.search(index="vec", knn=knn, highlight={"fields": {"text": {}}})
    assert [h["_id"] for h in resp["hits"]["hits"]] == ["1"]
    assert "highlight" not in resp["hits"]["hits"][0]


def test_rescore_queries_never_highlight(vectors: Engine) -> None:
    resp = vectors.search(
        index="vec",
        query={"match": {"text": "running"}},
        rescore={"window_size": 5, "query": {"rescore_query": {"match": {"text": "jumped"}}}},
        highlight={"fields": {"text": {}}},
    )
    assert resp["hits"]["hits"][0]["highlight"] == {"text": ["<em>Running</em> foxes jumped quickly"]}


def test_stemmed_terms_and_sloppy_phrases(vectors: Engine) -> None:
    """The english analyzer stems both sides ("fox" finds "foxes"); a phrase with slop is one span from its
    first to its last term."""
    hl = vectors.search(index="vec", query={"match": {"text": "fox"}}, highlight={"fields": {"text": {}}})
    assert hl["hits"]["hits"][0]["highlight"] == {"text": ["Running <em>foxes</em> jumped quickly"]}
    phrase = {"match_phrase": {"text": {"query": "running jumped", "slop": 1}}}
    hl = vectors.search(index="vec", query=phrase, highlight={"fields": {"text": {}}})
    assert hl["hits"]["hits"][0]["highlight"] == {"text": ["<em>Running foxes jumped</em> quickly"]}


def test_fragments_are_trimmed_unless_whole(engine: Engine) -> None:
    """``CustomPassageFormatter`` trims each fragment, except with ``number_of_fragments: 0``."""
    query = {"match": {"text": "padded"}}
    assert highlight(engine, query, {"fields": {"text": {}}}, "6") == {"text": ["<em>padded</em> fox"]}
    whole = highlight(engine, query, {"fields": {"text": {"number_of_fragments": 0}}}, "6")
    assert whole == {"text": ["  <em>padded</em> fox  "]}


def test_encoder_and_tags_schema_per_field(engine: Engine) -> None:
    hl = {"fields": {"text": {"encoder": "html", "tags_schema": "styled"}}}
    assert highlight(engine, {"match": {"text": "fox"}}, hl, "5") == {
        "text": ['&lt;b&gt;<em class="hlt1">Fox</em>&lt;&#x2F;b&gt; &amp; co&#x27;s']
    }
