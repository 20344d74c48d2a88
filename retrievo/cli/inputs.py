"""Reading JSON given on the command line: inline text, ``@file.json`` or ``-`` for stdin.

A body that is not valid JSON is what Elasticsearch answers with ``x_content_parse_exception``
(HTTP 400) and a ``[line:column]`` position, so it is reported the same way, naming where the text
came from. A file that cannot be read is a usage error instead: nothing was sent anywhere.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from retrievo.cli.usage import UsageError
from retrievo.errors import bad_request


def read_text_file(path: str | Path) -> str:
    """The UTF-8 text of ``path``, or a usage error that names the file and the reason."""
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"cannot read [{path}]: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"cannot read [{path}]: it is a directory") from None
    except UnicodeDecodeError as e:
        raise UsageError(f"cannot read [{path}]: not UTF-8 text (byte {e.start})") from None
    except OSError as e:
        raise UsageError(f"cannot read [{path}]: {e.strerror or e}") from None


def parse_json_text(text: str, source: str) -> Any:
    """``text`` parsed as JSON; malformed text is an ``x_content_parse_exception`` naming
    ``source`` (a file name, ``stdin`` or ``argument``) and the line and column."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise bad_request(
            "x_content_parse_exception", f"[{e.lineno}:{e.colno}] Malformed JSON in {source}: {e.msg}"
        ) from None


def read_json_argument(value: str, what: str) -> tuple[Any, str]:
    """The JSON value of a command-line argument and a description of its source.

    ``@path`` reads a file, ``-`` reads stdin, anything else is the JSON itself."""
    if value == "-":
        return parse_json_text(sys.stdin.read(), f"{what} from stdin"), "stdin"
    if value.startswith("@"):
        path = value[1:]
        if not path:
            raise UsageError(f"{what}: '@' must be followed by a file name")
        return parse_json_text(read_text_file(path), f"[{path}]"), path
    if not value.lstrip().startswith(("{", "[")) and Path(value).is_file():
        raise UsageError(f"{what}: [{value}] is a file; write @{value} to read it")
    return parse_json_text(value, f"the {what} argument"), "argument"


def read_json_object(value: str, what: str) -> dict[str, Any]:
    """Like :func:`read_json_argument`, but the value must be a JSON object."""
    parsed, source = read_json_argument(value, what)
    if not isinstance(parsed, dict):
        raise bad_request(
            "parsing_exception", f"the {what} ({source}) must be a JSON object, found [{type(parsed).__name__}]"
        )
    return parsed


def read_json_option(value: str, what: str) -> Any:
    """The JSON an option names: a file path (``@path`` works too), ``-`` for stdin, or the JSON
    itself when the text starts with ``{`` or ``[``."""
    if value == "-" or value.startswith("@") or value.lstrip().startswith(("{", "[")):
        return read_json_argument(value, what)[0]
    return parse_json_text(read_text_file(value), f"[{value}]")
