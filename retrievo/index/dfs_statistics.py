"""``dfs_query_then_fetch`` over several indices: every index scores with all of them's statistics.

Elasticsearch's DFS phase collects each shard's term and field statistics and the coordinator sums them
(``SearchPhaseController.aggregateDfs``); every shard of every index in the search then scores with the
sums. Within one index retrievo's searcher already holds the whole index's statistics; over several, each
index's searcher is handed inverted fields whose ``doc_count``, ``sum_total_term_freq``, ``sum_doc_freq``
and per-term document frequencies (``InvertedField.dfs_doc_freqs``) are the sums over the indices that
map the field. Postings stay the index's own. Fields are summed when a search first reads them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace

import numpy as np

from retrievo.index.inverted import InvertedField
from retrievo.index.searcher import Searcher


def with_aggregated_statistics(searchers: Sequence[Searcher]) -> list[Searcher]:
    """``searchers`` (one per index of the search) each scoring with the statistics of them all."""
    totals = _Totals(searchers)
    return [replace(s, inverted_fields=_SummedFields(s.inverted_fields, totals)) for s in searchers]


class _Totals:
    """Each field's statistics summed over the search's indices, computed once per field."""

    def __init__(self, searchers: Sequence[Searcher]) -> None:
        self._searchers = searchers
        self._fields: dict[str, tuple[Counter[str], int, int, int]] = {}

    def of(self, path: str) -> tuple[Counter[str], int, int, int]:
        found = self._fields.get(path)
        if found is None:
            doc_freqs: Counter[str] = Counter()
            doc_count = sum_ttf = sum_df = 0
            for searcher in self._searchers:
                inv = searcher.inverted_fields.get(path)
                if inv is None:
                    continue
                counts = np.diff(inv.offsets).tolist()
                doc_freqs.update({term: counts[tid] for term, tid in inv.terms.items() if counts[tid]})
                doc_count += inv.doc_count
                sum_ttf += inv.sum_total_term_freq
                sum_df += inv.sum_doc_freq
            found = self._fields[path] = (doc_freqs, doc_count, sum_ttf, sum_df)
        return found


class _SummedFields(Mapping[str, InvertedField]):
    """One index's inverted fields, each with the search's summed statistics when first read."""

    def __init__(self, fields: Mapping[str, InvertedField], totals: _Totals) -> None:
        self._fields, self._totals = fields, totals
        self._built: dict[str, InvertedField] = {}

    def __getitem__(self, path: str) -> InvertedField:
        built = self._built.get(path)
        if built is None:
            inv = self._fields[path]
            doc_freqs, doc_count, sum_ttf, sum_df = self._totals.of(path)
            summed = np.zeros(len(inv.offsets) - 1, dtype=np.int64)
            for term, tid in inv.terms.items():
                summed[tid] = doc_freqs.get(term, 0)
            built = self._built[path] = replace(
                inv,
                doc_count=doc_count,
                sum_total_term_freq=sum_ttf,
                sum_doc_freq=sum_df,
                dfs_doc_freqs=summed,
            )
        return built

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)
