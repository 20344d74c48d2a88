"""Identifiers shaped like the ones OpenSearch generates.

ML Commons stores model groups, models and tasks as documents in system indices and uses the
auto-generated document id as the object's id: OpenSearch's time-based ``UUIDs.base64UUID()``, 15 bytes
(a sequence number, the time in milliseconds and a per-node address) written as 20 URL-safe base64
characters. Clients copy these ids into later requests and sometimes check their shape, so retrievo
hands out ids of the same length and alphabet, laid out the same way; node ids are
``UUIDs.randomBase64UUID()``: 16 random bytes, 22 characters.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time


def _base64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def random_node_id() -> str:
    """A node id like ``UUIDs.randomBase64UUID()`` (version-4 UUID bits, 22 characters)."""
    raw = bytearray(secrets.token_bytes(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    return _base64url(bytes(raw))


class TimeBasedIds:
    """``TimeBasedUUIDGenerator``: ids that sort roughly by creation time and never repeat in-process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sequence = secrets.randbelow(1 << 24)
        self._last_millis = 0
        self._address = secrets.token_bytes(6)

    def next_id(self) -> str:
        with self._lock:
            self._sequence = (self._sequence + 1) & 0xFFFFFF
            millis = max(int(time.time() * 1000), self._last_millis)
            if self._sequence == 0:
                millis += 1  # the sequence wrapped within one millisecond: move the clock on
            self._last_millis = millis
            sequence = self._sequence
        raw = bytes(
            [
                sequence & 0xFF,
                (sequence >> 16) & 0xFF,
                (millis >> 16) & 0xFF,
                (millis >> 24) & 0xFF,
                (millis >> 32) & 0xFF,
                (millis >> 40) & 0xFF,
            ]
        )
        raw += self._address + bytes([(millis >> 8) & 0xFF, (sequence >> 8) & 0xFF, millis & 0xFF])
        return _base64url(raw)
