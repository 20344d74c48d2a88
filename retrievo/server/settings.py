"""The server's settings, named and parsed as Elasticsearch names and parses them.

They come from ``--config FILE`` (an ``elasticsearch.yml``-style file: ``key: value`` lines, nested
keys by indentation, or a JSON object; or a Metarank configuration, see
:mod:`retrievo.server.metarank_config`), then ``-E key=value`` options, then the dedicated command-line
options (``--host``, ``--port``, ``--data``), each overriding the one before. Settings retrievo does not
use (``cluster.name``, ``xpack.*`` …) are reported and ignored, so an existing ``elasticsearch.yml``
can be pointed at as it is; a setting retrievo reads with a value Elasticsearch would refuse is an error.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from retrievo.server.metarank_config import MetarankConfig

#: http.max_content_length's bounds in Elasticsearch: 0 .. Integer.MAX_VALUE bytes.
MAX_CONTENT_LENGTH_LIMIT = 2**31 - 1

_BYTE_UNITS = (
    ("pb", 1024**5),
    ("tb", 1024**4),
    ("gb", 1024**3),
    ("mb", 1024**2),
    ("kb", 1024),
    ("p", 1024**5),
    ("t", 1024**4),
    ("g", 1024**3),
    ("m", 1024**2),
    ("k", 1024),
    ("b", 1),
)


class SettingsError(ValueError):
    """A setting Elasticsearch would refuse (the message names it and the value)."""


def parse_byte_size(value: str, setting: str) -> int:
    """A size in bytes as Elasticsearch's ``ByteSizeValue`` reads it: ``100mb``, ``1.5kb``, ``512b``,
    ``0`` or ``-1``; a bare number other than those is refused (the unit is mandatory)."""
    text = str(value).strip().lower()
    if text in ("0", "-1"):
        return int(text)
    for suffix, factor in _BYTE_UNITS:
        if text.endswith(suffix):
            number = text[: -len(suffix)].strip()
            try:
                amount = float(number) if "." in number else int(number)
            except ValueError:
                raise SettingsError(f"failed to parse setting [{setting}] with value [{value}]") from None
            return int(amount * factor)
    raise SettingsError(
        f"failed to parse setting [{setting}] with value [{value}] as a size in bytes: unit is missing or unrecognized"
    )


def parse_boolean(value: str, setting: str) -> bool:
    """``true``/``false`` only, as Elasticsearch's ``Booleans.parseBoolean``."""
    text = str(value).strip()
    if text in ("true", "false"):
        return text == "true"
    raise SettingsError(f"Failed to parse value [{value}] as only [true] or [false] are allowed. (setting [{setting}])")


def parse_int(value: str, setting: str, minimum: int, maximum: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise SettingsError(f"Failed to parse value [{value}] for setting [{setting}]") from None
    if number < minimum:
        raise SettingsError(f"Failed to parse value [{value}] for setting [{setting}] must be >= {minimum}")
    if number > maximum:
        raise SettingsError(f"Failed to parse value [{value}] for setting [{setting}] must be <= {maximum}")
    return number


def default_threads() -> int:
    """Elasticsearch's search pool size, ``cpus * 3 / 2 + 1``, and at least 4."""
    return max(4, (os.cpu_count() or 1) * 3 // 2 + 1)


@dataclass(frozen=True)
class ServerSettings:
    """What the HTTP transport needs to know; every field is an Elasticsearch setting."""

    #: ``http.host``: the address to bind (loopback unless told otherwise).
    host: str = "127.0.0.1"
    #: ``http.port``: 0 picks a free port.
    port: int = 9200
    #: ``path.data``: the data directory, or ``None`` to keep everything in memory.
    data: str | None = None
    #: ``http.max_content_length``: larger request bodies are answered 413.
    max_content_length: int = 100 * 1024 * 1024
    #: ``http.compression``: gzip/deflate responses for clients that send ``Accept-Encoding``.
    compression: bool = True
    #: ``http.compression_level``: 1 (fastest) .. 9 (smallest).
    compression_level: int = 3
    #: ``thread_pool.search.size``: handlers running at once (searches, writes, ES|QL alike).
    threads: int = field(default_factory=default_threads)
    #: ``retrievo.rerank.inference_id`` (retrievo's own): the rerank endpoint of requests that name
    #: none -- TEI's ``POST /rerank``, Cohere's ``/v1/rerank`` without ``model``. ``None``: Elasticsearch's
    #: default reranker id, ``.rerank-v1-elasticsearch``.
    rerank_inference_id: str | None = None
    #: Settings that were given but retrievo does not use.
    ignored: tuple[str, ...] = ()

    def with_values(self, values: Mapping[str, str]) -> ServerSettings:
        """These settings updated from flat ``key -> text`` values (``http.max_content_length: 1kb``)."""
        changes: dict[str, Any] = {}
        ignored = list(self.ignored)
        for key, raw in values.items():
            if key == "http.host" or key == "network.host":
                changes["host"] = str(raw).strip()
            elif key == "http.port":
                changes["port"] = parse_int(raw, key, 0, 65535)
            elif key == "path.data":
                changes["data"] = str(raw).strip()
            elif key == "http.max_content_length":
                size = parse_byte_size(raw, key)
                if size < 0:
                    raise SettingsError(f"failed to parse value [{raw}] for setting [{key}], must be >= [0b]")
                if size > MAX_CONTENT_LENGTH_LIMIT:
                    raise SettingsError(
                        f"failed to parse value [{raw}] for setting [{key}], must be <= [{MAX_CONTENT_LENGTH_LIMIT}b]"
                    )
                changes["max_content_length"] = size
            elif key == "http.compression":
                changes["compression"] = parse_boolean(raw, key)
            elif key == "http.compression_level":
                changes["compression_level"] = parse_int(raw, key, 1, 9)
            elif key == "thread_pool.search.size":
                changes["threads"] = parse_int(raw, key, 1, 4096)
            elif key == "retrievo.rerank.inference_id":
                value = str(raw).strip()
                if not value:
                    raise SettingsError(f"setting [{key}] must name an inference endpoint")
                changes["rerank_inference_id"] = value
            elif key not in ignored:
                ignored.append(key)
        return replace(self, ignored=tuple(ignored), **changes)


def parse_assignment(text: str) -> tuple[str, str]:
    """``-E key=value`` as ``(key, value)``."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise SettingsError(f"setting [{text}] must be in the form key=value")
    return key.strip(), value


def _flatten(value: Any, prefix: str, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(v, f"{prefix}{k}.", out)
    elif isinstance(value, list):
        out[prefix[:-1]] = ",".join(str(v) for v in value)
    elif isinstance(value, bool):
        out[prefix[:-1]] = "true" if value else "false"
    else:
        out[prefix[:-1]] = "" if value is None else str(value)


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return re.sub(r"\s+#.*$", "", text).strip()


def parse_config_text(text: str, source: str = "config") -> dict[str, str]:
    """Flat ``key -> value`` settings from ``elasticsearch.yml``-style text or a JSON object.

    The YAML read is the subset such files use: ``a.b: value`` lines, keys nested by indentation,
    ``#`` comments, quoted scalars and flow lists (``[a, b]``) kept as text.
    """
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise SettingsError(f"{source}: not valid JSON: {e}") from None
        out: dict[str, str] = {}
        _flatten(data, "", out)
        return out
    values: dict[str, str] = {}
    stack: list[tuple[int, str]] = []  # (indent, key prefix) of the open parent keys
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped == "---":
            continue
        indent = len(line) - len(line.lstrip(" "))
        key, sep, value = stripped.partition(":")
        if not sep or not key.strip() or stripped.startswith("- "):
            raise SettingsError(f"{source}:{number}: expected 'key: value', got [{stripped}]")
        while stack and stack[-1][0] >= indent:
            stack.pop()
        name = (stack[-1][1] if stack else "") + _unquote(key.strip())
        value = value.strip()
        if not value or value.startswith("#"):
            stack.append((indent, name + "."))
        else:
            values[name] = _unquote(value)
    return values


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise SettingsError(f"cannot read config file [{path}]: {e.strerror or e}") from None


def load_config(path: str) -> dict[str, str]:
    """The settings in the file at ``path`` (see :func:`parse_config_text`)."""
    return parse_config_text(_read(path), path)


def load_server_config(path: str) -> tuple[dict[str, str], MetarankConfig | None]:
    """The settings in the file at ``path`` and, when it is a Metarank configuration (its top level
    names a Metarank section: ``inference``, ``api``, ``features`` ...), what retrievo serves of it
    (:mod:`retrievo.server.metarank_config`); its ``api.host``/``api.port`` are the settings then."""
    from retrievo.server.metarank_config import MetarankConfigError, read_metarank_config

    text = _read(path)
    try:
        metarank = read_metarank_config(text, path)
    except MetarankConfigError as e:
        raise SettingsError(str(e)) from None
    if metarank is not None:
        return dict(metarank.settings), metarank
    return parse_config_text(text, path), None
