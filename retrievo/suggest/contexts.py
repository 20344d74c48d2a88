"""Category contexts of the completion suggester: the query side of Elasticsearch's context suggester.

A context-enabled completion field holds each input once per context (Lucene's ``ContextSuggestField``):
the FST key is the context, prefixed by one char naming its mapping (its position in the field's
``contexts``), then ``CONTEXT_SEPARATOR``, then the analysed input. A query names contexts per mapping
(``CategoryQueryContext``: a value, or ``{context, boost, prefix}``); Lucene's ``ContextQuery`` matches
the keys whose context equals one of them (or starts with it, ``prefix: true``) and scores each match
with the boost of the longest query context that starts its context, added to the inner query's own
boost (``ContextCompletionWeight.boost``); the suggestion scores ``weight × boost`` as usual.

Elasticsearch reads the query contexts only on the shard, against the field's mappings
(``CompletionSuggestionBuilder.build``): their errors fail the shard. A context-enabled field needs at
least one query context ("Missing mandatory contexts in context query"); a field without mappings takes
none ("doesn't expect any context").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from retrievo.errors import ApiError, error_cause, error_from_body, shard_failure
from retrievo.grammar.json import values as jv
from retrievo.index.field_types.completion import CONTEXT_SEPARATOR, CategoryContextMapping
from retrievo.java_order import hashmap_order


class ContextQueryError(Exception):
    """A failure reading or applying the query contexts: the shard fails with ``{type, reason}``."""

    def __init__(self, error_type: str, reason: str) -> None:
        super().__init__(reason)
        self.error_type = error_type
        self.reason = reason

    def shard_failure(self, index: str) -> ApiError:
        """The search's error: the shard failed with this cause; a bare Java ``NullPointerException``
        makes it a 500, as its status is the first shard failure's."""
        failure = shard_failure(index, error_cause(self.error_type, self.reason))
        if self.error_type == "null_pointer_exception":
            return error_from_body(500, {**failure.body, "status": 500})
        return failure


@dataclass(frozen=True)
class QueryContext:
    """``ContextMapping.InternalQueryContext``: one category value with its boost and prefix flag."""

    context: str
    boost: int = 1
    prefix: bool = False


def parse_query_contexts(
    field: str, defined: Sequence[CategoryContextMapping], given: tuple[tuple[str, Any], ...] | None
) -> dict[str, list[QueryContext]] | None:
    """``CompletionSuggestionBuilder.parseContextBytes``: the contexts given, by mapping name (``None``
    when none were given)."""
    if given is None:
        return None
    if not defined:
        raise ContextQueryError("illegal_argument_exception", f"suggester [{field}] doesn't expect any context")
    names = {mapping.name for mapping in defined}
    out: dict[str, list[QueryContext]] = {}
    for name, raw in given:
        if name not in names:
            known = ", ".join(sorted(names))
            raise ContextQueryError(
                "illegal_argument_exception", f"Unknown context name [{name}], must be one of [{known}]"
            )
        items = raw if isinstance(raw, list) else [raw]
        out[name] = [_category_query(item) for item in items]
    return out


def _category_query(raw: Any) -> QueryContext:
    """``CategoryQueryContext.fromXContent``: a value, or an object whose any problem is reported as one
    message (the object parser's errors are replaced)."""
    if isinstance(raw, dict):
        bad = ContextQueryError("x_content_parse_exception", "category context must be a string, number or boolean")
        context: str | None = None
        boost, prefix = 1, False
        for key, value in raw.items():
            try:
                if key == "context" and jv.is_value(value) and value is not None:
                    context = jv.java_text(value)
                elif key == "boost":
                    boost = jv.java_int(value)
                    if boost <= 0:
                        raise bad
                elif key == "prefix":
                    prefix = jv.java_bool(value)
                else:
                    raise bad
            except jv.BadValue:
                raise bad from None
        if context is None:  # the builder's Objects.requireNonNull
            raise ContextQueryError("null_pointer_exception", "category must not be null")
        return QueryContext(context, boost, prefix)
    if raw is not None and jv.is_value(raw):
        return QueryContext(jv.java_text(raw))
    raise ContextQueryError(
        "x_content_parse_exception", "category context must be an object, string, number or boolean"
    )


@dataclass(frozen=True)
class ContextFilter:
    """``ContextQuery`` over typed contexts (mapping position char + value): exact and prefix contexts
    with their boosts, a later repeat of a context replacing the earlier (a map put)."""

    boosts: dict[str, tuple[float, bool]]
    lengths: tuple[int, ...]

    def boost_of(self, typed: str) -> float | None:
        """The boost the key with context ``typed`` takes, ``None`` when no query context accepts it.

        Accepted: equal to an exact context or starting with a prefix one. The boost is that of the
        longest query context, exact or not, that ``typed`` starts with (``setNextMatch``)."""
        accepted = False
        for context, (_, exact) in self.boosts.items():
            if typed == context or (not exact and typed.startswith(context)):
                accepted = True
                break
        if not accepted:
            return None
        for length in self.lengths:
            if length <= len(typed) and typed[:length] in self.boosts:
                return self.boosts[typed[:length]][0]
        return 0.0


def context_filter(
    defined: Sequence[CategoryContextMapping], parsed: dict[str, list[QueryContext]] | None
) -> ContextFilter:
    """``ContextMappings.toContextQuery``: every query context of every mapping, typed by the mapping's
    position. A context-enabled field needs at least one."""
    boosts: dict[str, tuple[float, bool]] = {}
    for type_id, mapping in enumerate(defined):
        for query in (parsed or {}).get(mapping.name, ()):
            typed = chr(type_id) + query.context
            at = typed.find(CONTEXT_SEPARATOR)
            if at >= 0:  # ContextQuery.addContext
                raise ContextQueryError(
                    "illegal_argument_exception",
                    f"Illegal value [{typed}] UTF-16 codepoint [0x1d] at position {at} is a reserved character",
                )
            boosts.pop(typed, None)
            boosts[typed] = (float(query.boost), not query.prefix)
    if not boosts:
        raise ContextQueryError("illegal_argument_exception", "Missing mandatory contexts in context query")
    lengths = tuple(sorted({len(typed) for typed in boosts}, reverse=True))
    return ContextFilter(boosts, lengths)


def named_contexts(defined: Sequence[CategoryContextMapping], typed: Sequence[str]) -> dict[str, list[str]]:
    """``ContextMappings.getNamedContexts`` as the option prints it: a ``HashMap`` sized by the number of
    contexts, of ``HashSet`` values, in Java's iteration orders."""
    by_name: dict[str, list[str]] = {}
    for context in typed:
        values = by_name.setdefault(defined[ord(context[0])].name, [])
        if context[1:] not in values:
            values.append(context[1:])
    return {name: hashmap_order(by_name[name], 16) for name in hashmap_order(by_name, max(len(typed), 1))}
