"""Which ``_source`` a ``top_hits`` or ``inner_hits`` hit shows once ``stored_fields`` is given.

A pure function of the two parsed options, shared by the aggregation and the collapse expand phase.
"""

from __future__ import annotations

from retrievo.retrievers.search import SourceFilter, StoredFields

__all__ = ["shown_source"]


def shown_source(source: SourceFilter | None, stored: StoredFields | None) -> SourceFilter:
    """The ``_source`` filter of a ``top_hits``/``inner_hits`` hit (``FetchContext.buildFetchSourceContext``):
    ``source`` is ``None`` when not given. Naming stored fields turns the implicit source off unless
    ``_source`` is one of them; ``_none_`` turns it off whatever was asked."""
    given = source if source is not None else SourceFilter()
    if stored is None:
        return given
    if not stored.fetch:
        return SourceFilter(enabled=False)
    if "_source" in stored.names:
        return SourceFilter(includes=given.includes, excludes=given.excludes)
    return given if source is not None else SourceFilter(enabled=False)
