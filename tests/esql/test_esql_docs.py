"""docs/esql.md cannot rot: every ```esql block in it runs on the ``lib`` test index (the index the
page describes) and returns rows; printed back to ES|QL it parses into the same AST; and the error
texts the page shows are the errors retrievo gives."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from retrievo.errors import ApiError, error_reason
from retrievo.grammar.esql import to_esql

DOC = Path(__file__).resolve().parents[2] / "docs" / "esql.md"


def _blocks(language: str) -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    return [m.group(1).strip() for m in re.finditer(rf"^```{language}\n(.*?)^```", text, re.S | re.M)]


ESQL_BLOCKS = _blocks("esql")


def test_the_page_has_examples():
    assert len(ESQL_BLOCKS) >= 8


@pytest.mark.parametrize("query", ESQL_BLOCKS, ids=[f"block{i + 1}" for i in range(len(ESQL_BLOCKS))])
def test_every_esql_example_runs_and_returns_rows(lib, query):
    resp = lib.esql.query(query=query, format="json")
    assert resp["values"], query
    assert all(len(row) == len(resp["columns"]) for row in resp["values"])
    parsed = lib.esql.parse(query)
    assert lib.esql.parse(to_esql(parsed)) == parsed


ERRORS = {  # the query behind each error text the page shows (its first line identifies it)
    "line 3:3: mismatched input 'LIMT'": 'FROM lib\n| WHERE MATCH(title, "dark")\n| LIMT 5',
    "line 1:12: not supported in retrievo: STATS": "FROM lib | STATS c = COUNT(*)",
    "Found 2 problems": 'FROM lib | WHERE titel:"dark" AND genre == 1',
}


@pytest.mark.parametrize("shown", _blocks("text"), ids=lambda s: s.split("\n")[0][:40])
def test_the_error_texts_shown_are_the_real_ones(lib, shown):
    query = next(q for start, q in ERRORS.items() if shown.startswith(start))
    with pytest.raises(ApiError) as info:
        lib.esql.query(query=query)
    assert error_reason(info.value) == shown
