"""What the multi-term queries compile to and how they answer: Lucene's ``toString`` of the rewritten
query (compared with the goldens' ``rewritten``), explanations, profile, highlighting, and errors."""

from __future__ import annotations

import re

import pytest
from elasticsearch import BadRequestError

from retrievo import Engine
from retrievo.lucene import multi_term
from retrievo.lucene.query import ConstQ
from tests.goldens_io import read_golden

GOLDEN = read_golden("multi_term", "golden.json")


def _compile(searcher, case: dict):
    kw = {"rewrite": case.get("rewrite")}
    if case["type"] == "fuzzy":
        return multi_term.fuzzy_query(
            searcher,
            case["field"],
            case["value"],
            max_edits=case.get("max_edits", 2),
            prefix_length=case.get("prefix_length", 0),
            max_expansions=case.get("max_expansions", 50),
            transpositions=case.get("transpositions", True),
            **kw,
        )
    if case["type"] == "wildcard":
        return multi_term.wildcard_query(searcher, case["field"], case["value"], **kw)
    if case["type"] == "regexp":
        return multi_term.regexp_query(
            searcher, case["field"], case["value"], case_insensitive=case.get("case_insensitive", False), **kw
        )
    return multi_term.prefix_query(searcher, case["field"], case["value"], **kw)


@pytest.mark.parametrize("result", GOLDEN, ids=[r["case"]["id"] for r in GOLDEN])
def test_rewritten_to_string(cisi, result):
    """Lucene's rewrite, printed: the expanded terms, their boosts and their order. Lucene 8 rewrites a
    zero boost to ``ConstantScore(...)^0.0`` (same score, 0); retrievo keeps ``(term)^0.0``. The
    regexp's ``case_insensitive`` match flag is not part of Lucene's ``toString``."""
    q = _compile(cisi.catalog.shards["cisi"].searcher(), result["case"])
    text = str(q.query) if isinstance(q, ConstQ) else str(q)
    want = re.sub(r"\(ConstantScore\(([^()]*)\)\)\^0\.0", r"(\1)^0.0", result["rewritten"])
    if result["case"].get("rewrite") in ("constant_score", "constant_score_boolean"):
        want = result["lucene"]  # retrievo prints a constant-score rewrite as the query itself
    assert text == want


def test_wildcard_explain_and_profile(cisi):
    resp = cisi.search(
        index="cisi", query={"wildcard": {"title": {"value": "libr*", "boost": 2}}}, size=1, explain=True, profile=True
    )
    hit = resp["hits"]["hits"][0]
    assert hit["_score"] == 2.0
    assert hit["_explanation"] == {"value": 2.0, "description": "title:libr*^2.0", "details": []}
    query = resp["profile"]["shards"][0]["searches"][0]["query"][0]
    assert "title:libr*" in query["description"]


def test_regexp_explain_description(cisi):
    hit = cisi.search(index="cisi", query={"regexp": {"title": "libr.*"}}, size=1, explain=True)["hits"]["hits"][0]
    assert hit["_explanation"] == {"value": 1.0, "description": "title:/libr.*/", "details": []}


def test_fuzzy_explain_uses_blended_doc_freq(cisi):
    """fz1 expands to libbey, liber, library (df 449), librarys: every term's idf is computed with n=449."""
    hit = cisi.search(
        index="cisi", query={"fuzzy": {"text": {"value": "librery", "fuzziness": 2}}}, size=1, explain=True
    )["hits"]["hits"][0]
    assert hit["_id"] == "1401"
    expl = hit["_explanation"]
    assert expl["value"] == pytest.approx(2.4477773, rel=1e-6)  # the golden
    assert expl["description"] == "sum of:"
    assert [d["description"].split(" in ")[0] for d in expl["details"]] == [
        "weight(text:library",
        "weight(text:librarys",
    ]
    for d in expl["details"]:
        idf = d["details"][0]["details"][1]
        assert idf["details"][0] == {
            "value": 449,
            "description": "n, number of documents containing term",
            "details": [],
        }
    assert sum(d["value"] for d in expl["details"]) == pytest.approx(expl["value"], rel=1e-6)


def test_highlight_expanded_terms(cisi):
    """The highlighter marks the terms the query expanded to: every title word the pattern or edit
    distance accepts (titles are analysed to lowercase, so the words are compared lowercased)."""
    cases = [
        ({"wildcard": {"title": "libr*"}}, lambda w: w.startswith("libr")),
        ({"regexp": {"title": "libr.*"}}, lambda w: w.startswith("libr")),
        ({"fuzzy": {"title": {"value": "librarx", "fuzziness": 1}}}, lambda w: w in ("library", "librar")),
    ]
    for query, accepted in cases:
        resp = cisi.search(index="cisi", query=query, size=5, highlight={"fields": {"title": {}}})
        assert resp["hits"]["hits"]
        for hit in resp["hits"]["hits"]:
            fragment = hit["highlight"]["title"][0]
            marked = [m.lower() for m in re.findall(r"<em>(.*?)</em>", fragment)]
            words = [w.lower() for w in re.findall(r"[\w']+", re.sub(r"</?em>", "", fragment))]
            assert marked == [w for w in words if accepted(w)], fragment


def _error(es: Engine, index: str, query: dict) -> dict:
    with pytest.raises(BadRequestError) as err:
        es.search(index=index, query=query)
    return err.value.info["error"]


def test_errors(cisi):
    err = _error(cisi, "cisi", {"wildcard": {"text": {"value": "a*", "rewrite": "bogus"}}})
    assert err["root_cause"][0]["type"] == "query_shard_exception"
    assert err["root_cause"][0]["reason"] == "failed to create query: Failed to parse rewrite_method [bogus]"
    err = _error(cisi, "cisi", {"regexp": {"text": {"value": "(abc"}}})
    assert err["root_cause"][0]["reason"] == "failed to create query: expected ')' at position 4"
    err = _error(cisi, "cisi", {"regexp": {"text": {"value": "[b-a]"}}})
    assert err["root_cause"][0]["reason"] == "failed to create query: invalid range: from (98) cannot be > to (97)"
    err = _error(cisi, "cisi", {"regexp": {"text": {"value": "abc", "flags": "INTERSECTION|FOO"}}})
    assert err["root_cause"][0] == {"type": "illegal_argument_exception", "reason": "Unknown regexp flag [FOO]"}
    err = _error(cisi, "cisi", {"fuzzy": {"text": {"value": "abc", "prefix_length": -1}}})
    assert err["root_cause"][0]["reason"] == "failed to create query: prefixLength cannot be negative."
    err = _error(cisi, "cisi", {"wildcard": {"text": {"value": "a*", "foo": 1}}})
    assert err["root_cause"][0] == {
        "type": "parsing_exception",
        "reason": "[wildcard] query does not support [foo]",
    } or (err["root_cause"][0]["reason"] == "[wildcard] query does not support [foo]")
    err = _error(cisi, "cisi", {"regexp": {"text": {"value": None}}})
    assert err["root_cause"][0]["reason"] == "value cannot be null"


def test_field_types():
    es = Engine()
    es.index(index="n", id="1", document={"n": 5, "k": "abc"}, refresh=True)
    err = _error(es, "n", {"wildcard": {"n": "5*"}})
    assert err["root_cause"][0]["reason"] == (
        "failed to create query: Can only use wildcard queries on keyword, text and wildcard fields - "
        "not on [n] which is of type [long]"
    )
    err = _error(es, "n", {"regexp": {"n": "5.*"}})
    assert err["root_cause"][0]["reason"] == (
        "failed to create query: Can only use regexp queries on keyword and text fields - "
        "not on [n] which is of type [long]"
    )
    for q in ({"wildcard": {"missing": "a*"}}, {"regexp": {"missing": "a.*"}}, {"fuzzy": {"missing": "abc"}}):
        assert es.search(index="n", query=q)["hits"]["total"]["value"] == 0
    # a dynamically mapped string: text plus keyword sub-field
    assert es.search(index="n", query={"wildcard": {"k.keyword": "a?c"}})["hits"]["total"]["value"] == 1
    assert (
        es.search(index="n", query={"regexp": {"k": {"value": "A.C", "case_insensitive": True}}})["hits"]["total"][
            "value"
        ]
        == 1
    )
    assert es.search(index="n", query={"regexp": {"k": {"value": "A.C"}}})["hits"]["total"]["value"] == 0


def test_regexp_flags_and_syntax():
    es = Engine()
    for i, word in enumerate(["abc", "abd", "007", "12", "a&b", "~x", "xyz", "#", "@"]):
        es.index(index="r", id=str(i), document={"k": word})
    es.indices.refresh(index="r")

    def hits(value: str, **params) -> list[str]:
        resp = es.search(index="r", query={"regexp": {"k.keyword": {"value": value, **params}}}, size=20)
        return sorted(es.get(index="r", id=h["_id"])["_source"]["k"] for h in resp["hits"]["hits"])

    assert hits("ab~(c)") == ["abd"]  # complement (ALL)
    assert hits("ab~(c)", flags="NONE") == []  # "~" literal
    assert hits("~x", flags="NONE") == ["~x"]
    assert hits("a.*&.*d") == ["abd"]  # intersection
    assert hits("a&b", flags="COMPLEMENT") == ["a&b"]  # "&" literal without INTERSECTION
    assert hits("<1-20>") == ["007", "12"]  # any number of leading zeros when the bounds differ in length
    assert hits("<01-20>") == ["12"]  # fixed width when they are the same length
    assert hits("#", flags="NONE") == ["#"]
    assert hits("#|abc") == ["abc"]  # empty language
    assert hits("@", flags="ANYSTRING") == sorted(["abc", "abd", "007", "12", "a&b", "~x", "xyz", "#", "@"])
    assert hits("\\d+") == ["007", "12"]  # Lucene 10's predefined classes
    assert hits("[^a-z0-9]+") == ["#", "@"]
    assert hits('"a&b"') == ["a&b"]
    assert hits("x{1}y{1,}z{0,2}") == ["xyz"]
    assert hits("ABC", case_insensitive=True) == ["abc"]
    assert hits("ab~(c)", flags_value=0) == []  # the integer form; 0 is NONE


def test_prefix_rewrite(cisi):
    resp = cisi.search(
        index="cisi",
        query={"prefix": {"text": {"value": "info", "rewrite": "top_terms_5"}}},
        size=20,
        track_total_hits=True,
    )
    want = next(r for r in GOLDEN if r["case"]["id"] == "pf2")
    assert resp["hits"]["total"]["value"] == want["total"]
    assert [h["_id"] for h in resp["hits"]["hits"]] == [d for d, _ in want["hits"]]


def test_derivative_matcher_agrees_with_python_re():
    """Two independent matchers: expressions without ``~``/``&`` run on Python's ``re``; the derivative
    matcher (used for ``~`` and ``&``) must accept exactly the same words."""
    import itertools

    from retrievo.lucene import automata

    words = ["".join(p) for n in range(0, 5) for p in itertools.product("abc1", repeat=n)]
    for pattern in ["a*b", "(ab|c)+1?", "[a-b]{2,3}c*", "<1-11>", '"ab"c?|1', "a.c", "(a|b)*a(a|b)", "[^a]+", "()"]:
        expr = automata.parse_regexp(pattern)
        by_re = automata.matcher(expr).select(words)
        by_derivatives = list(filter(automata.DerivativeMatcher(expr).fullmatch, words))
        assert by_re == by_derivatives, pattern


def test_max_determinized_states():
    es = Engine()
    es.index(index="d", id="1", document={"k": "abab"}, refresh=True)
    ok = es.search(index="d", query={"regexp": {"k.keyword": {"value": "(a|b)*a(a|b)"}}})
    assert ok["hits"]["total"]["value"] == 1
    err = _error(es, "d", {"regexp": {"k.keyword": {"value": "(a|b)*a(a|b){8}", "max_determinized_states": 100}}})
    assert err["root_cause"][0]["type"] == "query_shard_exception"
    assert err["failed_shards"][0]["reason"]["caused_by"]["type"] == "too_complex_to_determinize_exception"
    assert "more than 100 states" in err["root_cause"][0]["reason"]


def test_expansion_over_a_large_dictionary_is_exact():
    """Past 256 terms the dictionary is scanned as one newline-joined text: the same terms as one by one,
    none invented at the edges (an empty line after the last term), keyword values with spaces kept."""
    from retrievo.lucene import automata

    es = Engine()
    words = [f"w{i:04d} x" for i in range(600)] + ["zz", ""]
    es.indices.create(index="big", mappings={"properties": {"k": {"type": "keyword"}}})
    es.bulk(
        operations=[x for i, w in enumerate(words) for x in ({"index": {"_index": "big", "_id": str(i)}}, {"k": w})],
        refresh=True,
    )
    searcher = es.catalog.shards["big"].searcher()
    inv = searcher.inverted("k")
    for pattern in ("*", "w0*", "*5 x", "w?1?? x", "z*"):
        expr = automata.wildcard_expr(pattern)
        expanded = multi_term._terms_matching(inv, automata.literal_prefix(expr), automata.matcher(expr))
        one_by_one = automata.matcher(expr).select(sorted(inv.terms))
        assert expanded == one_by_one, pattern
    assert (
        es.search(index="big", query={"wildcard": {"k": "*"}}, track_total_hits=True)["hits"]["total"]["value"] == 602
    )
    resp = es.search(index="big", query={"wildcard": {"k": {"value": "*", "rewrite": "scoring_boolean"}}}, size=0)
    assert resp["hits"]["total"]["value"] == 602


def test_named_multi_term_queries(cisi):
    """``_name`` reports which clauses matched: the ``libr*`` titles, the fuzzy ``catalog`` titles, both
    where a title has both, never the clause that matches nothing."""
    query = {
        "bool": {
            "should": [
                {"wildcard": {"title": {"value": "libr*", "_name": "wild", "boost": 3}}},
                {"fuzzy": {"title": {"value": "catalogs", "fuzziness": 1, "_name": "fuzz"}}},
                {"regexp": {"title": {"value": "zzz.*", "_name": "none"}}},
            ]
        }
    }

    def ids(q: dict) -> set[str]:
        return {h["_id"] for h in cisi.search(index="cisi", query=q, size=1000)["hits"]["hits"]}

    wild = ids({"wildcard": {"title": "libr*"}})
    fuzz = ids({"fuzzy": {"title": {"value": "catalogs", "fuzziness": 1}}})
    resp = cisi.search(index="cisi", query=query, size=1000)
    assert {h["_id"] for h in resp["hits"]["hits"]} == wild | fuzz
    assert wild & fuzz
    for hit in resp["hits"]["hits"]:
        expected = [name for name, docs in (("wild", wild), ("fuzz", fuzz)) if hit["_id"] in docs]
        assert sorted(hit["matched_queries"]) == sorted(expected)
