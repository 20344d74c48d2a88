"""Java's ``HashMap`` iteration order and ``DoubleStream.sum``, for a bit-exact ``metric_score``.

Elasticsearch averages the per-request scores with ``values().stream().mapToDouble(..).sum()`` over a
``HashMap`` keyed by request id. Floating-point addition is not associative, so the last bit of the
mean depends on the order the map yields its values and on the compensated (Kahan) summation that
``DoubleStream.sum`` performs. Both are reproduced here so that the overall score matches a cluster
exactly rather than to within an ulp.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def java_string_hash(text: str) -> int:
    """``String.hashCode``: s[0]·31^(n-1) + … over UTF-16 code units, in 32-bit arithmetic."""
    h = 0
    data = text.encode("utf-16-le")
    for i in range(0, len(data), 2):
        h = (31 * h + (data[i] | data[i + 1] << 8)) & 0xFFFFFFFF
    return h


def _table_size_for(capacity: int) -> int:
    """``HashMap.tableSizeFor``: the smallest power of two ≥ capacity (1 for 0 or 1)."""
    size = 1
    while size < capacity:
        size <<= 1
    return size


def hashmap_order(keys: Iterable[str], initial_capacity: int) -> list[str]:
    """The order ``new HashMap<>(initial_capacity)`` iterates after ``put`` of ``keys`` in turn.

    Buckets are visited by index (``spread(hash) & (capacity - 1)``); within a bucket entries keep
    insertion order, which resizing preserves. Re-putting a key keeps its first position. (Buckets
    that Java would turn into trees, eight or more colliding keys, are not modelled.)
    """
    capacity, threshold = 0, _table_size_for(initial_capacity)
    order: dict[str, None] = {}
    for key in keys:
        if key in order:
            continue
        if capacity == 0:  # the table is allocated on the first put
            capacity = threshold
            threshold = int(capacity * 0.75)
        order[key] = None
        if len(order) > threshold:
            old = capacity
            capacity <<= 1
            threshold = threshold << 1 if old >= 16 else int(capacity * 0.75)

    def bucket(key: str) -> int:
        h = java_string_hash(key)
        return (h ^ (h >> 16)) & (capacity - 1)

    positions = {key: i for i, key in enumerate(order)}
    return sorted(order, key=lambda k: (bucket(k), positions[k]))


def java_double_sum(values: Sequence[float]) -> float:
    """``DoubleStream.sum``: Kahan summation, returning ``sum - compensation`` (JDK 17+)."""
    total = compensation = simple = 0.0
    for value in values:
        simple += value
        tmp = value - compensation
        velvel = total + tmp
        compensation = (velvel - total) - tmp
        total = velvel
    result = total - compensation
    if result != result and simple in (float("inf"), float("-inf")):
        return simple
    return result


def java_mean(scores_by_key: dict[str, float], initial_capacity: int) -> float:
    """Elasticsearch's ``combine``: the sum in HashMap order divided by the count (NaN when empty)."""
    if not scores_by_key:
        return float("nan")
    ordered = [scores_by_key[k] for k in hashmap_order(scores_by_key, initial_capacity)]
    return java_double_sum(ordered) / len(ordered)
