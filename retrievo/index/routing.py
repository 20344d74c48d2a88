"""Which shard of an index holds a document: Elasticsearch's document routing.

A document goes to ``floorMod(murmur3(routing), routing_num_shards) // routing_factor``, where ``routing`` is
the request's ``routing`` or else the ``_id`` (ES's ``IndexRouting.Unpartitioned``; routing partitions are
refused in ``index/settings.py``). ``murmur3`` is ``Murmur3HashFunction.hash(String)``: MurmurHash3 x86 32-bit
with seed 0 over each UTF-16 code unit's two bytes, low byte first. The default ``routing_num_shards`` lets
an index be split up to 1024 shards (``MetadataCreateIndexService.calculateNumRoutingShards``).
"""

from __future__ import annotations

from typing import Any

from retrievo.errors import illegal_argument

_C1 = 0xCC9E2D51
_C2 = 0x1B873593
_MASK = 0xFFFFFFFF


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (32 - r))) & _MASK


def murmur3_x86_32(data: bytes, seed: int = 0) -> int:
    """Lucene's ``StringHelper.murmurhash3_x86_32`` as a signed Java int."""
    h = seed & _MASK
    n = len(data)
    tail = n - (n & 3)
    for i in range(0, tail, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = (_rotl((k * _C1) & _MASK, 15) * _C2) & _MASK
        h = (_rotl(h ^ k, 13) * 5 + 0xE6546B64) & _MASK
    k = 0
    rest = n & 3
    if rest == 3:
        k ^= data[tail + 2] << 16
    if rest >= 2:
        k ^= data[tail + 1] << 8
    if rest >= 1:
        k ^= data[tail]
        h ^= (_rotl((k * _C1) & _MASK, 15) * _C2) & _MASK
    h ^= n
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _MASK
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _MASK
    h ^= h >> 16
    return h - (1 << 32) if h & 0x80000000 else h


def routing_hash(value: str) -> int:
    """``Murmur3HashFunction.hash(String)``: the string's UTF-16 code units, two bytes each, low first."""
    return murmur3_x86_32(value.encode("utf-16-le"))


def default_routing_num_shards(number_of_shards: int) -> int:
    """The largest ``number_of_shards * 2**x`` up to 1024, with at least one split."""
    log2_shards = (number_of_shards - 1).bit_length()  # 32 - numberOfLeadingZeros(n - 1)
    return number_of_shards << max(1, 10 - log2_shards)


def routing_values(routing: str | None) -> tuple[str, ...]:
    """A search's ``routing`` parameter as its values (comma-separated; empty values dropped)."""
    return tuple(v for v in routing.split(",") if v) if routing is not None else ()


def shard_for(doc_id: str, routing: str | None, number_of_shards: int, routing_num_shards: int) -> int:
    """The shard a document with this ``_id`` and ``routing`` lives on (a search's ``routing`` value
    names the shard the same way)."""
    if number_of_shards == 1:
        return 0
    hashed = routing_hash(doc_id if routing is None else routing)
    # Python's % on a positive divisor is Java's Math.floorMod
    return (hashed % routing_num_shards) // (routing_num_shards // number_of_shards)


#: ``Preference``'s types: ``_shards:`` limits the shards searched; the others choose among copies of a shard,
#: which one node does not have.
_PREFERENCES = ("_shards", "_prefer_nodes", "_local", "_only_local", "_only_nodes")


def preference_shards(preference: Any) -> tuple[int, ...] | None:
    """The shard numbers ``preference=_shards:2,3[|…]`` allows (``OperationRouting``); ``None`` for any other
    preference. A custom value (not starting with ``_``) only picks replicas."""
    if preference is None:
        return None
    text = preference if isinstance(preference, str) else str(preference)
    if not text.startswith("_"):
        return None
    kind = text.split(":", 1)[0]
    if kind not in _PREFERENCES:  # Preference.parse
        raise illegal_argument(f"no Preference for [{kind}]")
    if kind != "_shards":
        return None
    ids = text[len("_shards:") :].split("|", 1)[0]
    shards = []
    for value in (v.strip() for v in ids.split(",") if v.strip()):
        try:
            shards.append(int(value))  # Integer.parseInt: a NumberFormatException is a 400
        except ValueError:
            raise illegal_argument(f'For input string: "{value}"') from None
    return tuple(shards)
