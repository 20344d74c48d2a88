"""The plain highlighter against Lucene's own ``Highlighter``.

``lucene/plain.json`` was written by ``java -cp <lucene 8.7 core, highlighter, memory, queries,
analyzers-common> lucene/Plain.java lucene/plain_cases.tsv``: Lucene's ``Highlighter`` driven as
Elasticsearch's ``PlainHighlighter`` drives it (``QueryScorer`` on the field, ``SimpleSpanFragmenter`` /
``SimpleFragmenter`` / ``NullFragmenter`` for ``number_of_fragments: 0``, ``<em>`` tags, no document length
limit, fragments scoring above 0, best first) over the standard analyzer without stop words, for a
``bool`` of ``should`` term and phrase queries. The plain highlighter's classes have not changed since.
Here each case runs through ``retrievo.Engine`` as a search with ``type: plain``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from retrievo import Engine

CASES: list[dict[str, Any]] = json.loads((Path(__file__).parent / "lucene" / "plain.json").read_text())


@pytest.fixture(scope="module")
def engine() -> Engine:
    e = Engine()
    e.indices.create(index="plain", mappings={"properties": {"f": {"type": "text"}}})
    texts = sorted({case["text"] for case in CASES})
    for i, text in enumerate(texts):
        e.index(index="plain", id=str(i), document={"f": text})
    e.indices.refresh()
    return e


def _query(terms: str) -> dict[str, Any]:
    should: list[dict[str, Any]] = []
    for term in terms.split(" "):
        if "+" in term:
            should.append({"match_phrase": {"f": term.replace("+", " ")}})
        else:
            should.append({"term": {"f": term}})
    return {"bool": {"should": should}}


@pytest.mark.parametrize("case", CASES, ids=[f"{i}-{c['terms']}-{c['fragmenter']}" for i, c in enumerate(CASES)])
def test_plain_fragments_are_lucene_s(engine: Engine, case: dict[str, Any]) -> None:
    options: dict[str, Any] = {
        "type": "plain",
        "fragment_size": case["fragment_size"],
        "number_of_fragments": case["number_of_fragments"],
        "fragmenter": case["fragmenter"],
    }
    body = {
        "query": {"bool": {"must": [_query(case["terms"])], "filter": [{"match_phrase": {"f": case["text"]}}]}},
        "highlight": {"fields": {"f": options}, "highlight_query": _query(case["terms"])},
        "size": 1,
    }
    hits = engine.search(index="plain", body=body)["hits"]["hits"]
    assert hits[0]["_source"]["f"] == case["text"]
    assert hits[0]["highlight"]["f"] == case["fragments"]
