"""``ip_range`` and ``ip_prefix``: bucket aggregations over an ``ip`` field's addresses.

An ip field's values are its sorted terms, 16-byte addresses as 32 hex digits
(:mod:`retrievo.index.ip_values`), so a bucket's documents come from comparing each distinct term
once (hex text compares as the bytes do) and gathering the documents per ordinal.

``ip_range`` (``IpRangeAggregationBuilder``/``BinaryRangeAggregator``): ranges ``[from, to)`` or a CIDR
``mask``, sorted by ``from`` then ``to``; a mask's ``to`` is the address after its block (none past the
last address). ``ip_prefix`` (``IpPrefixAggregator``): each address masked to ``prefix_length`` bits — of
all 16 bytes when ``is_ipv6``, else of the last 4 (the IPv4 part, whatever the address) — one bucket
per network in byte order. Also here: the 16-byte hashes ``cardinality`` counts for an ip field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from retrievo.aggregations import params as p
from retrievo.aggregations.base import AggContext, Aggregation, AggResult, Bucket
from retrievo.aggregations.murmur3 import hash128_h1
from retrievo.aggregations.run import finish_buckets
from retrievo.aggregations.values import field_kind, keyword_values
from retrievo.errors import illegal_argument, not_supported, parsing_error
from retrievo.index.ip_values import MAX_HEX, IpParseError, cidr_bounds, encode_ip, format_hex, prefix_bounds

__all__ = ["IpPrefix", "IpRange", "ip_hashes", "parse_ip_prefix", "parse_ip_range"]

_MAPPED = 0xFFFF << 32


def ip_hashes(addresses: list[str]) -> np.ndarray:
    """What ``cardinality`` collects for ip values: Murmur3 ``h1`` of each distinct 16-byte encoding."""
    return hash128_h1(sorted({bytes.fromhex(encode_ip(a)) for a in addresses}))


def _ip_pairs(
    ctx: AggContext, agg_type: str, field: str | None, docs: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(owner doc, ordinal) per value of the ip ``field`` in ``docs``, and the sorted hex terms."""
    kind = field_kind(ctx, field) if field else None
    fi = ctx.searcher.field_info(field or "")
    if fi is None or kind is None:
        return np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0, dtype="U32")
    if fi.type != "ip":
        raise p.type_error(field or "", fi.type, agg_type, ctx.index_name)
    read = keyword_values(ctx, fi.path, docs)
    inv = ctx.searcher.inverted(fi.path)
    if read is None or inv is None or not inv.terms:
        return np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0, dtype="U32")
    return read[0], read[1], np.asarray(inv.sorted_terms, dtype="U32")


# ------------------------------------------------------------------------------------------ ip_range


@dataclass(frozen=True)
class IpInterval:
    key: str | None
    lo: str | None  # hex, inclusive
    hi: str | None  # hex, exclusive


@dataclass(frozen=True, kw_only=True)
class IpRange(Aggregation):
    field: str | None = None
    ranges: tuple[IpInterval, ...] = ()
    keyed: bool = False

    type_name: ClassVar[str] = "ip_range"
    type_key: ClassVar[str] = "ip_range"
    accepts_subs: ClassVar[bool] = True

    def collect(self, ctx: AggContext, docs: np.ndarray) -> AggResult:
        owners, ords, terms = _ip_pairs(ctx, self.type_name, self.field, docs)
        ordered = sorted(self.ranges, key=lambda r: (r.lo or "", r.hi or "g"))  # null from first, null to last
        raw: list[tuple[Any, dict[str, Any], np.ndarray]] = []
        for iv in ordered:
            inside = np.ones(terms.size, dtype=bool)
            if iv.lo is not None:
                inside &= terms >= iv.lo
            if iv.hi is not None:
                inside &= terms < iv.hi
            members = np.unique(owners[inside[ords]]).astype(np.int32) if ords.size else owners[:0]
            key = iv.key or (
                ("*" if iv.lo is None else format_hex(iv.lo)) + "-" + ("*" if iv.hi is None else format_hex(iv.hi))
            )
            body: dict[str, Any] = {"key": key}
            if iv.lo is not None:
                body["from"] = format_hex(iv.lo)
            if iv.hi is not None:
                body["to"] = format_hex(iv.hi)
            body["doc_count"] = int(members.size)
            raw.append((key, body, members))
        return self.render_buckets(finish_buckets(ctx, self, raw))

    def render_buckets(self, buckets: list[Bucket]) -> AggResult:
        """The finished buckets printed, keyed or as a list (also after a multi-index reduce)."""
        if self.keyed:
            return AggResult(
                {"buckets": {str(b.key): {k: v for k, v in b.body.items() if k != "key"} for b in buckets}},
                buckets=buckets,
            )
        return AggResult({"buckets": [b.body for b in buckets]}, buckets=buckets)


def _address_bound(value: Any, key: str) -> str | None:
    if value is None:
        return None
    try:
        return encode_ip(p.string("ip_range", key, value))
    except IpParseError as failure:
        raise illegal_argument(str(failure)) from None


def _parse_ip_interval(item: Any) -> IpInterval:
    if not isinstance(item, dict):
        raise parsing_error(f"[range] Expected START_OBJECT but was: {item!r}")
    for name in item:
        if name not in ("key", "from", "to", "mask"):
            raise parsing_error(f"Unknown key [{name}] in [range]")
    key = None if item.get("key") is None else p.string("ip_range", "key", item["key"])
    mask = item.get("mask")
    if mask is None:
        return IpInterval(key, _address_bound(item.get("from"), "from"), _address_bound(item.get("to"), "to"))
    if item.get("from") is not None or item.get("to") is not None:
        raise not_supported("[ip_range] a [mask] beside [from]/[to] in one range", "give either a mask or bounds")
    text = p.string("ip_range", "mask", mask)
    try:
        low, high = cidr_bounds(text)
    except IpParseError as failure:
        raise illegal_argument(str(failure)) from None
    upper = None if high == MAX_HEX else f"{int(high, 16) + 1:032x}"
    return IpInterval(key or text, low, upper)


def parse_ip_range(name: str, body: Any) -> IpRange:
    agg_type = "ip_range"
    body = p.check_object(agg_type, body)
    p.check_keys(agg_type, body, ("field", "ranges", "keyed"))
    p.require_field(body)
    ranges = body.get("ranges")
    if ranges is None:
        raise illegal_argument(f"No [ranges] specified for the [{name}] aggregation")
    if not isinstance(ranges, list):
        raise parsing_error(f"[{agg_type}] ranges doesn't support values of type: {type(ranges).__name__}")
    intervals = tuple(_parse_ip_interval(item) for item in ranges)
    if not intervals:
        raise illegal_argument(f"No [ranges] specified for the [{name}] aggregation")
    fields: dict[str, Any] = {"ranges": intervals}
    if "field" in body:
        fields["field"] = p.string(agg_type, "field", body["field"])
    if "keyed" in body:
        fields["keyed"] = p.boolean(agg_type, "keyed", body["keyed"])
    return IpRange(name=name, **fields)


# ----------------------------------------------------------------------------------------- ip_prefix


@dataclass(frozen=True, kw_only=True)
class IpPrefix(Aggregation):
    field: str | None = None
    prefix_length: int = -1
    is_ipv6: bool = False
    append_prefix_length: bool = False
    keyed: bool = False
    min_doc_count: int = 1

    type_name: ClassVar[str] = "ip_prefix"
    type_key: ClassVar[str] = "ip_prefix"
    accepts_subs: ClassVar[bool] = True

    def _network_keys(self, terms: np.ndarray) -> list[int]:
        """Each term's network as a 128-bit number (an IPv4 network as its IPv4-mapped address)."""
        if self.is_ipv6:
            return [int(prefix_bounds(str(t), self.prefix_length)[0], 16) for t in terms.tolist()]
        mask32 = (0xFFFFFFFF << (32 - self.prefix_length)) & 0xFFFFFFFF
        return [_MAPPED | (int(str(t)[24:], 16) & mask32) for t in terms.tolist()]

    def collect(self, ctx: AggContext, docs: np.ndarray) -> AggResult:
        limit = 128 if self.is_ipv6 else 32
        if self.prefix_length < 0 or self.prefix_length > limit:
            raise illegal_argument(
                f"[prefix_length] must be in range [0, {limit}] while value is [{self.prefix_length}]"
            )
        owners, ords, terms = _ip_pairs(ctx, self.type_name, self.field, docs)
        networks = self._network_keys(terms)
        distinct = sorted(set(networks))
        net_of_ord = np.asarray([distinct.index(n) for n in networks], dtype=np.int64) if networks else ords[:0]
        value_nets = net_of_ord[ords] if ords.size else ords[:0]
        pairs = np.unique(np.stack([value_nets, owners.astype(np.int64)]), axis=1) if ords.size else None
        netmask = (
            None
            if self.is_ipv6
            else format_hex(f"{_MAPPED | ((0xFFFFFFFF << (32 - self.prefix_length)) & 0xFFFFFFFF):032x}")
        )
        raw: list[tuple[Any, dict[str, Any], np.ndarray]] = []
        kept: list[int] = []
        for index, network in enumerate(distinct):
            assert pairs is not None
            members = pairs[1][pairs[0] == index].astype(np.int32)
            if members.size < self.min_doc_count and not ctx.reducible:  # several indices: after the reduce
                continue
            kept.append(network)
            key = format_hex(f"{network:032x}")
            if self.append_prefix_length:
                key = f"{key}/{self.prefix_length}"
            body: dict[str, Any] = {"key": key}
            if netmask is not None:
                body["netmask"] = netmask
            body["doc_count"] = int(members.size)
            body["is_ipv6"] = self.is_ipv6
            body["prefix_length"] = self.prefix_length
            raw.append((key, body, members))
        buckets = finish_buckets(ctx, self, raw)
        if ctx.reducible:  # the networks (bucket order) for ``InternalIpPrefix.reduce``
            return AggResult({}, buckets=buckets, partial=kept)
        return self.render_buckets(buckets)

    def render_buckets(self, buckets: list[Bucket]) -> AggResult:
        """The finished buckets printed, keyed or as a list (also after a multi-index reduce)."""
        if self.keyed:
            return AggResult(
                {"buckets": {str(b.key): {k: v for k, v in b.body.items() if k != "key"} for b in buckets}},
                buckets=buckets,
            )
        return AggResult({"buckets": [b.body for b in buckets]}, buckets=buckets)


def parse_ip_prefix(name: str, body: Any) -> IpPrefix:
    agg_type = "ip_prefix"
    body = p.check_object(agg_type, body)
    p.check_keys(
        agg_type, body, ("field", "prefix_length", "is_ipv6", "append_prefix_length", "keyed", "min_doc_count")
    )
    p.require_field(body)
    fields: dict[str, Any] = {}
    if "field" in body:
        fields["field"] = p.string(agg_type, "field", body["field"])
    is_ipv6 = p.boolean(agg_type, "is_ipv6", body["is_ipv6"]) if "is_ipv6" in body else False
    fields["is_ipv6"] = is_ipv6
    if "prefix_length" in body:
        length = p.integer(agg_type, "prefix_length", body["prefix_length"])
        if length < 0:  # the builder's setter, while parsing
            raise p.setter_error(
                agg_type,
                "prefix_length",
                f"[prefix_length] must be in range [0, {128 if is_ipv6 else 32}] while value is [{length}]",
            )
        fields["prefix_length"] = length
    if "append_prefix_length" in body:
        fields["append_prefix_length"] = p.boolean(agg_type, "append_prefix_length", body["append_prefix_length"])
    if "keyed" in body:
        fields["keyed"] = p.boolean(agg_type, "keyed", body["keyed"])
    if "min_doc_count" in body:
        count = p.integer(agg_type, "min_doc_count", body["min_doc_count"])
        if count < 1:
            raise p.setter_error(
                agg_type, "min_doc_count", f"[min_doc_count] must be in range [1, 2147483647] while value is [{count}]"
            )
        fields["min_doc_count"] = count
    return IpPrefix(name=name, **fields)
