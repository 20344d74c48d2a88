"""Router fixture: a catalog with two small hand-built indices (``books``: four documents, ``films``: one)."""

from __future__ import annotations

from typing import Any

import pytest

from api_helpers import BOOKS, ndjson, send
from retrievo.api.router import Router
from retrievo.catalog import Catalog


@pytest.fixture
def router() -> Router:
    r = Router(Catalog())
    mappings = {"properties": {"title": {"type": "text"}, "year": {"type": "integer"}, "tags": {"type": "keyword"}}}
    assert send(r, "PUT", "/books", {"mappings": mappings}).status == 200
    lines: list[Any] = []
    for i, doc in enumerate(BOOKS):
        lines += [{"index": {"_id": str(i)}}, doc]
    assert send(r, "POST", "/books/_bulk", ndjson(*lines), refresh="true").status == 200
    assert send(r, "PUT", "/films", {"mappings": {"properties": {"title": {"type": "text"}}}}).status == 200
    assert send(r, "PUT", "/films/_doc/f1", {"title": "the fox movie"}, refresh="").status == 201
    return r
