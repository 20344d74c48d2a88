"""``_msearch`` end to end: parse every search (retrievo.grammar.json.msearch), find each one's
index in the catalog, then plan and run them together (retrievo.planner.msearch).

``Engine.msearch`` and ``_rank_eval`` both run their searches through :func:`multi_search`, so a
rated request fails, batches and shares work exactly as the same search sent to ``_msearch``.
"""

from __future__ import annotations

from typing import Any

from retrievo.catalog import Catalog
from retrievo.errors import ApiError
from retrievo.grammar.json.msearch import parse_msearch
from retrievo.index.shard import Shard
from retrievo.planner.msearch import MultiSearchReport, run_msearch
from retrievo.retrievers.search import SearchRequest


def multi_search(catalog: Catalog, searches: Any, index: Any = None) -> tuple[dict[str, Any], MultiSearchReport]:
    """The ``_msearch`` response for ``searches`` (header/body pairs, a list or NDJSON; ``index``:
    the request's default index) and what the searches shared. A request that does not parse
    fails as a whole; a search whose index is missing, or that fails when it runs, fails alone."""
    targets: list[tuple[Shard, SearchRequest] | ApiError] = []
    for item in parse_msearch(searches, index):
        try:
            shard = catalog.shard(item.index)
            targets.append((shard, item.against(shard.name, shard.settings.max_result_window)))
        except ApiError as err:
            targets.append(err)
    return run_msearch(targets, catalog.embed_query, catalog.inference)
