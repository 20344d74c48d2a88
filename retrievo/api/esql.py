"""``esql.query`` (``POST /_query``): ES|QL's JSON body, or its text layouts (``format=csv|tsv|txt``).

Parsing, planning and running live in :class:`retrievo.esql_client.EsqlRunner`; this module reads the
URL parameters and lays the table out as Elasticsearch's ``TextFormat`` does: CSV with ``\\r\\n`` line
ends, RFC 4180 quoting and a ``delimiter`` of choice; TSV with ``\\t``/``\\n`` escaped; ``txt`` as a
table whose columns are at least 15 wide, names centred, values cut with ``~`` when too long.
"""

from __future__ import annotations

from typing import Any

from retrievo.api import params as p
from retrievo.api.call import Call, body_object, reply
from retrievo.api.types import RestResponse
from retrievo.errors import illegal_argument, not_supported
from retrievo.esql_client import EsqlRunner
from retrievo.java_text import java_str

_TEXT_FORMATS = {
    "csv": "text/csv; charset=utf-8; header=present",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
}
_MIN_COLUMN_WIDTH = 15


def query(call: Call) -> RestResponse:
    """Run the query; JSON unless ``format`` asks for text."""
    fmt = call.param("format")
    fmt = None if fmt is None else p.text(fmt).lower()
    if fmt not in (None, "json", *_TEXT_FORMATS):
        if fmt in ("yaml", "cbor", "smile", "arrow"):
            raise not_supported(f"[format={fmt}]", "retrievo answers ES|QL queries as json, csv, tsv or txt")
        raise illegal_argument(f"Invalid format [{fmt}]")
    delimiter = call.param("delimiter")
    if delimiter is not None and fmt != "csv":
        raise illegal_argument(f"request [{call.uri}] contains unrecognized parameter: [delimiter]")
    if delimiter is not None and len(p.text(delimiter)) != 1:
        raise illegal_argument(f"invalid {'empty ' if not p.text(delimiter) else ''}delimiter [{p.text(delimiter)}]")
    body = body_object(call.body, "body")
    if fmt in _TEXT_FORMATS and body.get("columnar"):
        raise illegal_argument(
            "Invalid use of [columnar] argument: cannot be used in combination with [txt, csv, tsv] formats"
        )
    # allow_partial_results only matters when shards fail; one local shard cannot fail partially, so
    # the answer is whole either way. Its value is still parsed as Elasticsearch's REST layer does.
    p.as_bool("allow_partial_results", call.param("allow_partial_results"))
    response = EsqlRunner(call.catalog).query(
        body, drop_null_columns=bool(p.as_bool("drop_null_columns", call.param("drop_null_columns")))
    )
    if fmt not in _TEXT_FORMATS:
        return reply(200, response)
    names = [c["name"] for c in response["columns"]]
    rows = response["values"]
    if fmt == "csv":
        text = _csv(names, rows, p.text(delimiter) if delimiter is not None else ",")
    elif fmt == "tsv":
        text = _tsv(names, rows)
    else:
        text = _txt(names, rows)
    return reply(200, text, {"content-type": _TEXT_FORMATS[fmt]})


def _cell(value: Any) -> str:
    return "" if value is None else java_str(value)


def _csv(names: list[str], rows: list[list[Any]], delimiter: str) -> str:
    def escape(value: str) -> str:
        if any(ch in value for ch in (delimiter, '"', "\n", "\r")):
            return '"' + value.replace('"', '""') + '"'
        return value

    lines = [delimiter.join(escape(n) for n in names)]
    lines.extend(delimiter.join(escape(_cell(v)) for v in row) for row in rows)
    return "".join(line + "\r\n" for line in lines)


def _tsv(names: list[str], rows: list[list[Any]]) -> str:
    def escape(value: str) -> str:
        return value.replace("\n", "\\n").replace("\t", "\\t")

    lines = ["\t".join(escape(n) for n in names)]
    lines.extend("\t".join(escape(_cell(v)) for v in row) for row in rows)
    return "".join(line + "\n" for line in lines)


def _txt(names: list[str], rows: list[list[Any]]) -> str:
    cells = [[java_str(v) for v in row] for row in rows]
    widths = [max([_MIN_COLUMN_WIDTH, len(name), *(len(r[i]) for r in cells)]) for i, name in enumerate(names)]
    out = []
    header = []
    for name, width in zip(names, widths):
        left = (width - len(name)) // 2
        header.append(" " * left + name + " " * (width - len(name) - left))
    out.append("|".join(header) + "\n")
    out.append("+".join("-" * w for w in widths) + "\n")
    for row in cells:
        line = []
        for value, width in zip(row, widths):
            line.append(value + " " * (width - len(value)) if len(value) <= width else value[: width - 1] + "~")
        out.append("|".join(line) + "\n")
    return "".join(out)
