"""``retrievo eval COLLECTION_DIR``: score a search template on a test collection.

The collection's corpus is indexed once into the data directory and reused by later runs (so a
template can be tuned without re-indexing; ``--reindex`` rebuilds it), or only in memory with
``--no-persist``. The template runs for every judged query through ``_rank_eval``
(:func:`retrievo.evaluation.run_template`), and the response is printed as a table or, with
``--json``, as it is. Queries that failed are reported and make the exit status 1, since the mean
leaves them out.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from retrievo.cli.inputs import read_json_option
from retrievo.cli.tables import cell, render
from retrievo.cli.usage import EXIT_API_ERROR, EXIT_OK, UsageError
from retrievo.errors import bad_request

#: ``NAME@K`` shorthands and the ``_rank_eval`` metric object each stands for.
_SHORTHANDS: dict[str, tuple[str, dict[str, Any]]] = {
    "ndcg": ("dcg", {"normalize": True}),
    "dcg": ("dcg", {}),
    "precision": ("precision", {}),
    "p": ("precision", {}),
    "recall": ("recall", {}),
    "r": ("recall", {}),
    "mrr": ("mean_reciprocal_rank", {}),
}
_SHORTHAND = re.compile(r"^([a-z]+)(?:@(\d+))?$")

SHOWN_FAILURES = 5


def metric_object(text: str) -> dict[str, Any]:
    """The ``_rank_eval`` metric object ``--metric`` names: ``ndcg@10`` style, or JSON."""
    stripped = text.strip()
    if stripped.startswith(("{", "@")) or stripped == "-":
        value = read_json_option(stripped, "--metric")
        if not isinstance(value, dict):
            raise bad_request("parsing_exception", f"--metric must be a JSON object, found [{type(value).__name__}]")
        return value
    match = _SHORTHAND.match(stripped.lower())
    if match is None or match.group(1) not in _SHORTHANDS:
        raise UsageError(
            f"unknown metric [{text}]: expected {', '.join(n + '@K' for n in _SHORTHANDS)} or a "
            f"_rank_eval metric object as JSON (expected_reciprocal_rank needs "
            f"maximum_relevance: give it as JSON)"
        )
    name, params = _SHORTHANDS[match.group(1)]
    body = dict(params)
    if match.group(2) is not None:
        body["k"] = int(match.group(2))
    return {name: body}


def default_index_name(collection_dir: str) -> str:
    """An index name from the collection directory's name (lowercased, characters Elasticsearch
    refuses in index names replaced by ``-``)."""
    name = Path(collection_dir).resolve().name.lower()
    name = re.sub(r"[^a-z0-9_.-]+", "-", name).lstrip("-_+.")
    return name or "collection"


def _load(args: argparse.Namespace) -> Any:
    from retrievo.evaluation import CollectionFormatError, load_collection

    try:
        return load_collection(args.collection, format=args.format)
    except CollectionFormatError as e:
        raise UsageError(f"cannot read the collection: {e}") from None


def _engine(args: argparse.Namespace) -> Any:
    from retrievo.client import Engine

    return Engine() if args.no_persist else Engine(path=args.data)


def _prepare_index(engine: Any, index: str, collection: Any, args: argparse.Namespace) -> None:
    """Index the corpus unless the index is there already (then reuse it, saying so)."""
    mappings = read_json_option(args.mapping, "--mapping") if args.mapping is not None else None
    if engine.indices.exists(index=index):
        if not args.reindex:
            if mappings is not None:
                raise UsageError(f"index [{index}] already exists; add --reindex to rebuild it with --mapping")
            count = engine.count(index=index)["count"]
            note = "" if count == len(collection.corpus) else "; --reindex to rebuild it"
            print(
                f"using the existing index [{index}] ({count} documents, the corpus has "
                f"{len(collection.corpus)}){note}",
                file=sys.stderr,
            )
            return
        engine.indices.delete(index=index)
    count = collection.index_into(engine, index, mappings=mappings)
    print(f"indexed {count} documents into [{index}]", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from retrievo.evaluation import BM25_TEMPLATE, run_template
    from retrievo.evaluation.runner import template_source

    metric = metric_object(args.metric)
    template = read_json_option(args.template, "--template") if args.template is not None else BM25_TEMPLATE
    template_source(template)  # the placeholder is checked before any indexing
    if args.no_persist and args.reindex:
        raise UsageError("--reindex goes with a persisted index, not --no-persist")
    query_ids = [q for value in args.queries for q in value.split(",") if q] if args.queries else None
    collection = _load(args)
    index = args.index or default_index_name(args.collection)
    engine = _engine(args)
    _prepare_index(engine, index, collection, args)
    response = run_template(
        engine, index=index, template=template, collection=collection, metric=metric, query_ids=query_ids
    )
    if args.json:
        print(json.dumps(response, indent=2, ensure_ascii=False))
    else:
        print(metrics_table(response, collection.queries, metric, per_query=args.per_query))
    return _report_failures(response)


def metrics_table(response: dict[str, Any], queries: dict[str, str], metric: dict[str, Any], *, per_query: bool) -> str:
    """The mean (and with ``per_query`` a row per query: score, unrated hits, query text)."""
    name = next(iter(metric))
    label = _metric_label(metric)
    details: dict[str, Any] = response.get("details", {})
    lines = []
    if per_query:
        rows = [
            [
                cell(qid, 30),
                f"{d['metric_score']:.4f}",
                str(len(d.get("unrated_docs", []))),
                cell(queries.get(qid, ""), 60),
            ]
            for qid, d in details.items()
        ]
        lines.append(render(["query", label, "unrated", "text"], rows, right=[False, True, True]))
        lines.append("")
    failed = len(response.get("failures", {}))
    lines.append(
        f"{label} ({name}): {response['metric_score']:.4f}  mean over {len(details)} queries"
        + (f", {failed} failed" if failed else "")
    )
    return "\n".join(lines)


def _metric_label(metric: dict[str, Any]) -> str:
    name, params = next(iter(metric.items()))
    params = params if isinstance(params, dict) else {}
    short = {
        "dcg": "ndcg" if params.get("normalize") else "dcg",
        "mean_reciprocal_rank": "mrr",
        "expected_reciprocal_rank": "err",
    }.get(name, name)
    return f"{short}@{params.get('k', 10)}"


def _report_failures(response: dict[str, Any]) -> int:
    failures: dict[str, Any] = response.get("failures", {})
    if not failures:
        return EXIT_OK
    print(f"{len(failures)} query(ies) failed; the first {min(len(failures), SHOWN_FAILURES)}:", file=sys.stderr)
    for qid, failure in list(failures.items())[:SHOWN_FAILURES]:
        error = failure.get("error", {})
        print(f"  {qid}: {error.get('type')}: {error.get('reason')}", file=sys.stderr)
    return EXIT_API_ERROR
