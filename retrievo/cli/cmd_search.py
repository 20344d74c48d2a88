"""``retrievo search NAME [BODY]`` and ``retrievo search --esql QUERY``: run a search and print it.

The engine is loaded read-only from the data directory, so searching never changes it. The
default output is a table (rank, ``_id``, ``_score``, a snippet of ``--show`` fields); ``--json``
prints the response body exactly as the engine returns it.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from retrievo.cli.data import open_for_reading
from retrievo.cli.requests import index_text_fields, search_body
from retrievo.cli.tables import esql_table, hits_table
from retrievo.cli.usage import EXIT_OK, UsageError


def check_esql_options(args: argparse.Namespace, command: str) -> None:
    """``--esql`` names its index in ``FROM`` and its size in ``LIMIT``: other options clash."""
    clashes = [
        name
        for name, given in (
            ("NAME", args.index is not None),
            ("BODY", args.body is not None),
            ("-q", args.query is not None),
            ("--field", bool(args.field)),
            ("--size", getattr(args, "size", None) is not None),
            ("--from", getattr(args, "from_", None) is not None),
        )
        if given
    ]
    if clashes:
        raise UsageError(f"{command} --esql takes no {', '.join(clashes)} (FROM names the index, LIMIT the size)")


def run(args: argparse.Namespace) -> int:
    if args.esql is not None:
        check_esql_options(args, "search")
        if args.show:
            raise UsageError("--show goes with a search body; ES|QL picks its columns with KEEP")
        engine = open_for_reading(args.data)
        response = engine.esql.query(query=args.esql).body
        print(json.dumps(response, indent=2, ensure_ascii=False) if args.json else esql_table(response))
        return EXIT_OK
    if args.index is None:
        raise UsageError("the index NAME is required (or --esql QUERY)")
    engine = open_for_reading(args.data)
    body = search_body(engine, args)
    response = engine.search(index=args.index, body=body).body
    if args.json:
        print(json.dumps(response, indent=2, ensure_ascii=False))
    else:
        print(hits_table(response, _shown_fields(engine, args)))
    return EXIT_OK


#: Field names that usually hold what a reader recognises a document by, best first.
_READABLE = ("title", "name", "headline", "subject", "text", "body", "content", "summary", "description")


def _shown_fields(engine: Any, args: argparse.Namespace) -> list[str]:
    """``--show`` fields; else the ``--field`` that ``-q`` searched; else one ``text`` field of the
    index, a title-like one when there is one (a snippet makes a hit readable)."""
    if args.show:
        return [f for value in args.show for f in value.split(",") if f]
    if args.field:
        return list(args.field[:1])
    fields = index_text_fields(engine, args.index)
    by_leaf = {f.rsplit(".", 1)[-1].lower(): f for f in reversed(fields)}
    preferred = [by_leaf[name] for name in _READABLE if name in by_leaf]
    return (preferred or fields)[:1]
