"""The ``retrievo`` command line: ``index``, ``search``, ``explain``, ``eval`` and ``serve``.

:func:`main` is the console script's entry point (``python -m retrievo`` runs it too). It turns
every failure into a short message and an exit status instead of a traceback: 0 ok, 1 an error the
engine answered (its Elasticsearch body printed as JSON on stderr), 2 a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from retrievo.cli.usage import EXIT_API_ERROR, EXIT_USAGE, UsageError

__all__ = ["main"]


def _explain_switches(command: str | None, extras: list[str]) -> tuple[list[str], list[str]]:
    """``--no-RULE`` options of ``explain`` (one per rule, so they are not declared to argparse)
    as rule names, and the arguments that are still unrecognised."""
    if command != "explain":
        return [], extras
    rules = [a[len("--no-") :] for a in extras if a.startswith("--no-") and len(a) > len("--no-")]
    rest = [a for a in extras if not (a.startswith("--no-") and len(a) > len("--no-"))]
    return rules, rest


def _print_api_error(error: BaseException) -> None:
    body = getattr(error, "body", None)
    if not isinstance(body, dict):
        body = {"error": {"type": type(error).__name__, "reason": str(error)}, "status": 500}
    print(json.dumps(body, ensure_ascii=False, separators=(",", ":")), file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    from retrievo.cli.parser import build_parser

    parser = build_parser()
    args, extras = parser.parse_known_args(list(sys.argv[1:] if argv is None else argv))
    no_rules, extras = _explain_switches(args.command, extras)
    if extras:
        parser.error(f"unrecognized arguments: {' '.join(extras)}")
    if no_rules:
        args.disable = (args.disable or []) + no_rules
    try:
        return _dispatch(args)
    except UsageError as e:
        print(f"retrievo {args.command}: error: {e.message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"retrievo {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `retrievo search ... | head`
        sys.stderr.close()
        return 0
    except Exception as e:  # noqa: BLE001 - the command line never shows a traceback
        from retrievo.errors import ApiError

        if isinstance(e, ApiError):
            _print_api_error(e)
            return EXIT_API_ERROR
        body = {"error": {"type": "internal_error", "reason": f"{type(e).__name__}: {e}"}, "status": 500}
        print(json.dumps(body, ensure_ascii=False, separators=(",", ":")), file=sys.stderr)
        return EXIT_API_ERROR


def _dispatch(args: argparse.Namespace) -> int:
    command = args.command
    if command == "index":
        from retrievo.cli import cmd_index

        return cmd_index.run(args)
    if command == "search":
        from retrievo.cli import cmd_search

        return cmd_search.run(args)
    if command == "explain":
        from retrievo.cli import cmd_explain

        return cmd_explain.run(args)
    if command == "serve":
        from retrievo.cli import cmd_serve

        return cmd_serve.run(args)
    from retrievo.cli import cmd_eval

    return cmd_eval.run(args)
