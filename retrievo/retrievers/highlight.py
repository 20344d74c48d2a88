"""The search body's ``highlight`` section, as Elasticsearch's ``HighlightBuilder`` holds it.

Every option may be given at the top level and again per field; a field's own value wins. Options left
out stay ``None`` here so that the merge (and printing back) can tell "not given" from a default —
:meth:`HighlightOptions.merged` and the defaults in ``retrievo/highlight/options.py`` resolve them.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from retrievo.retrievers.base import Node
from retrievo.retrievers.queries import Query

#: The option names shared by the top level and each field, in Elasticsearch's printing order.
COMMON_OPTIONS: tuple[str, ...] = (
    "pre_tags",
    "post_tags",
    "fragment_size",
    "number_of_fragments",
    "type",
    "fragmenter",
    "highlight_query",
    "order",
    "highlight_filter",
    "boundary_scanner",
    "boundary_max_scan",
    "boundary_chars",
    "boundary_scanner_locale",
    "options",
    "require_field_match",
    "no_match_size",
    "phrase_limit",
    "max_analyzed_offset",
    "encoder",
)


class HighlightOptions(Node):
    """Options of one level (``None``: not given at that level)."""

    kind: ClassVar[str] = "highlight_options"
    pre_tags: tuple[str, ...] | None = None
    post_tags: tuple[str, ...] | None = None
    fragment_size: int | None = None
    number_of_fragments: int | None = None
    type: str | None = None
    fragmenter: str | None = None
    highlight_query: Query | None = None
    order: str | None = None
    highlight_filter: bool | None = None
    boundary_scanner: str | None = None
    boundary_max_scan: int | None = None
    boundary_chars: str | None = None
    boundary_scanner_locale: str | None = None
    #: ``options`` (for custom highlighters; the built-in ones never read it), kept as JSON text so that
    #: the request stays hashable.
    options: str | None = None
    require_field_match: bool | None = None
    no_match_size: int | None = None
    phrase_limit: int | None = None
    max_analyzed_offset: int | None = None
    encoder: str | None = None
    #: Per-field only (``fvh``): ``fragment_offset`` and ``matched_fields``.
    fragment_offset: int | None = None
    matched_fields: tuple[str, ...] | None = None

    def merged(self, top: HighlightOptions) -> HighlightOptions:
        """This field's options over the top level's (``SearchHighlightContext.FieldOptions.merge``)."""
        values = {name: getattr(self, name) for name in type(self).model_fields}
        for name in COMMON_OPTIONS:
            if values[name] is None:
                values[name] = getattr(top, name)
        return HighlightOptions(**values)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for name in (*COMMON_OPTIONS, "fragment_offset", "matched_fields"):
            value = getattr(self, name)
            if value is None:
                continue
            if name == "options":
                value = json.loads(value)
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, Query):
                value = value.to_json()
            body[name] = value
        return body


class HighlightField(Node):
    """One entry of ``fields``: a field name or ``*`` pattern with its own options."""

    kind: ClassVar[str] = "highlight_field"
    name: str
    options: HighlightOptions = HighlightOptions()


class Highlight(Node):
    """The whole ``highlight`` section."""

    kind: ClassVar[str] = "highlight"
    fields: tuple[HighlightField, ...] = ()
    options: HighlightOptions = HighlightOptions()
    #: ``fields`` came as an array of one-key objects (it keeps the order explicit; printing keeps it).
    use_explicit_field_order: bool = False

    def to_json(self) -> dict[str, Any]:
        body = self.options.to_json()
        fields = [(f.name, f.options.to_json()) for f in self.fields]
        if self.use_explicit_field_order:
            body["fields"] = [{name: opts} for name, opts in fields]
        else:
            body["fields"] = dict(fields)
        return body
