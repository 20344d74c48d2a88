"""The bounded LRU both inference caches share (embeddings by text, rerank scores by pair).

Keys start with the endpoint's cache namespace, so deleting an endpoint evicts exactly its entries.
Subclasses provide ``_entries`` (an ``OrderedDict``), ``max_entries``, ``stats.evictions`` and ``_lock``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any


class LruStore:
    _entries: OrderedDict[Any, Any]
    max_entries: int
    stats: Any
    _lock: threading.Lock | threading.RLock

    def _store(self, key: Any, value: Any) -> None:
        if self.max_entries == 0:
            return
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
            self.stats.evictions += 1

    def evict_namespace(self, namespace: Hashable) -> None:
        """Drop every cached entry of one endpoint (called when it is deleted)."""
        with self._lock:
            for key in [k for k in self._entries if k[0] == namespace]:
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
