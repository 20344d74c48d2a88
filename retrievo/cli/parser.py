"""The ``argparse`` definition of every command, with examples in each ``--help``.

Only the standard library is imported here, so ``retrievo --help`` and usage errors do not load
the engine's own modules beyond what ``import retrievo`` already does.
"""

from __future__ import annotations

import argparse

from retrievo.cli.data import DATA_ENV, DEFAULT_DATA, default_data_dir

_FORMATTER = argparse.RawDescriptionHelpFormatter

MAIN_DESCRIPTION = """\
retrievo: Elasticsearch retriever trees, run locally.

Indexes live in a data directory (--data DIR, default $RETRIEVO_DATA or ./retrievo-data).
Exit status: 0 ok, 1 an error from the engine (Elasticsearch-shaped JSON on stderr),
2 a usage error (bad option, unreadable file)."""

MAIN_EPILOG = """\
examples:
  retrievo index books --mapping mapping.json books.jsonl
  retrievo search books -q "left hand of darkness"
  retrievo search books @query.json --json
  retrievo search --esql 'FROM books METADATA _score | WHERE MATCH(title, "darkness") | SORT _score DESC | LIMIT 5'
  retrievo explain books @query.json --disable prune_windows
  retrievo eval ./scifact --template template.json --metric ndcg@10
  retrievo serve --port 9200

run 'retrievo COMMAND --help' for each command's options."""

INDEX_EPILOG = """\
The index is created when missing (with --mapping, else with dynamic mappings); --mapping on an
existing index is an error (resource_already_exists_exception). Documents that fail are counted
and the first few shown with file:line; any failure makes the exit status 1.
CSV/TSV: the first row names the fields; every cell is a string (an integer field coerces "3");
an empty cell leaves the field out.

examples:
  retrievo index books books.jsonl
  retrievo index books --mapping mapping.json --id-field isbn books.csv more.csv
  retrievo index books --mapping '{"properties": {"title": {"type": "text"}}}' books.jsonl
  cat docs.ndjson | retrievo index docs -
  retrievo --data /tmp/corpus index beir --id-field _id corpus.jsonl"""

SEARCH_EPILOG = """\
BODY is a search request body: inline JSON, @file.json, or - for stdin. Without BODY or -q,
every document matches (match_all).

examples:
  retrievo search books -q darkness
  retrievo search books -q "winter planet" --field title --field summary --size 5
  retrievo search books '{"query": {"term": {"genre": "scifi"}}}' --show title,year
  retrievo search books @rrf.json --json
  echo '{"retriever": {"standard": {"query": {"match_all": {}}}}}' | retrievo search books -
  retrievo search --esql 'FROM books METADATA _score | WHERE MATCH(title, "darkness") | SORT _score DESC | LIMIT 3'"""

EXPLAIN_EPILOG = """\
Prints the logical and physical plan with cost estimates; nothing is executed.
Rules are switched off by name with --disable RULE (repeatable, or comma-separated) or
--no-RULE; --unoptimized switches every rule off, and --enable RULE turns one back on.

examples:
  retrievo explain books @rrf.json
  retrievo explain books @rrf.json --disable push_down_filters,prune_windows
  retrievo explain books -q darkness --no-unwrap-single-clause
  retrievo explain books @rrf.json --unoptimized --enable share_filter_bitsets
  retrievo explain --esql 'FROM books METADATA _score | WHERE MATCH(title, "dark") | SORT _score DESC | LIMIT 3'
  retrievo explain books @rrf.json --json
  retrievo explain --list-rules"""

EVAL_EPILOG = """\
COLLECTION_DIR is a BEIR collection (corpus.jsonl, queries.jsonl, qrels/test.tsv or qrels.tsv)
or a TREC one (corpus JSONL, topics, qrels.txt). Its corpus is indexed into --index in the data
directory (the next run reuses it; --reindex rebuilds it), or only in memory with --no-persist.
Every judged query is then run through --template, a search body in which "{{query_string}}"
stands for the query text, and scored with --metric (Elasticsearch's _rank_eval).

--metric: ndcg@K, dcg@K, precision@K (p@K), recall@K (r@K), mrr@K, or a _rank_eval metric
object as JSON ('{"dcg": {"k": 10, "normalize": true}}'), or @file.json.

examples:
  retrievo eval ./scifact --template template.json --metric ndcg@10
  retrievo eval ./scifact --template template.json --metric ndcg@10 --per-query --queries 1,3,5
  retrievo eval ./scifact --template '{"query": {"match": {"text": "{{query_string}}"}}}' --metric recall@100 --per-query
  retrievo eval ./scifact --template @rrf.json --metric '{"precision": {"k": 5}}' --json --no-persist"""  # noqa: E501 - examples stay whole


def _data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        metavar="DIR",
        default=default_data_dir(),
        help=f"data directory (default: ${DATA_ENV} or {DEFAULT_DATA})",
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"[{text}] is not an integer") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"[{text}] must not be negative")
    return value


def _body_options(parser: argparse.ArgumentParser, with_paging: bool) -> None:
    parser.add_argument("index", nargs="?", metavar="NAME", help="the index to search")
    parser.add_argument(
        "body", nargs="?", metavar="BODY", help="search request body: inline JSON, @file.json, or - for stdin"
    )
    parser.add_argument("--esql", metavar="QUERY", help="an ES|QL query instead of NAME and BODY")
    parser.add_argument(
        "-q",
        "--query",
        metavar="TEXT",
        help="search TEXT: a match on --field, else a multi_match over every text field",
    )
    parser.add_argument("--field", action="append", metavar="FIELD", help="field(s) -q searches (repeatable)")
    if with_paging:
        parser.add_argument("--size", type=_positive_int, metavar="N", help="number of hits (default 10)")
        parser.add_argument("--from", dest="from_", type=_positive_int, metavar="N", help="offset of the first hit")
    parser.add_argument("--json", action="store_true", help="print the raw JSON response")


def build_parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="retrievo",
        description=MAIN_DESCRIPTION,
        epilog=MAIN_EPILOG,
        formatter_class=_FORMATTER,
        allow_abbrev=False,
    )
    from retrievo import __version__

    main.add_argument("--version", action="version", version=f"retrievo {__version__}")
    commands = main.add_subparsers(dest="command", metavar="COMMAND", required=True)

    index = commands.add_parser(
        "index",
        help="create an index and load JSONL/CSV documents",
        description="Create an index (if missing) and load documents into it.",
        epilog=INDEX_EPILOG,
        formatter_class=_FORMATTER,
        allow_abbrev=False,
    )
    index.add_argument("name", metavar="NAME", help="the index")
    index.add_argument("files", nargs="+", metavar="FILE", help="JSONL, CSV, TSV or JSON files (- for stdin)")
    index.add_argument(
        "--mapping",
        metavar="FILE",
        help='mappings ({"properties": ...}) or a create-index body ({"mappings": ..., '
        '"settings": ...}): a file, @file, - or inline JSON (default: dynamic mappings)',
    )
    index.add_argument(
        "--format", choices=("jsonl", "csv", "tsv", "json"), help="input format (default: from each file's extension)"
    )
    index.add_argument(
        "--id-field", metavar="FIELD", help="take each document's _id from FIELD (default: generated ids)"
    )
    index.add_argument(
        "--batch-size", type=int, default=500, metavar="N", help="documents per _bulk call (default 500)"
    )
    index.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: when stderr is a terminal)",
    )
    _data_option(index)

    search = commands.add_parser(
        "search",
        help="run a search (JSON body, -q TEXT or --esql)",
        description="Run a search and print the hits.",
        epilog=SEARCH_EPILOG,
        formatter_class=_FORMATTER,
        allow_abbrev=False,
    )
    _body_options(search, with_paging=True)
    search.add_argument(
        "--show",
        action="append",
        metavar="FIELD",
        help="field(s) to show a snippet of (repeatable or comma-separated; default: the first text field)",
    )
    _data_option(search)

    explain = commands.add_parser(
        "explain",
        help="print the plan a search would run",
        description="Print the plan a search would run (nothing is executed).",
        epilog=EXPLAIN_EPILOG,
        formatter_class=_FORMATTER,
        allow_abbrev=False,
    )
    _body_options(explain, with_paging=True)
    explain.add_argument(
        "--disable",
        action="append",
        metavar="RULE",
        help="switch a rule off (repeatable or comma-separated; --no-RULE does the same)",
    )
    explain.add_argument("--enable", action="append", metavar="RULE", help="switch a rule on")
    explain.add_argument("--unoptimized", action="store_true", help="start from every rule off")
    explain.add_argument("--list-rules", action="store_true", help="list the rule names and exit")
    _data_option(explain)

    evaluate = commands.add_parser(
        "eval",
        help="evaluate a search template on a BEIR-style collection",
        description="Index a test collection, run a search template for every "
        "query and score it (Elasticsearch's _rank_eval).",
        epilog=EVAL_EPILOG,
        formatter_class=_FORMATTER,
        allow_abbrev=False,
    )
    evaluate.add_argument("collection", metavar="COLLECTION_DIR", help="the collection directory")
    evaluate.add_argument(
        "--template",
        metavar="FILE",
        help='search body with "{{query_string}}": a file, @file, - or inline JSON '
        "(default: a BM25 multi_match over title and text)",
    )
    evaluate.add_argument(
        "--metric",
        default="ndcg@10",
        metavar="METRIC",
        help="ndcg@10 (default), recall@100, ... or a _rank_eval metric object as JSON",
    )
    evaluate.add_argument(
        "--index",
        metavar="NAME",
        help="index to load the corpus into (default: the collection directory's name, lowercased)",
    )
    evaluate.add_argument(
        "--mapping",
        metavar="FILE",
        help="mappings for a new index: a file, @file or inline JSON (default: title and text as text fields)",
    )
    evaluate.add_argument("--format", choices=("beir", "trec"), help="collection layout (default: detected)")
    evaluate.add_argument(
        "--queries", action="append", metavar="ID", help="evaluate only these query ids (repeatable or comma-separated)"
    )
    evaluate.add_argument(
        "--reindex", action="store_true", help="rebuild the index even when the data directory holds it already"
    )
    evaluate.add_argument("--per-query", action="store_true", help="a row per query, not only the mean")
    evaluate.add_argument(
        "--no-persist", action="store_true", help="index into memory only; the data directory is not touched"
    )
    evaluate.add_argument("--json", action="store_true", help="print the raw _rank_eval response")
    _data_option(evaluate)

    from retrievo.cli import cmd_serve

    cmd_serve.add_parser(commands)
    return main
