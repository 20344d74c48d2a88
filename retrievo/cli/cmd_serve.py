"""``retrievo serve``: the Elasticsearch REST API over HTTP, on the data directory.

Binds loopback (127.0.0.1:9200) unless told otherwise, prints ``retrievo listening on URL`` on stdout
once it accepts connections, and serves until SIGINT or SIGTERM; then it lets in-flight requests
finish and flushes every index to the data directory. ``--api-key`` / ``--user`` switch on
Elasticsearch-style authentication; binding an address other than loopback without them is refused
unless ``--insecure`` says so. Only the standard library is imported until :func:`run`.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from retrievo.cli.data import DATA_ENV, DEFAULT_DATA, default_data_dir
from retrievo.cli.usage import EXIT_API_ERROR, EXIT_OK, UsageError

if TYPE_CHECKING:
    from retrievo.server.metarank_config import MetarankConfig
    from retrievo.server.settings import ServerSettings

SERVE_EPILOG = """\
Settings are Elasticsearch's: --config reads an elasticsearch.yml-style file (or JSON), -E sets one
(http.max_content_length, http.compression, http.compression_level, http.host, http.port, path.data,
thread_pool.search.size); --host/--port/--data win over both. Other settings are ignored (and listed).
retrievo.rerank.inference_id=ID names the rerank endpoint of TEI's POST /rerank and of Cohere's
/v1/rerank without a model (default .rerank-v1-elasticsearch).
--config may also be a Metarank configuration: each entry of its inference: section becomes an inference
endpoint of that name, served at POST /inference/cross/NAME or /inference/encoder/NAME as Metarank
serves it (models load at start); api.host/api.port are honoured, other sections are ignored (and listed).
With --api-key KEY clients send 'Authorization: ApiKey KEY' (Elasticsearch(url, api_key=KEY));
with --user NAME:PASSWORD they send Basic auth (curl -u NAME:PASSWORD).

examples:
  retrievo serve
  retrievo serve --port 0 --data /tmp/corpus
  retrievo serve --api-key "$(openssl rand -hex 24)"
  retrievo serve --host 0.0.0.0 --user elastic:changeme -E http.max_content_length=10mb
  retrievo serve --config metarank.yml
  curl -s localhost:9200/books/_search -H 'content-type: application/json' -d '{"query": {"match_all": {}}}'"""


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"[{text}] is not an integer") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"[{text}] is not a port (0-65535; 0 picks a free one)")
    return value


def add_parser(commands: Any) -> None:
    """The ``serve`` subcommand's options; ``commands``: the ``add_subparsers()`` of
    :func:`retrievo.cli.parser.build_parser`."""
    serve = commands.add_parser(
        "serve",
        help="serve the Elasticsearch REST API over HTTP",
        description="Serve the indices of the data directory over HTTP, as an Elasticsearch node would.",
        epilog=SERVE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    serve.add_argument("--host", metavar="HOST", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, metavar="PORT", help="port (default 9200; 0 picks a free one)")
    serve.add_argument(
        "--data", metavar="DIR", help=f"data directory (default: ${DATA_ENV} or {DEFAULT_DATA}, or path.data)"
    )
    serve.add_argument(
        "--no-persist", action="store_true", help="serve from memory only; no data directory is read or written"
    )
    serve.add_argument(
        "--config", metavar="FILE", help="settings file (elasticsearch.yml style, JSON, or a Metarank config)"
    )
    serve.add_argument(
        "-E", dest="settings", action="append", metavar="KEY=VALUE", help="one setting (repeatable), over --config"
    )
    serve.add_argument(
        "--api-key", action="append", metavar="KEY", help="accept 'Authorization: ApiKey KEY' (repeatable)"
    )
    serve.add_argument(
        "--user", action="append", metavar="NAME:PASSWORD", help="accept Basic auth for this user (repeatable)"
    )
    serve.add_argument(
        "--insecure",
        action="store_true",
        help="allow a non-loopback --host without --api-key/--user (anyone who can reach it can read and write)",
    )


def _settings(args: argparse.Namespace) -> tuple[ServerSettings, MetarankConfig | None]:
    from retrievo.server.settings import ServerSettings, SettingsError, load_server_config, parse_assignment

    metarank = None
    try:
        settings = ServerSettings()
        if args.config:
            values, metarank = load_server_config(args.config)
            settings = settings.with_values(values)
        if args.settings:
            settings = settings.with_values(dict(parse_assignment(s) for s in args.settings))
        overrides = {}
        if args.host is not None:
            overrides["http.host"] = args.host
        if args.port is not None:
            overrides["http.port"] = str(args.port)
        if args.data is not None:
            overrides["path.data"] = args.data
        settings = settings.with_values(overrides)
    except SettingsError as e:
        raise UsageError(str(e)) from None
    if settings.data is None:
        settings = settings.with_values({"path.data": default_data_dir()})
    return settings, metarank


def _indices(count: int) -> str:
    return f"{count} index" if count == 1 else f"{count} indices"


def _serve_metarank(catalog: Any, metarank: MetarankConfig) -> bool:
    """Create the endpoints of a Metarank configuration and load their models (as Metarank loads them
    at start); ``False`` (after saying why) when one cannot be served."""
    from retrievo.server.metarank_config import MetarankConfigError, register_metarank

    try:
        lines = register_metarank(catalog, metarank)
    except MetarankConfigError as e:
        print(f"retrievo serve: error: {e}", file=sys.stderr)
        return False
    for line in lines or ["no inference models in the Metarank configuration"]:
        print(f"retrievo serve: Metarank inference: {line}", file=sys.stderr)
    return True


def run(args: argparse.Namespace) -> int:
    from retrievo.server.auth import Credentials
    from retrievo.server.runner import BindError, bind, is_loopback, serve

    settings, metarank = _settings(args)
    try:
        credentials = Credentials.from_options(args.api_key, args.user)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if not credentials.enabled and not args.insecure and not is_loopback(settings.host):
        raise UsageError(
            f"refusing to serve on [{settings.host}] without authentication: anyone who can reach it could read "
            "and change every index. Give --api-key KEY or --user NAME:PASSWORD, or --insecure to do it anyway"
        )
    if settings.ignored:
        print(
            f"retrievo serve: ignoring settings retrievo does not use: {', '.join(settings.ignored)}", file=sys.stderr
        )
    if metarank is not None and metarank.ignored:
        print(
            "retrievo serve: ignoring parts of the Metarank configuration retrievo does not serve "
            f"(it serves Metarank's inference API only): {', '.join(metarank.ignored)}",
            file=sys.stderr,
        )
    try:
        sock = bind(settings.host, settings.port)
    except BindError as e:
        print(f"retrievo serve: error: {e}", file=sys.stderr)
        return EXIT_API_ERROR

    from retrievo.api.router import Router
    from retrievo.catalog import Catalog

    catalog = Catalog()
    data = None if args.no_persist else settings.data
    if settings.rerank_inference_id is not None:
        catalog.default_rerank_id = settings.rerank_inference_id
    try:
        if data is not None:
            catalog.attach(data)
        if metarank is not None and not _serve_metarank(catalog, metarank):
            sock.close()
            return EXIT_API_ERROR
    except BaseException:
        sock.close()
        raise
    where = f"data directory {data} ({_indices(len(catalog.shards))})" if data is not None else "memory only"
    auth = " and ".join(what for what, on in (("API key", credentials.api_keys), ("Basic", credentials.users)) if on)
    print(f"retrievo serve: {where}; authentication: {auth or 'none'}", file=sys.stderr)

    def ready(url: str) -> None:
        print(f"retrievo listening on {url}", flush=True)

    serve(Router(catalog), settings, credentials, on_ready=ready, sock=sock)
    names = list(catalog.shards)
    if data is not None:
        catalog.flush(names)
        print(f"retrievo serve: stopped; {_indices(len(names))} flushed to {data}", file=sys.stderr)
    else:
        print("retrievo serve: stopped", file=sys.stderr)
    return EXIT_OK
