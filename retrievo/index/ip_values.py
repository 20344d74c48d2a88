"""IP addresses as Elasticsearch's ``ip`` field stores them: the 16 bytes of ``InetAddressPoint.encode``.

Every address is kept as IPv6 (an IPv4 address as its IPv4-mapped form ``::ffff:a.b.c.d``), and
retrievo writes those 16 bytes as 32 lowercase hex digits. Hex text sorts as the bytes do, so the
inverted index, its sorted terms and every ordinal that keyword code derives from them order addresses
exactly as Lucene's points and sorted-set doc values do: ranges, sorts and bucket orders need nothing
ip-specific beyond encoding the bounds and printing the keys.

Printing follows ``NetworkAddress.format`` of the decoded address: an IPv4-mapped address decodes to
an ``Inet4Address`` and prints dotted; anything else prints as RFC 5952 compressed IPv6.
"""

from __future__ import annotations

import ipaddress
import re

import numpy as np

__all__ = [
    "MAX_HEX",
    "MIN_HEX",
    "IpParseError",
    "cidr_bounds",
    "encode_ip",
    "format_hex",
    "hex_bytes",
    "ip_doc_values",
    "ip_labels",
    "ip_query_text",
    "is_ipv4_hex",
    "prefix_bounds",
]

MIN_HEX = "0" * 32
MAX_HEX = "f" * 32
_MAPPED_PREFIX = "0" * 20 + "ffff"
_DOTTED = re.compile(r"\d{1,3}(\.\d{1,3}){3}")


class IpParseError(ValueError):
    """``InetAddresses.forString``/``parseCidr``'s ``IllegalArgumentException``; ``str()`` is ES's message."""


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """``InetAddresses.forString``: dotted IPv4 (no leading zeros) or IPv6, an optional ``%scope``."""
    bad = IpParseError(f"'{text}' is not an IP string literal.")
    if not text or not text.isascii():
        raise bad
    if ":" in text:
        body = text.split("%", 1)[0]
        if "%" in text and not text.split("%", 1)[1]:
            raise bad
        tail = body.rsplit(":", 1)[-1]
        if "." in tail and not _valid_dotted(tail):
            raise bad
        try:
            address = ipaddress.IPv6Address(body)
        except ValueError:
            raise bad from None
        mapped = address.ipv4_mapped
        return mapped if mapped is not None else address
    if not _valid_dotted(text):
        raise bad
    return ipaddress.IPv4Address(text)


def _valid_dotted(text: str) -> bool:
    if not _DOTTED.fullmatch(text):
        return False
    return all(int(part) <= 255 and (len(part) == 1 or part[0] != "0") for part in text.split("."))


def _hex_of(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    if isinstance(address, ipaddress.IPv4Address):
        return _MAPPED_PREFIX + address.packed.hex()
    return address.packed.hex()


def encode_ip(value: object) -> str:
    """The stored form (32 hex digits) of one address given as text; raises :class:`IpParseError`."""
    text = value if isinstance(value, str) else str(value)
    return _hex_of(_address(text))


def is_ipv4_hex(hex_value: str) -> bool:
    return hex_value.startswith(_MAPPED_PREFIX)


def format_hex(hex_value: str) -> str:
    """``DocValueFormat.IP.format``: the decoded address as ``NetworkAddress.format`` prints it."""
    if is_ipv4_hex(hex_value):
        return str(ipaddress.IPv4Address(bytes.fromhex(hex_value[24:])))
    return ipaddress.IPv6Address(bytes.fromhex(hex_value)).compressed


def hex_bytes(hex_value: str) -> bytes:
    return bytes.fromhex(hex_value)


def prefix_bounds(hex_value: str, prefix_length: int) -> tuple[str, str]:
    """The first and last 16-byte address sharing the first ``prefix_length`` bits of ``hex_value``."""
    number = int(hex_value, 16)
    host_bits = 128 - prefix_length
    low = (number >> host_bits) << host_bits if host_bits < 128 else 0
    high = low | ((1 << host_bits) - 1)
    return f"{low:032x}", f"{high:032x}"


def cidr_bounds(text: str) -> tuple[str, str]:
    """``InetAddresses.parseCidr`` then ``InetAddressPoint.newPrefixQuery``'s bounds, for ``a.b.c.d/n``."""
    parts = text.split("/")
    if len(parts) != 2:
        raise IpParseError(f"Expected [ip/prefix] but was [{text}]")
    address = _address(parts[0])
    try:
        length = int(parts[1])
    except ValueError:
        raise IpParseError(f'For input string: "{parts[1]}"') from None
    bits = 32 if isinstance(address, ipaddress.IPv4Address) else 128
    if length < 0 or length > bits:
        raise IpParseError(
            f"Illegal prefix length [{length}] in [{text}]. Must be 0-{bits} for IPv{4 if bits == 32 else 6} addresses"
        )
    offset = 96 if bits == 32 else 0
    return prefix_bounds(_hex_of(address), length + offset)


def ip_query_text(field: str, kind: str, args: tuple[object, ...]) -> str:
    """Lucene's ``toString`` of the ``InetAddressPoint`` queries an ip field builds: an exact
    address prints ``ip:192.168.0.1``, a prefix or range ``ip:[a TO b]``, a set ``ip:{a b}``."""
    if kind == "term_range":
        lo, lo_inc, hi, hi_inc = args
        low = str(lo) if lo is not None else MIN_HEX
        high = str(hi) if hi is not None else MAX_HEX
        if not lo_inc:
            low = f"{int(low, 16) + 1:032x}"
        if not hi_inc:
            high = f"{int(high, 16) - 1:032x}"
        if low == high:
            return f"{field}:{format_hex(low)}"
        return f"{field}:[{format_hex(low)} TO {format_hex(high)}]"
    if kind == "terms" and len(args) == 1:
        return f"{field}:{format_hex(str(args[0]))}"
    if kind == "terms":
        return f"{field}:{{{' '.join(format_hex(str(a)) for a in args)}}}"
    return f"{kind}({field})"


def ip_labels(hex_terms: np.ndarray) -> np.ndarray:
    """Printed addresses for sorted hex terms (an object array in the same, byte, order)."""
    out = np.empty(len(hex_terms), dtype=object)
    out[:] = [format_hex(str(t)) for t in hex_terms]
    return out


def ip_doc_values(values: list[object]) -> list[str]:
    """An ip field's doc values from its source values: distinct addresses in byte order, printed
    (malformed values, which ``ignore_malformed`` dropped, and nulls are not there)."""
    encoded: set[str] = set()
    for value in values:
        if value is None or isinstance(value, (dict, list)):
            continue
        try:
            encoded.add(encode_ip(value))
        except IpParseError:
            continue
    return [format_hex(h) for h in sorted(encoded)]
