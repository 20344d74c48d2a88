"""Index expressions as Elasticsearch's ``IndexNameExpressionResolver`` reads them.

An expression is a comma list of names, wildcards (``*`` only) and exclusions (``-name``, after a
wildcard); ``_all``, ``*`` and no expression at all mean every index. ``ignore_unavailable`` skips a
concrete name that does not exist (else ``index_not_found_exception``); ``allow_no_indices`` decides
whether an expression that matches nothing is an error; ``expand_wildcards`` is validated (every
retrievo index is open and visible, so ``open``/``all`` expand alike and ``none`` expands to nothing).
An alias stands for its indices; wildcards match alias names too. Each index carries the filters of the
filtered aliases it was reached through (none when it was also named directly or through an alias
without a filter), which searches apply as a filter, as Elasticsearch does.
"""

from __future__ import annotations

from typing import Any

from retrievo.api import params as p
from retrievo.api.call import Call
from retrievo.catalog import Catalog
from retrievo.errors import illegal_argument, index_not_found


def resolve_targets(
    catalog: Catalog,
    expression: Any,
    *,
    ignore_unavailable: bool = False,
    allow_no_indices: bool = True,
    expand: set[str] | None = None,
) -> list[tuple[str, list[Any] | None]]:
    """The concrete indices ``expression`` means, first mention first, each with the filters of the
    aliases it was reached through (``None``: reached directly, or through an alias without a filter)."""
    expand = {"open"} if expand is None else expand
    parts = p.names(expression)
    existing = list(catalog.shards)
    aliases = catalog.aliases
    order: list[str] = []
    unfiltered: set[str] = set()
    filters: dict[str, list[Any]] = {}

    def reach(name: str, alias_filter: Any = None, through_alias: bool = False) -> None:
        if name not in order:
            order.append(name)
        if not through_alias or alias_filter is None:
            unfiltered.add(name)
        else:
            filters.setdefault(name, []).append(alias_filter)

    def reach_alias(alias: str) -> None:
        for index, metadata in aliases[alias].items():
            reach(index, metadata.get("filter"), through_alias=True)

    if not parts or parts in (["_all"], ["*"]):
        for name in existing if expand else []:
            reach(name)
        if not order and not allow_no_indices:
            raise index_not_found(parts[0] if parts else "_all")
        return [(n, None) for n in order]
    seen_wildcard = False
    for part in parts:
        if part.startswith("-") and seen_wildcard:
            order = [n for n in order if not p.glob_match(n, part[1:])]
            continue
        if part == "_all" or "*" in part:
            seen_wildcard = True
            pattern = "*" if part == "_all" else part
            matched = [n for n in existing if p.glob_match(n, pattern)] if expand else []
            matched_aliases = [a for a in aliases if p.glob_match(a, pattern)] if expand else []
            if not matched and not matched_aliases and not allow_no_indices:
                raise index_not_found(part)
            for name in matched:
                reach(name)
            for alias in matched_aliases:
                reach_alias(alias)
        elif part in catalog.shards:
            reach(part)
        elif part in aliases:
            reach_alias(part)
        elif not ignore_unavailable:
            raise index_not_found(part)
    if not order and not allow_no_indices:
        raise index_not_found(",".join(parts))
    return [(n, None if n in unfiltered else filters.get(n)) for n in order]


def resolve(
    catalog: Catalog,
    expression: Any,
    *,
    ignore_unavailable: bool = False,
    allow_no_indices: bool = True,
    expand: set[str] | None = None,
) -> list[str]:
    """The concrete index names ``expression`` means, first mention first."""
    targets = resolve_targets(
        catalog, expression, ignore_unavailable=ignore_unavailable, allow_no_indices=allow_no_indices, expand=expand
    )
    return [name for name, _ in targets]


def single_index(catalog: Catalog, expression: Any) -> Any:
    """The one index a single-document read names: an index, or an alias of exactly one index (an
    alias of several is refused, write index or not, as ``concreteSingleIndex`` refuses it). Anything
    else is returned as it is, for the catalog to refuse."""
    name = expression
    on = catalog.aliases.get(name) if isinstance(name, str) else None
    if on is None:
        return name
    if len(on) == 1:
        return next(iter(on))
    raise illegal_argument(
        f"alias [{name}] has more than one index associated with it [{', '.join(sorted(on))}], "
        "can't execute a single index op"
    )


def resolve_call(
    call: Call, *, ignore_unavailable: bool = False, allow_no_indices: bool = True, part: str = "index"
) -> list[str]:
    return [name for name, _ in resolve_call_targets(call, ignore_unavailable, allow_no_indices, part)]


def resolve_call_targets(
    call: Call, ignore_unavailable: bool = False, allow_no_indices: bool = True, part: str = "index"
) -> list[tuple[str, list[Any] | None]]:
    """:func:`resolve` with the call's ``ignore_unavailable``/``allow_no_indices``/``expand_wildcards``
    (the defaults are the API's own: ``IndicesOptions`` differ per API)."""
    return resolve_targets(
        call.catalog,
        call.part(part),
        ignore_unavailable=p.as_bool("ignore_unavailable", call.param("ignore_unavailable"), ignore_unavailable),
        allow_no_indices=p.as_bool("allow_no_indices", call.param("allow_no_indices"), allow_no_indices),
        expand=p.expand_wildcards(call.param("expand_wildcards")),
    )
