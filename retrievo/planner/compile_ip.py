"""Queries on ``ip`` fields, as ``IpFieldMapper.IpFieldType`` builds them.

Addresses are compared as their 16-byte encodings, held as 32 hex digits (:mod:`retrievo.index.ip_values`):
an exact address is a one-term set, a CIDR (``192.168.0.0/16``) or a range is a term range over the
hex terms, whose order is the bytes' order. Every one scores ``1 × boost`` as Lucene's point queries
do; ``DocSetQ``'s ``value_type="ip"`` makes them print as ``InetAddressPoint`` queries.
"""

from __future__ import annotations

from typing import Any

from retrievo.errors import BadRequestError, bad_request
from retrievo.index.ip_values import MAX_HEX, MIN_HEX, IpParseError, cidr_bounds, encode_ip
from retrievo.lucene.query import BoolQ, ConstQ, DocSetQ, LQuery, MatchNoneQ

__all__ = ["ip_exact", "ip_range", "ip_terms"]


def _error(failure: IpParseError) -> BadRequestError:
    return bad_request("query_shard_exception", f"failed to create query: {failure}")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _set_clause(field: str, value: Any) -> DocSetQ:
    """One value of a ``term``/``terms`` query: an address, or a CIDR block when it has a ``/``."""
    text = _text(value)
    try:
        if "/" in text:
            lo, hi = cidr_bounds(text)
            return DocSetQ("term_range", field, (lo, True, hi, True), "ip")
        return DocSetQ("terms", field, (encode_ip(text),), "ip")
    except IpParseError as failure:
        raise _error(failure) from None


def ip_exact(field: str, value: Any) -> LQuery:
    """``IpFieldType.termQuery``: ``InetAddressPoint.newExactQuery`` or ``newPrefixQuery`` for a CIDR."""
    return ConstQ(_set_clause(field, value))


def ip_terms(field: str, values: list[Any]) -> LQuery:
    """``IpFieldType.termsQuery``: the addresses as one point set, each CIDR block a prefix query beside it."""
    clauses = [_set_clause(field, v) for v in values]
    exact = sorted({str(c.args[0]) for c in clauses if c.kind == "terms"})
    blocks = [c for c in clauses if c.kind != "terms"]
    parts: list[LQuery] = []
    if exact:
        parts.append(DocSetQ("terms", field, tuple(exact), "ip"))
    parts.extend(blocks)
    if len(parts) == 1:
        return ConstQ(parts[0])
    return ConstQ(BoolQ(should=tuple(parts)))


def ip_range(field: str, lo: Any, lo_inc: bool, hi: Any, hi_inc: bool) -> LQuery:
    """``IpFieldType.rangeQuery``: an exclusive bound moves to the next address (``nextUp``/``nextDown``),
    and a bound past the last (or before the first) address matches nothing."""
    try:
        low = MIN_HEX if lo is None else encode_ip(_text(lo))
        high = MAX_HEX if hi is None else encode_ip(_text(hi))
    except IpParseError as failure:
        raise _error(failure) from None
    if lo is not None and not lo_inc:
        if low == MAX_HEX:
            return MatchNoneQ("The lower bound is the largest address")
        low = f"{int(low, 16) + 1:032x}"
    if hi is not None and not hi_inc:
        if high == MIN_HEX:
            return MatchNoneQ("The upper bound is the smallest address")
        high = f"{int(high, 16) - 1:032x}"
    return ConstQ(DocSetQ("term_range", field, (low, True, high, True), "ip"))
