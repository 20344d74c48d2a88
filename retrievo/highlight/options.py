"""One field's highlighting options, resolved: the field's own, else the top level's, else the default
(``HighlightBuilder``'s defaults, as ``SearchHighlightContext.FieldOptions`` fills them in)."""

from __future__ import annotations

from dataclasses import dataclass

from retrievo.errors import illegal_argument, not_supported
from retrievo.retrievers.highlight import HighlightOptions
from retrievo.retrievers.queries import Query

DEFAULT_FRAGMENT_SIZE = 100
DEFAULT_NUMBER_OF_FRAGMENTS = 5
#: The highlighter types retrievo runs; ``fvh`` needs term vectors, which retrievo does not store.
SUPPORTED_TYPES = ("unified", "plain")


@dataclass(frozen=True)
class FieldOptions:
    type: str
    pre_tag: str
    post_tag: str
    fragment_size: int
    number_of_fragments: int
    score_ordered: bool
    require_field_match: bool
    no_match_size: int
    boundary_scanner: str | None
    fragmenter: str | None
    max_analyzed_offset: int | None
    highlight_query: Query | None
    html: bool
    #: Unified only: fields analysed from the same value whose matches are highlighted too.
    matched_fields: tuple[str, ...]


def resolve(options: HighlightOptions, field: str) -> FieldOptions:
    """The merged options of ``field``; a highlighter or option retrievo cannot run is refused here."""
    kind = options.type or "unified"
    if kind == "fvh":
        raise not_supported("[highlight] type [fvh]", "the fast vector highlighter needs term vectors; use unified")
    if kind == "semantic":
        raise not_supported("[highlight] type [semantic]", "semantic_text highlighting")
    if kind not in SUPPORTED_TYPES:
        raise illegal_argument(f"unknown highlighter type [{kind}] for the field [{field}]")
    if options.matched_fields and options.require_field_match is False and kind == "unified":
        raise illegal_argument("Matched fields are not supported when [require_field_match] is set to [false]")
    if options.highlight_filter and kind == "plain":
        raise not_supported("[highlight] option [highlight_filter]")
    if kind == "plain" and options.fragmenter not in (None, "simple", "span"):
        raise illegal_argument(f"unknown fragmenter option [{options.fragmenter}] for the field [{field}]")
    if kind == "unified" and options.boundary_scanner == "chars":
        raise illegal_argument("Invalid boundary scanner type: CHARS")
    pre = options.pre_tags or ("<em>",)
    post = options.post_tags or ("</em>",)
    return FieldOptions(
        type=kind,
        pre_tag=pre[0],
        post_tag=post[0],
        fragment_size=DEFAULT_FRAGMENT_SIZE if options.fragment_size is None else options.fragment_size,
        number_of_fragments=(
            DEFAULT_NUMBER_OF_FRAGMENTS if options.number_of_fragments is None else options.number_of_fragments
        ),
        score_ordered=options.order == "score",
        require_field_match=True if options.require_field_match is None else options.require_field_match,
        no_match_size=options.no_match_size or 0,
        boundary_scanner=options.boundary_scanner,
        fragmenter=options.fragmenter,
        max_analyzed_offset=options.max_analyzed_offset,
        highlight_query=options.highlight_query,
        html=options.encoder == "html",
        matched_fields=options.matched_fields or () if kind == "unified" else (),
    )
