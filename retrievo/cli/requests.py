"""The search body ``search`` and ``explain`` send, from a BODY argument and shortcut options.

``-q TEXT`` is the quick way in: a ``match`` on ``--field`` (or a ``multi_match`` over several),
else a ``multi_match`` over every ``text`` field the index maps. Listing the fields (rather than
relying on ``index.query.default_field``) keeps the request explicit, visible with ``--json``, and
the same on a real cluster.
"""

from __future__ import annotations

import argparse
from typing import Any

from retrievo.cli.inputs import read_json_object
from retrievo.cli.usage import UsageError
from retrievo.errors import bad_request


def text_fields(mappings: dict[str, Any], prefix: str = "") -> list[str]:
    """Paths of the ``text`` fields of a mappings object, in mapping order (multi-fields left out:
    they hold the same text as their parent)."""
    found: list[str] = []
    for name, spec in (mappings.get("properties") or {}).items():
        path = f"{prefix}{name}"
        if not isinstance(spec, dict):
            continue
        if spec.get("type") == "text":
            found.append(path)
        elif "properties" in spec and spec.get("type") in (None, "object"):
            found.extend(text_fields(spec, path + "."))
    return found


def index_text_fields(engine: Any, index: str) -> list[str]:
    mapping = engine.indices.get_mapping(index=index)[index]["mappings"]
    return text_fields(mapping)


def quick_query(engine: Any, index: str, text: str, fields: list[str]) -> dict[str, Any]:
    """The ``-q`` query."""
    if len(fields) == 1:
        return {"match": {fields[0]: {"query": text}}}
    if not fields:
        fields = index_text_fields(engine, index)
        if not fields:
            raise bad_request(
                "illegal_argument_exception",
                f"-q needs a text field to search, and index [{index}] maps none; name one with --field",
            )
    return {"multi_match": {"query": text, "fields": fields}}


def search_body(engine: Any, args: argparse.Namespace) -> dict[str, Any]:
    """The body the options and the BODY argument make together; an option that would override
    what BODY says is a usage error rather than a silent choice."""
    body = read_json_object(args.body, "search body") if args.body is not None else {}
    if args.query is not None:
        if "query" in body or "retriever" in body or "knn" in body:
            raise UsageError("-q/--query cannot be combined with a BODY that has [query], [knn] or [retriever]")
        body["query"] = quick_query(engine, args.index, args.query, args.field or [])
    elif args.field:
        raise UsageError("--field goes with -q/--query")
    for option, key in (("size", "size"), ("from_", "from")):
        value = getattr(args, option, None)
        if value is None:
            continue
        if key in body:
            raise UsageError(f"--{key} cannot be combined with a BODY that has [{key}]")
        body[key] = value
    return body
