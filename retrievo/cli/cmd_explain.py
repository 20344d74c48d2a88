"""``retrievo explain NAME [BODY]``: print the plan a search would run, nothing executed.

Rules are switched by name, as ``Plan.explain(**{rule: False})`` does: ``--disable RULE`` (or
``--no-RULE``, dashes or underscores) turns one off, ``--unoptimized`` starts from every rule off
and ``--enable RULE`` turns one back on. ``--list-rules`` shows the names.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from retrievo.cli.cmd_search import check_esql_options
from retrievo.cli.data import open_for_reading
from retrievo.cli.requests import search_body
from retrievo.cli.usage import EXIT_OK, UsageError


def rule_names() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The query rules and the plan rules, in the order they run."""
    from retrievo.planner.rules import PLAN_RULE_NAMES, QUERY_RULE_NAMES

    return QUERY_RULE_NAMES, PLAN_RULE_NAMES


def normalise_rule(name: str) -> str:
    """A rule name as written on the command line (``push-down-filters`` or ``push_down_filters``)
    checked against the registry; an unknown one is a usage error listing the valid names."""
    query_rules, plan_rules = rule_names()
    canonical = name.strip().replace("-", "_")
    if canonical not in query_rules + plan_rules:
        from retrievo.grammar.json.errors import suggest

        hint = suggest(canonical, query_rules + plan_rules)
        raise UsageError(f"unknown rule [{name}]{hint}\nvalid rules: {', '.join(query_rules + plan_rules)}")
    return canonical


def switches(args: argparse.Namespace) -> dict[str, bool]:
    """Rule name → on/off from ``--disable``, ``--no-RULE`` and ``--enable``."""
    out: dict[str, bool] = {}
    for value in args.disable or []:
        for name in value.split(","):
            if name.strip():
                out[normalise_rule(name)] = False
    for value in args.enable or []:
        for name in value.split(","):
            if name.strip():
                rule = normalise_rule(name)
                if out.get(rule) is False:
                    raise UsageError(f"rule [{rule}] is both enabled and disabled")
                out[rule] = True
    return out


def list_rules() -> str:
    query_rules, plan_rules = rule_names()
    lines = ["query rules (Lucene's own rewrites; part of exact scoring):"]
    lines += [f"  {r}" for r in query_rules]
    lines += ["plan rules (never change results):"]
    lines += [f"  {r}" for r in plan_rules]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if args.list_rules:
        print(list_rules())
        return EXIT_OK
    rules = switches(args)
    optimized: Any = False if args.unoptimized else None
    if args.esql is not None:
        check_esql_options(args, "explain")
        engine = open_for_reading(args.data)
        plan = engine.plan(esql=args.esql)
    else:
        if args.index is None:
            raise UsageError("the index NAME is required (or --esql QUERY)")
        engine = open_for_reading(args.data)
        plan = engine.plan(index=args.index, body=search_body(engine, args))
    if args.json:
        print(json.dumps(plan.with_rules(optimized, **rules).to_dict(), indent=2, ensure_ascii=False))
    else:
        print(plan.explain(optimized, **rules))
    return EXIT_OK
