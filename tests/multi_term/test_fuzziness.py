"""``fuzziness``: Elasticsearch's ``Fuzziness`` parsing and ``asDistance``, the ``fuzzy`` query's parameters,
and ``match``/``multi_match`` with ``fuzziness`` (each analysed term a fuzzy query, as ``MatchQueryParser``
builds it). Expected scores come from the Lucene goldens (``tests/goldens/multi_term``): a ``match`` on one
term with ``fuzziness`` builds the very ``FuzzyQuery`` the golden ran."""

from __future__ import annotations

import pytest
from elasticsearch import BadRequestError

from retrievo import Engine
from retrievo.lucene.multi_term import auto_fuzziness
from tests.goldens_io import read_golden

GOLDEN = {r["case"]["id"]: r for r in read_golden("multi_term", "golden.json")}


def _ranked(resp: dict) -> list[tuple[str, float]]:
    return [(h["_id"], h["_score"]) for h in resp["hits"]["hits"]]


def _assert_golden(resp: dict, case: str) -> None:
    want = GOLDEN[case]
    assert resp["hits"]["total"]["value"] == want["total"]
    got = _ranked(resp)
    assert [d for d, _ in got] == [d for d, _ in want["hits"]]
    for (_, score), (_, expected) in zip(got, want["hits"]):
        assert score == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize(
    ("fuzziness", "term", "edits"),
    [
        ("AUTO", "ab", 0),  # < 3 code points
        ("AUTO", "abc", 1),
        ("AUTO", "abcde", 1),
        ("AUTO", "abcdef", 2),  # >= 6
        ("AUTO:4,7", "abc", 0),
        ("AUTO:4,7", "abcdef", 1),
        ("AUTO:4,7", "abcdefg", 2),
        ("AUTO", "日本語", 1),  # code points, not bytes
        ("0", "abcdef", 0),
        ("1", "abcdef", 1),
        ("2", "a", 2),
    ],
)
def test_as_distance(fuzziness, term, edits):
    assert auto_fuzziness(fuzziness, term) == edits


def test_match_auto_fuzziness_is_the_golden_fuzzy_query(cisi):
    # "librery" has 7 code points: AUTO gives 2 edits, the golden fz1 (librery~2, 50 expansions)
    resp = cisi.search(
        index="cisi",
        query={"match": {"text": {"query": "librery", "fuzziness": "AUTO"}}},
        size=20,
        track_total_hits=True,
    )
    _assert_golden(resp, "fz1")


def test_fuzzy_query_default_fuzziness_is_auto(cisi):
    resp = cisi.search(index="cisi", query={"fuzzy": {"text": "librery"}}, size=20, track_total_hits=True)
    _assert_golden(resp, "fz1")


def test_match_fuzzy_parameters(cisi):
    """prefix_length / max_expansions / fuzzy_transpositions / fuzzy_rewrite reach the FuzzyQuery."""
    resp = cisi.search(
        index="cisi",
        query={"match": {"text": {"query": "indxing", "fuzziness": 2, "prefix_length": 2}}},
        size=20,
        track_total_hits=True,
    )
    _assert_golden(resp, "fz4")
    resp = cisi.search(
        index="cisi",
        query={"match": {"text": {"query": "informaton", "fuzziness": "2", "max_expansions": 5}}},
        size=20,
        track_total_hits=True,
    )
    _assert_golden(resp, "fz5")
    resp = cisi.search(
        index="cisi",
        query={"match": {"text": {"query": "docuemnt", "fuzziness": 1, "fuzzy_transpositions": False}}},
        track_total_hits=True,
    )
    assert resp["hits"]["total"]["value"] == GOLDEN["fz6"]["total"] == 0
    resp = cisi.search(
        index="cisi",
        query={"match": {"text": {"query": "cataloge", "fuzziness": 2, "fuzzy_rewrite": "top_terms_3"}}},
        size=20,
        track_total_hits=True,
    )
    _assert_golden(resp, "fz15")


def test_match_two_terms_sums_their_fuzzy_queries(cisi):
    """``match`` ORs one fuzzy query per analysed term: a document scores the float sum of both."""
    one = {
        h["_id"]: h["_score"]
        for h in cisi.search(index="cisi", query={"fuzzy": {"text": {"value": "librery", "fuzziness": 2}}}, size=2000)[
            "hits"
        ]["hits"]
    }
    two = {
        h["_id"]: h["_score"]
        for h in cisi.search(
            index="cisi", query={"fuzzy": {"text": {"value": "retreival", "fuzziness": 2}}}, size=2000
        )["hits"]["hits"]
    }
    both = cisi.search(
        index="cisi", query={"match": {"text": {"query": "Librery retreival", "fuzziness": 2}}}, size=2000
    )["hits"]["hits"]
    assert {h["_id"] for h in both} == set(one) | set(two)
    for h in both:
        assert h["_score"] == pytest.approx(one.get(h["_id"], 0.0) + two.get(h["_id"], 0.0), rel=1e-6)


def test_multi_match_fuzziness_best_fields(cisi):
    text = cisi.search(index="cisi", query={"fuzzy": {"text": "librery"}}, size=2000)["hits"]["hits"]
    title = cisi.search(index="cisi", query={"fuzzy": {"title": "librery"}}, size=2000)["hits"]["hits"]
    best: dict[str, float] = {}
    for h in text + title:
        best[h["_id"]] = max(best.get(h["_id"], 0.0), h["_score"])
    resp = cisi.search(
        index="cisi",
        query={"multi_match": {"query": "librery", "fields": ["text", "title"], "fuzziness": "AUTO"}},
        size=2000,
    )
    got = {h["_id"]: h["_score"] for h in resp["hits"]["hits"]}
    assert got.keys() == best.keys()
    for doc, score in got.items():
        assert score == pytest.approx(best[doc], rel=1e-6)


@pytest.mark.parametrize(
    ("fuzziness", "error", "reason"),
    [
        ("", "illegal_argument_exception", "fuzziness cannot be null or empty."),
        ("abc", "illegal_argument_exception", "fuzziness cannot be [abc]."),
        ("1.5", "illegal_argument_exception", "fuzziness needs to be one of 0.0, 1.0 or 2.0 but was 1.5"),
        ("3", "illegal_argument_exception", "Valid edit distances are [0, 1, 2] but was [3]"),
        (3, "illegal_argument_exception", "Valid edit distances are [0, 1, 2] but was [3]"),
        ("AUTO:2", "parse_exception", "failed to find low and high distance values"),
        ("auto:a,b", "parse_exception", 'failed to parse [AUTO:A,B] as a "auto:int,int"'),
        (
            "AUTO:6,3",
            "parse_exception",
            "fuzziness wrongly configured [AUTO:6,3]. Must be 0 < lower value <= higher value.",
        ),
        (True, "illegal_argument_exception", "Can't parse fuzziness on token: [VALUE_BOOLEAN]"),
    ],
)
def test_fuzziness_errors(cisi, fuzziness, error, reason):
    for query in (
        {"fuzzy": {"text": {"value": "x", "fuzziness": fuzziness}}},
        {"match": {"text": {"query": "x", "fuzziness": fuzziness}}},
    ):
        with pytest.raises(BadRequestError) as err:
            cisi.search(index="cisi", query=query)
        assert err.value.info["error"]["root_cause"][0]["type"] == error
        assert err.value.info["error"]["root_cause"][0]["reason"] == reason


def test_fuzziness_spellings_accepted(cisi):
    for value in ("auto", "AUTO:3,6", "2.0", 2, "0"):
        cisi.search(index="cisi", query={"fuzzy": {"text": {"value": "librery", "fuzziness": value}}})
    # fuzziness 0: only the exact term
    resp = cisi.search(
        index="cisi", query={"fuzzy": {"text": {"value": "library", "fuzziness": 0}}}, track_total_hits=True
    )
    exact = cisi.search(index="cisi", query={"term": {"text": "library"}}, track_total_hits=True)
    assert resp["hits"]["total"] == exact["hits"]["total"]
    assert _ranked(resp) == _ranked(exact)


def test_multi_match_phrase_types_refuse_fuzziness(cisi):
    for kind in ("phrase", "phrase_prefix"):
        with pytest.raises(BadRequestError) as err:
            cisi.search(
                index="cisi", query={"multi_match": {"query": "x", "fields": ["text"], "type": kind, "fuzziness": 1}}
            )
        assert (
            err.value.info["error"]["root_cause"][0]
            == {
                "type": "parsing_exception",
                "reason": f"Fuzziness not allowed for type [{kind}]",
            }
            or err.value.info["error"]["root_cause"][0]["reason"] == f"Fuzziness not allowed for type [{kind}]"
        )


def test_fuzzy_on_a_number_field_is_refused():
    es = Engine()
    es.index(index="n", id="1", document={"n": 5}, refresh=True)
    with pytest.raises(BadRequestError) as err:
        es.search(index="n", query={"fuzzy": {"n": {"value": "5"}}})
    assert "Can only use fuzzy queries on keyword and text fields - not on [n] which is of type [long]" in str(
        err.value.info
    )


def test_keyword_field_fuzzy_golden(cisi):
    resp = cisi.search(
        index="cisi",
        query={"fuzzy": {"author.keyword": {"value": "Comaromi, J.P", "fuzziness": 2}}},
        size=20,
        track_total_hits=True,
    )
    _assert_golden(resp, "fz13")


@pytest.mark.parametrize(
    ("a", "b", "transpositions", "edits"),
    [
        ("wined", "wind", True, 1),  # Elasticsearch's fuzziness docs: one deletion
        ("wind", "wnid", True, 1),  # a swap of adjacent characters is one edit with transpositions
        ("wind", "wnid", False, 2),  # and two substitutions without
        ("ca", "abc", True, 3),  # optimal string alignment (capped at max_edits + 1 = 3), not Damerau's 2
        ("", "ab", True, 2),
        ("日本語", "日本", True, 1),  # code points
    ],
)
def test_edit_distances(a, b, transpositions, edits):
    from retrievo.lucene.automata import edit_distances

    assert edit_distances(a, [b], 2, transpositions).tolist() == [edits]


@pytest.mark.parametrize(
    "query",
    [
        {"fuzzy": {"f": {"value": "abc", "fuzziness": "AUTO:2,5", "rewrite": "top_terms_3", "transpositions": False}}},
        {"wildcard": {"f": {"value": "a*", "case_insensitive": True, "rewrite": "scoring_boolean"}}},
        {"regexp": {"f": {"value": "a.*", "flags": "INTERSECTION|COMPLEMENT", "max_determinized_states": 20}}},
        {"match": {"f": {"query": "abc", "fuzziness": 1, "prefix_length": 2, "fuzzy_rewrite": "top_terms_5"}}},
        {"multi_match": {"query": "abc", "fields": ["a", "b"], "fuzziness": "AUTO", "max_expansions": 7}},
        {"prefix": {"f": {"value": "ab", "rewrite": "top_terms_2"}}},
    ],
)
def test_ast_prints_back_to_what_parses_the_same(query):
    """The AST's JSON (the plan cache's key) parses back to the same AST, with Elasticsearch's spellings
    (``fuzziness`` as ``Fuzziness.asString``, ``flags`` as ``flags_value``: INTERSECTION 1 | COMPLEMENT 0x10000)."""
    from retrievo.grammar.json import parse_query

    ast = parse_query(query)
    assert parse_query(ast.to_json()) == ast
    if "regexp" in query:
        assert ast.to_json()["regexp"]["f"]["flags_value"] == 0x10001
    if "match" in query:
        assert ast.to_json()["match"]["f"]["fuzziness"] == "1"
