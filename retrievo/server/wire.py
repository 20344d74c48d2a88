"""Bytes to :class:`~retrievo.api.types.RestRequest` and :class:`~retrievo.api.types.RestResponse` to bytes.

Everything here is plain functions over the standard library, so the HTTP app stays a thin shell:
the query string decoded as Elasticsearch's ``RestUtils.decodeQueryString`` does, request bodies
decompressed (``Content-Encoding: gzip``/``deflate``), the response's media type negotiated from
``Accept``/``Content-Type`` (``application/json``, or the ``application/vnd.elasticsearch+json;
compatible-with=N`` the client asked for), JSON written compactly or, with ``?pretty``, laid out as
Elasticsearch's pretty printer does, and responses compressed for clients that accept it.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Mapping
from typing import Any

from retrievo import xcontent

JSON = "application/json"
TEXT = "text/plain; charset=UTF-8"

_VENDOR = re.compile(
    r"^\s*application/vnd\.elasticsearch\+(?:json|x-ndjson)\s*;(?:.*;)?\s*compatible-with\s*=\s*\"?(\d+)\"?",
    re.IGNORECASE,
)


class BodyTooLarge(Exception):
    """A request body (as sent, or once decompressed) over ``http.max_content_length``."""


class MalformedRequest(ValueError):
    """A request Elasticsearch's HTTP layer refuses before any handler sees it (bad escape, bad gzip)."""


# ---------------------------------------------------------------------------------------- requests


def _decode_component(text: str) -> str:
    """Percent-decoding as Elasticsearch does it in query strings: ``+`` is a space, ``%%`` a ``%``,
    the bytes are UTF-8; a malformed escape is an error. ``text`` holds one byte per character."""
    if "%" not in text and "+" not in text:
        return text.encode("latin-1").decode("utf-8", errors="replace")
    out = bytearray()
    i, size = 0, len(text)
    while i < size:
        c = text[i]
        if c == "+":
            out += b" "
        elif c == "%":
            if i == size - 1:
                raise MalformedRequest(f"unterminated escape sequence at end of string: {text}")
            i += 1
            if text[i] == "%":
                out += b"%"
                i += 1
                continue
            if i == size - 1:
                raise MalformedRequest(f"partial escape sequence at end of string: {text}")
            pair = text[i : i + 2]
            if not all(h in "0123456789abcdefABCDEF" for h in pair):
                raise MalformedRequest(f"invalid escape sequence `%{pair}' at index {i - 1} of: {text}")
            out.append(int(pair, 16))
            i += 1
        else:
            out.append(ord(c))
        i += 1
    return out.decode("utf-8", errors="replace")


def decode_query_string(query: bytes | str) -> dict[str, str]:
    """The parameters of a query string (``a=1&b&c=x%20y``); ``&`` and ``;`` separate them, a name
    without ``=`` has the value ``""``, and a repeated name keeps its last value."""
    raw = query if isinstance(query, bytes) else query.encode("utf-8")
    text = raw.decode("latin-1").partition("#")[0]
    params: dict[str, str] = {}
    for part in re.split(r"[&;]", text):
        if not part:
            continue
        name, sep, value = part.partition("=")
        if not name:
            continue
        params[_decode_component(name)] = _decode_component(value) if sep else ""
    return params


def decompress(body: bytes, encoding: str, limit: int) -> bytes:
    """``body`` decoded per its ``Content-Encoding`` (gzip, deflate; anything else as is), at most
    ``limit`` bytes of it (:class:`BodyTooLarge` past that)."""
    coding = encoding.strip().lower()
    if coding in ("gzip", "x-gzip"):
        wbits = 16 + zlib.MAX_WBITS
    elif coding in ("deflate", "x-deflate"):
        wbits = zlib.MAX_WBITS if body[:1] == b"\x78" else -zlib.MAX_WBITS  # zlib-wrapped or raw
    else:
        return body
    inflater = zlib.decompressobj(wbits)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as e:
        raise MalformedRequest(f"failed to decompress the request body ({coding}): {e}") from None
    if len(data) > limit:
        raise BodyTooLarge
    if not inflater.eof:
        raise MalformedRequest(f"failed to decompress the request body ({coding}): truncated data")
    return data


# --------------------------------------------------------------------------------------- responses


def vendor_version(media_type: str | None) -> str | None:
    """``N`` of ``application/vnd.elasticsearch+json; compatible-with=N`` (or ``+x-ndjson``), else ``None``."""
    if not media_type:
        return None
    match = _VENDOR.match(media_type)
    return match.group(1) if match else None


#: Request body types the router reads (Elasticsearch also reads smile, cbor and yaml; retrievo does not).
BODY_TYPES = frozenset(
    {
        "application/json",
        "application/x-ndjson",
        "application/vnd.elasticsearch+json",
        "application/vnd.elasticsearch+x-ndjson",
    }
)
#: The ``compatible-with`` versions a 9.x node accepts.
COMPATIBLE_VERSIONS = frozenset({"8", "9"})


def media_type_error(headers: Mapping[str, str], has_body: bool) -> tuple[int, dict[str, Any]] | None:
    """Elasticsearch's ``RestController`` answer to a body it cannot read (406) or a
    ``compatible-with`` version it does not speak (400); ``None`` when the request may go on."""
    content_type = headers.get("content-type")
    if has_body:
        if content_type is None:
            return 406, {"error": "Content-Type header is missing", "status": 406}
        if content_type.split(";")[0].strip().lower() not in BODY_TYPES:
            return 406, {"error": f"Content-Type header [{content_type}] is not supported", "status": 406}
    for name in ("accept", "content-type"):
        version = vendor_version(headers.get(name))
        if version is not None and version not in COMPATIBLE_VERSIONS:
            reason = "Invalid media-type value on headers [Accept, Content-Type]"
            cause = {
                "type": "status_exception",
                "reason": f"Unsupported compatible-with version [{version}] in {name.title()}="
                f"{headers.get(name)}; this node accepts compatible-with {' or '.join(sorted(COMPATIBLE_VERSIONS))}",
            }
            root = {"type": "media_type_header_exception", "reason": reason}
            return 400, {"error": {"root_cause": [root], **root, "caused_by": cause}, "status": 400}
    return None


def json_media_type(headers: Mapping[str, str], has_body: bool) -> str:
    """The media type Elasticsearch answers a JSON body with: the one ``Accept`` names (else, for
    ``*/*`` or no ``Accept``, the request's own content type), keeping the vendor type and its
    ``compatible-with`` version when that is what the client sent."""
    accept = headers.get("accept")
    version = vendor_version(accept)
    if version is None and (not accept or accept.strip().startswith("*/*")) and has_body:
        version = vendor_version(headers.get("content-type"))
    return JSON if version is None else f"application/vnd.elasticsearch+json;compatible-with={version}"


def _pretty(value: Any, indent: str, out: list[str]) -> None:
    """Elasticsearch's (Jackson's) pretty layout: ``"key" : value``, two-space indents, ``[ ]``/``{ }``."""
    if isinstance(value, dict):
        if not value:
            out.append("{ }")
            return
        inner = indent + "  "
        out.append("{\n")
        for n, (k, v) in enumerate(value.items()):
            out.append(f"{inner}{json.dumps(str(k), ensure_ascii=False)} : ")
            _pretty(v, inner, out)
            out.append(",\n" if n < len(value) - 1 else "\n")
        out.append(indent + "}")
    elif isinstance(value, (list, tuple)):
        if not value:
            out.append("[ ]")
            return
        inner = indent + "  "
        out.append("[\n")
        for n, v in enumerate(value):
            out.append(inner)
            _pretty(v, inner, out)
            out.append(",\n" if n < len(value) - 1 else "\n")
        out.append(indent + "]")
    else:
        out.append(json.dumps(value, ensure_ascii=False, default=xcontent.numpy_default))


def dump_json(value: Any, pretty: bool = False) -> bytes:
    """``value`` as UTF-8 JSON: compact, or pretty with a final newline (as ``?pretty`` gives it)."""
    if pretty:
        out: list[str] = []
        _pretty(value, "", out)
        out.append("\n")
        return xcontent.encode("".join(out))
    return xcontent.dumps(value)


def is_pretty(params: Mapping[str, str]) -> bool:
    """``?pretty`` and ``?pretty=true`` (Elasticsearch reads the bare flag as true)."""
    value = params.get("pretty")
    return value is not None and value not in ("false", "0", "off", "no")


def encode_body(
    body: Any, route_headers: Mapping[str, str], request_headers: Mapping[str, str], pretty: bool, has_body: bool
) -> tuple[bytes, str | None]:
    """The response payload and its content type: ``str``/``bytes`` bodies (ES|QL text formats) with
    the route's content type (else ``text/plain``), JSON-shaped bodies negotiated with the client."""
    route_type = next((v for k, v in route_headers.items() if k.lower() == "content-type"), None)
    if body is None:
        return b"", route_type
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body), route_type or TEXT
    if isinstance(body, str):
        return body.encode("utf-8"), route_type or TEXT
    payload = dump_json(body, pretty)
    if route_type is None or route_type.split(";")[0].strip().lower() == JSON:
        return payload, json_media_type(request_headers, has_body)
    return payload, route_type


def _q_values(accept_encoding: str) -> dict[str, float]:
    values: dict[str, float] = {}
    for item in accept_encoding.split(","):
        name, _, params = item.strip().partition(";")
        q = 1.0
        match = re.search(r"q\s*=\s*([0-9.]+)", params)
        if match:
            try:
                q = float(match.group(1))
            except ValueError:
                q = 0.0
        if name:
            values[name.strip().lower()] = q
    return values


def response_coding(accept_encoding: str | None) -> str | None:
    """``gzip`` or ``deflate`` when the client accepts it (gzip first on a tie), else ``None``."""
    if not accept_encoding:
        return None
    q = _q_values(accept_encoding)
    star = q.get("*", 0.0)
    gzip_q, deflate_q = q.get("gzip", star), q.get("deflate", star)
    if gzip_q <= 0 and deflate_q <= 0:
        return None
    return "gzip" if gzip_q >= deflate_q else "deflate"


def compress(payload: bytes, coding: str, level: int) -> bytes:
    """``payload`` gzip- or zlib-(``deflate``) compressed at ``level``."""
    wbits = 16 + zlib.MAX_WBITS if coding == "gzip" else zlib.MAX_WBITS
    deflater = zlib.compressobj(level, zlib.DEFLATED, wbits)
    return deflater.compress(payload) + deflater.flush()
