"""Suggesters on an index with several shards: each shard suggests with its own statistics, and the
coordinator reduces the shards' answers as Elasticsearch's does.

The independent check rebuilds each shard as a one-shard index of its own (its documents, in their
order), asks each the same suggestion with ``size`` raised to what a shard answers (so the one-shard
trim to ``size`` cuts nothing), and reduces those answers here by the rules of Elasticsearch's source:

- ``Suggest.reduce`` → ``Suggestion.reduce`` → ``Suggestion.Entry.reduce``: options with the same text
  are one (``Option.equals`` compares the text), ``Option.mergeInto`` keeps the highest score and ORs
  ``collate_match``; ``TermSuggestion.Entry.Option.mergeInto`` adds the frequencies; the entry is then
  sorted with ``sortComparator()`` (``TermSuggestion.SCORE``/``FREQUENCY``, else ``Suggest.COMPARATOR``)
  and ``Suggestion.trim`` keeps ``size``.
- ``PhraseSuggestion.Entry.merge`` keeps the largest shard cutoff and ``addOption`` drops options not
  above it. A shard's cutoff (the input phrase's score times ``confidence``) is read here from the same
  shard asked with ``confidence: 0``, where the uncorrected input is itself an option.
- ``CompletionSuggestion.reduce``: a priority queue over the shards' option lists
  (``OptionPriorityQueue.lessThan``: ``Suggest.COMPARATOR``, then shard index, then doc), popping until
  ``size`` options, ``skip_duplicates`` skipping a text already taken.

The hand-computed cases pin the per-shard statistics and ``shard_size`` semantics with numbers worked
out below each.
"""

from __future__ import annotations

import functools
import heapq
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from retrievo import Engine
from retrievo.index.routing import default_routing_num_shards, shard_for

SHARDS = 3
ROUTING = default_routing_num_shards(SHARDS)
SETTINGS = {
    "analysis": {
        "analyzer": {"trigram": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "shingle"]}},
        "filter": {"shingle": {"type": "shingle", "min_shingle_size": 2, "max_shingle_size": 3}},
    }
}
MAPPINGS = {
    "properties": {
        "body": {"type": "text", "fields": {"trigram": {"type": "text", "analyzer": "trigram"}}},
        "tag": {"type": "keyword"},
        "sugg": {"type": "completion"},
    }
}
WORDS = (
    "quick quack quiet quilt brown brawn crown frown foxes boxes boxer fixes jumps jumped lumps lazy hazy "
    "dogs doge cats coats"
).split()
NAMES = "nirvana nevermind nevada nebraska nectar needle noodle nova novel".split()


def _docs() -> dict[str, dict[str, Any]]:
    rng = np.random.default_rng(11)
    docs = {}
    for i in range(72):
        body = " ".join(rng.choice(WORDS, size=int(rng.integers(3, 8))))
        name = str(rng.choice(NAMES))
        docs[f"d{i}"] = {
            "body": body,
            "tag": str(rng.choice(["a", "b"])),
            "sugg": {"input": [name], "weight": int(rng.integers(1, 6))},
        }
    return docs


DOCS = _docs()
SHARD_OF = {d: shard_for(d, None, SHARDS, ROUTING) for d in DOCS}


def _index(e: Engine, name: str, docs: dict[str, dict[str, Any]], shards: int) -> None:
    e.indices.create(index=name, settings={"number_of_shards": shards, **SETTINGS}, mappings=MAPPINGS)
    operations: list[dict[str, Any]] = []
    for doc_id, doc in docs.items():
        operations += [{"index": {"_index": name, "_id": doc_id}}, doc]
    if operations:
        e.bulk(operations=operations)
    e.indices.refresh(index=name)  # one refresh each: one segment per shard, here and there


@pytest.fixture(scope="module")
def engine() -> Engine:
    """``all``: the documents over three shards; ``s0``..``s2``: each shard's documents alone."""
    e = Engine()
    _index(e, "all", DOCS, SHARDS)
    for s in range(SHARDS):
        _index(e, f"s{s}", {d: v for d, v in DOCS.items() if SHARD_OF[d] == s}, 1)
    return e


def _suggest(e: Engine, index: str, suggestion: dict[str, Any], **params: Any) -> list[dict[str, Any]]:
    resp = e.search(index=index, size=0, suggest={"s": suggestion}, **params)
    return list(resp["suggest"]["s"])


def _float_order(a: float, b: float) -> int:
    """``Float.compare(a, b)``."""
    return (a > b) - (a < b)


# ---- term -------------------------------------------------------------------------------------------


def _term_comparator(sort: str) -> Callable[[dict[str, Any], dict[str, Any]], int]:
    """``TermSuggestion.SCORE`` / ``TermSuggestion.FREQUENCY``."""

    def frequency(first: dict[str, Any], second: dict[str, Any]) -> int:
        cmp = second["freq"] - first["freq"]
        if cmp:
            return cmp
        cmp = _float_order(second["score"], first["score"])
        if cmp:
            return cmp
        return (first["text"] > second["text"]) - (first["text"] < second["text"])

    def score(first: dict[str, Any], second: dict[str, Any]) -> int:
        cmp = _float_order(second["score"], first["score"])
        return cmp if cmp else frequency(first, second)

    return frequency if sort == "frequency" else score


def _reduce_term(shards: list[list[dict[str, Any]]], size: int, sort: str) -> list[dict[str, Any]]:
    if len(shards) == 1:
        return [{**entry, "options": entry["options"][:size]} for entry in shards[0]]
    out = []
    for i in range(len(shards[0])):
        texts = {(shard[i]["text"], shard[i]["offset"], shard[i]["length"]) for shard in shards}
        assert len(texts) == 1  # Entry.reduce: the same text on every shard
        options: dict[str, dict[str, Any]] = {}
        for shard in shards:
            for option in shard[i]["options"]:
                if option["text"] not in options:
                    options[option["text"]] = dict(option)
                else:
                    merger = options[option["text"]]
                    merger["score"] = max(merger["score"], option["score"])
                    merger["freq"] += option["freq"]
        ranked = sorted(options.values(), key=functools.cmp_to_key(_term_comparator(sort)))
        out.append({**shards[0][i], "options": ranked[:size]})
    return out


TERM_TEXT = "quikc brwn foxs jumpd lazzy dgos quick coat"
TERM_CASES: dict[str, dict[str, Any]] = {
    "default": {},
    "size_1": {"size": 1},
    "shard_size_1": {"size": 3, "shard_size": 1},
    "frequency": {"sort": "frequency", "size": 2, "shard_size": 2},
    "popular": {"suggest_mode": "popular", "size": 3},
    "always": {"suggest_mode": "always", "size": 4, "shard_size": 6},
    "min_doc_freq_fraction": {"suggest_mode": "always", "min_doc_freq": 0.12},
    "max_term_freq_fraction": {"suggest_mode": "always", "max_term_freq": 0.2},
    "damerau": {"string_distance": "damerau_levenshtein", "size": 3},
}


@pytest.mark.parametrize("case", sorted(TERM_CASES))
def test_term_suggestions_reduce_as_the_shards_answer(engine: Engine, case: str) -> None:
    options = {"field": "body", **TERM_CASES[case]}
    size = options.get("size", 5)
    shard_size = options.get("shard_size", max(size, 5))
    suggestion = {"text": TERM_TEXT, "term": options}
    per_shard = [
        _suggest(
            engine, f"s{s}", {"text": TERM_TEXT, "term": {**options, "size": shard_size, "shard_size": shard_size}}
        )
        for s in range(SHARDS)
    ]
    want = _reduce_term(per_shard, size, options.get("sort", "score"))
    assert _suggest(engine, "all", suggestion) == want
    assert any(entry["options"] for entry in want)


def test_term_routing_to_one_shard_is_that_shard_alone(engine: Engine) -> None:
    """One searched shard: no merge, only the cut to ``size`` (``Suggestion.reduce`` returns a lone
    shard's answer as it is)."""
    doc = "d0"
    term = {"field": "body", "suggest_mode": "always", "size": 2}
    wide = _suggest(engine, f"s{SHARD_OF[doc]}", {"text": TERM_TEXT, "term": {**term, "size": 5}})
    want = _reduce_term([wide], 2, "score")
    assert _suggest(engine, "all", {"text": TERM_TEXT, "term": term}, routing=doc) == want
    assert want != _reduce_term(
        [_suggest(engine, f"s{s}", {"text": TERM_TEXT, "term": {**term, "size": 5}}) for s in range(SHARDS)], 2, "score"
    )


# ---- phrase -----------------------------------------------------------------------------------------


def _reduce_phrase(shards: list[list[dict[str, Any]]], cutoffs: list[float], size: int) -> list[dict[str, Any]]:
    (leader,) = shards[0]
    if len(shards) == 1:
        return [{**leader, "options": leader["options"][:size]}]
    cutoff = max(cutoffs)
    options: dict[str, dict[str, Any]] = {}
    for shard in shards:
        for option in shard[0]["options"]:
            merger = options.get(option["text"])
            if merger is None:
                options[option["text"]] = dict(option)
                continue
            merger["score"] = max(merger["score"], option["score"])
            if "collate_match" in option:
                merger["collate_match"] = merger.get("collate_match", False) or option["collate_match"]
    kept = []
    for option in options.values():
        # the float32 score against the double cutoff; a tie to float precision would be ambiguous here
        assert np.float32(option["score"]) != np.float32(cutoff) or cutoff < 1e-300
        if option["score"] > cutoff:
            kept.append(option)

    def comparator(first: dict[str, Any], second: dict[str, Any]) -> int:  # Suggest.COMPARATOR
        cmp = _float_order(second["score"], first["score"])
        return cmp if cmp else (first["text"] > second["text"]) - (first["text"] < second["text"])

    kept.sort(key=functools.cmp_to_key(comparator))
    return [{**leader, "options": kept[:size]}]


def _phrase_cutoff(engine: Engine, index: str, phrase: dict[str, Any], text: str, tokens: str) -> float:
    """The shard's cutoff: its input phrase's score (an option when ``confidence`` is 0) times the
    suggestion's ``confidence``; ``Double.MIN_VALUE`` where the shard scored nothing."""
    probe = {**phrase, "confidence": 0.0, "shard_size": 1000, "size": 1000}
    probe.pop("collate", None)
    (entry,) = _suggest(engine, index, {"text": text, "phrase": probe})
    own = [o["score"] for o in entry["options"] if o["text"] == tokens]
    if not own:
        assert not entry["options"]
        return 5e-324
    return own[0] * phrase.get("confidence", 1.0)


PHRASE_TEXT = "quikc brwn foxes jumpd"
GENERATOR = [{"field": "body.trigram", "suggest_mode": "always"}]
COLLATE = {"query": {"source": {"match_phrase": {"body": "{{suggestion}}"}}}, "prune": True}
PHRASE_CASES: dict[str, dict[str, Any]] = {
    "default": {"direct_generator": GENERATOR},
    "confidence_0": {"direct_generator": GENERATOR, "confidence": 0.0, "size": 4},
    "shard_size_2": {"direct_generator": GENERATOR, "confidence": 0.5, "size": 3, "shard_size": 2},
    "highlight": {"direct_generator": GENERATOR, "highlight": {"pre_tag": "<em>", "post_tag": "</em>"}, "size": 3},
    "laplace": {"direct_generator": GENERATOR, "smoothing": {"laplace": {"alpha": 0.3}}, "max_errors": 2},
    "collate_prune": {"direct_generator": GENERATOR, "confidence": 0.0, "size": 6, "collate": COLLATE},
}


@pytest.mark.parametrize("case", sorted(PHRASE_CASES))
def test_phrase_suggestions_reduce_as_the_shards_answer(engine: Engine, case: str) -> None:
    phrase = {"field": "body.trigram", **PHRASE_CASES[case]}
    size = phrase.get("size", 5)
    shard_size = phrase.get("shard_size", max(size, 5))
    tokens = PHRASE_TEXT.lower()
    per_shard, cutoffs = [], []
    for s in range(SHARDS):
        wide = {**phrase, "size": shard_size, "shard_size": shard_size}
        per_shard.append(_suggest(engine, f"s{s}", {"text": PHRASE_TEXT, "phrase": wide}))
        cutoffs.append(_phrase_cutoff(engine, f"s{s}", phrase, PHRASE_TEXT, tokens))
    want = _reduce_phrase(per_shard, cutoffs, size)
    assert _suggest(engine, "all", {"text": PHRASE_TEXT, "phrase": phrase}) == want
    assert want[0]["options"]


def test_phrase_collate_runs_on_each_shard(engine: Engine) -> None:
    """Without ``prune`` a correction stays when its collate query matches on the shard that made it:
    here only one shard holds the phrase ``jumped lazy``."""
    phrase = {"field": "body.trigram", "direct_generator": GENERATOR, "confidence": 0.0, "size": 10}
    collate = {"query": {"source": {"match_phrase": {"body": "{{suggestion}}"}}}}
    suggestion = {"text": "jumpd lazy", "phrase": {**phrase, "collate": collate}}
    per_shard = [_suggest(engine, f"s{s}", suggestion) for s in range(SHARDS)]
    want = _reduce_phrase(per_shard, [5e-324] * SHARDS, 10)
    got = _suggest(engine, "all", suggestion)
    assert got == want
    assert [o["text"] for o in got[0]["options"]] == ["jumped lazy"]
    shard_texts = [{o["text"] for o in shard[0]["options"]} for shard in per_shard]
    assert len({frozenset(t) for t in shard_texts}) > 1  # the shards' collate queries matched differently


# ---- completion -------------------------------------------------------------------------------------


def _reduce_completion(shards: list[list[dict[str, Any]]], size: int, skip_duplicates: bool) -> list[dict[str, Any]]:
    (leader,) = shards[0]
    if len(shards) == 1:
        return [leader]
    # OptionPriorityQueue: the least head first: Suggest.COMPARATOR (score desc, text asc), then shard
    queue = [
        (-shard[0]["options"][0]["_score"], shard[0]["options"][0]["text"], index, 0)
        for index, shard in enumerate(shards)
        if shard[0]["options"]
    ]
    heapq.heapify(queue)
    seen: set[str] = set()
    options: list[dict[str, Any]] = []
    while queue:
        _, _, index, place = heapq.heappop(queue)
        shard_options = shards[index][0]["options"]
        current = shard_options[place]
        if place + 1 < len(shard_options):
            following = shard_options[place + 1]
            heapq.heappush(queue, (-following["_score"], following["text"], index, place + 1))
        if not skip_duplicates or current["text"] not in seen:
            seen.add(current["text"])
            options.append(current)
            if len(options) >= size:
                break
    return [{**leader, "options": options}]


COMPLETION_CASES: dict[str, dict[str, Any]] = {
    "prefix": {"prefix": "ne"},
    "size_3": {"prefix": "n", "size": 3},
    "shard_size": {"prefix": "n", "size": 4, "shard_size": 2},
    "skip_duplicates": {"prefix": "n", "size": 6, "skip_duplicates": True},
    "fuzzy": {"prefix": "nevda", "fuzzy": {"fuzziness": 2}, "size": 7},
    "regex": {"regex": "n[eo].*", "size": 8},
}


@pytest.mark.parametrize("case", sorted(COMPLETION_CASES))
def test_completion_suggestions_reduce_as_the_shards_answer(engine: Engine, case: str) -> None:
    spec = dict(COMPLETION_CASES[case])
    text_key = "regex" if "regex" in spec else "prefix"
    text = spec.pop(text_key)
    completion = {"field": "sugg", **spec}
    suggestion = {text_key: text, "completion": completion}
    per_shard = [_suggest(engine, f"s{s}", suggestion) for s in range(SHARDS)]
    for shard in per_shard:
        for option in shard[0]["options"]:
            option["_index"] = "all"
    want = _reduce_completion(per_shard, completion.get("size", 5), completion.get("skip_duplicates", False))
    assert _suggest(engine, "all", suggestion) == want
    assert want[0]["options"]


# ---- hand-computed ----------------------------------------------------------------------------------


def _ids_on(shards: int, counts: list[int]) -> list[list[str]]:
    """Ids routed to each shard of a ``shards``-shard index, ``counts[s]`` of them for shard ``s``."""
    routing = default_routing_num_shards(shards)
    out: list[list[str]] = [[] for _ in range(shards)]
    i = 0
    while any(len(out[s]) < counts[s] for s in range(shards)):
        doc_id = f"h{i}"
        s = shard_for(doc_id, None, shards, routing)
        if len(out[s]) < counts[s]:
            out[s].append(doc_id)
        i += 1
    return out


def _two_shard_index(
    e: Engine, name: str, shard0: list[dict[str, Any]], shard1: list[dict[str, Any]]
) -> list[list[str]]:
    ids = _ids_on(2, [len(shard0), len(shard1)])
    e.indices.create(index=name, settings={"number_of_shards": 2, **SETTINGS}, mappings=MAPPINGS)
    operations: list[dict[str, Any]] = []
    for shard_ids, docs in zip(ids, (shard0, shard1)):
        for doc_id, doc in zip(shard_ids, docs):
            operations += [{"index": {"_index": name, "_id": doc_id}}, doc]
    e.bulk(operations=operations, refresh=True)
    return ids


def test_term_freq_is_summed_and_shard_size_cuts_each_shard() -> None:
    """Shard 0: house ×2, horse ×1; shard 1: house ×1, horse ×3. For ``hoise`` both are one edit away
    (score 1 - 1/5 = 0.8). Each shard keeps its ``shard_size`` best: with 1, shard 0 answers house (2)
    and shard 1 horse (3); merged, equal scores, the higher frequency first. The whole index's counts
    (house 3, horse 4) never appear."""
    e = Engine()
    _two_shard_index(
        e,
        "h",
        [{"body": "house"}, {"body": "house"}, {"body": "horse"}],
        [{"body": "house"}, {"body": "horse"}, {"body": "horse"}, {"body": "horse"}],
    )
    term = {"field": "body", "size": 2, "shard_size": 1}
    (entry,) = _suggest(e, "h", {"text": "hoise", "term": term})
    assert entry["options"] == [
        {"text": "horse", "score": 0.8, "freq": 3},
        {"text": "house", "score": 0.8, "freq": 2},
    ]
    (entry,) = _suggest(e, "h", {"text": "hoise", "term": {**term, "shard_size": 2}})
    assert entry["options"] == [
        {"text": "horse", "score": 0.8, "freq": 4},
        {"text": "house", "score": 0.8, "freq": 3},
    ]
    (entry,) = _suggest(e, "h", {"text": "hoise", "term": {**term, "shard_size": 2, "sort": "frequency", "size": 1}})
    assert entry["options"] == [{"text": "horse", "score": 0.8, "freq": 4}]


def test_term_missing_mode_asks_each_shard_whether_the_text_is_indexed() -> None:
    """``hoise`` is indexed on shard 1 only: with ``suggest_mode: missing`` shard 1 suggests nothing and
    shard 0 (house ×1) answers alone, though the whole index holds the text."""
    e = Engine()
    _two_shard_index(e, "m", [{"body": "house"}], [{"body": "hoise"}, {"body": "house horse"}])
    (entry,) = _suggest(e, "m", {"text": "hoise", "term": {"field": "body"}})
    assert entry["options"] == [{"text": "house", "score": 0.8, "freq": 1}]


def test_term_fractions_scale_by_each_shards_max_doc() -> None:
    """``min_doc_freq: 0.5`` is ``int(0.5 × maxDoc) - 1`` on each shard: shard 0 (2 docs) asks more than
    0, shard 1 (6 docs) more than 2. house: 1 doc on shard 0 (kept, freq 1), 2 on shard 1 (cut); horse:
    3 docs on shard 1 (kept). Merged: horse 3 before house 1 at equal scores."""
    e = Engine()
    _two_shard_index(
        e,
        "f",
        [{"body": "house"}, {"body": "other"}],
        [{"body": "house"}, {"body": "house"}, {"body": "horse"}, {"body": "horse"}, {"body": "horse"}, {"body": "x"}],
    )
    term = {"field": "body", "suggest_mode": "always", "min_doc_freq": 0.5}
    (entry,) = _suggest(e, "f", {"text": "hoise", "term": term})
    assert entry["options"] == [
        {"text": "horse", "score": 0.8, "freq": 3},
        {"text": "house", "score": 0.8, "freq": 1},
    ]


def _weighted(name: str, weight: int) -> dict[str, Any]:
    return {"sugg": {"input": [name], "weight": weight}}


def test_completion_size_per_shard_ties_and_duplicates() -> None:
    """Shard 0: nirvana 10, nevermind 4, nova 4; shard 1: nirvana 10, nebula 4, needle 1. The priority
    queue takes score first, then text, then the lower shard: nirvana (shard 0), nirvana (shard 1),
    nebula, nevermind, nova. With ``skip_duplicates`` the second nirvana is skipped. Each shard answers
    at most ``size``: with size 2, shard 0 offers nirvana and nevermind, shard 1 nirvana and nebula."""
    e = Engine()
    ids = _two_shard_index(
        e,
        "c",
        [_weighted("nirvana", 10), _weighted("nevermind", 4), _weighted("nova", 4)],
        [_weighted("nirvana", 10), _weighted("nebula", 4), _weighted("needle", 1)],
    )

    def texts_ids(suggestion: dict[str, Any]) -> list[tuple[str, str, float]]:
        (entry,) = _suggest(e, "c", {"prefix": "n", "completion": {"field": "sugg", **suggestion}})
        return [(o["text"], o["_id"], o["_score"]) for o in entry["options"]]

    assert texts_ids({"size": 5}) == [
        ("nirvana", ids[0][0], 10.0),
        ("nirvana", ids[1][0], 10.0),
        ("nebula", ids[1][1], 4.0),
        ("nevermind", ids[0][1], 4.0),
        ("nova", ids[0][2], 4.0),
    ]
    assert texts_ids({"size": 3, "skip_duplicates": True}) == [
        ("nirvana", ids[0][0], 10.0),
        ("nebula", ids[1][1], 4.0),
        ("nevermind", ids[0][1], 4.0),
    ]
    assert texts_ids({"size": 2}) == [("nirvana", ids[0][0], 10.0), ("nirvana", ids[1][0], 10.0)]
    # routed to shard 1 only: that shard's answer, no reduce
    (entry,) = _suggest(e, "c", {"prefix": "n", "completion": {"field": "sugg", "size": 2}}, routing=ids[1][0])
    assert [(o["text"], o["_id"]) for o in entry["options"]] == [("nirvana", ids[1][0]), ("nebula", ids[1][1])]


def test_an_empty_shard_adds_nothing() -> None:
    """A shard whose documents are all deleted answers Elasticsearch's empty suggestion, even though its
    postings still hold the deleted documents' terms."""
    e = Engine()
    ids = _two_shard_index(e, "e", [{"body": "house"}], [{"body": "horse"}])
    e.delete(index="e", id=ids[1][0], refresh=True)
    (entry,) = _suggest(e, "e", {"text": "hoise", "term": {"field": "body"}})
    assert entry["options"] == [{"text": "house", "score": 0.8, "freq": 1}]
