"""What every suggester's parsed form shares (Elasticsearch's ``SuggestionBuilder``): the suggestion's
name, field, text, analyzer and sizes, and the rule for printing it back with defaults left out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class SuggestionBase:
    """The options ``SuggestionBuilder`` itself holds for the ``term`` and ``phrase`` suggesters."""

    name: str
    field: str
    text: str
    analyzer: str | None = None
    size: int = 5
    shard_size: int | None = None


def changed_options(s: object, defaults: object, keys: Iterable[str]) -> dict[str, object]:
    """``keys`` of ``s`` whose value is set and differs from ``defaults``', in the order given: what a
    builder's ``innerToXContent`` prints."""
    out: dict[str, object] = {}
    for key in keys:
        value = getattr(s, key)
        if value is not None and value != getattr(defaults, key):
            out[key] = value
    return out
