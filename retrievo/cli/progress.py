"""A one-line progress bar on stderr for long loads (no dependency: tqdm is not one of ours).

It measures bytes of input consumed, which are known up front, and shows documents and their rate
beside them. It draws only on a terminal unless asked, and at most ten times a second.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

_WIDTH = 24


def _megabytes(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


class Progress:
    """``update(bytes_done, docs)`` as a load goes on, ``close()`` at the end."""

    def __init__(self, total_bytes: int | None, *, label: str, enabled: bool | None = None,
                 stream: TextIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self.enabled = self._stream.isatty() if enabled is None else enabled
        self._total = total_bytes
        self._label = label
        self._start = time.monotonic()
        self._last_draw = 0.0
        self._drawn = False

    def update(self, bytes_done: int, docs: int, *, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        elapsed = max(now - self._start, 1e-9)
        rate = f"{docs / elapsed:,.0f} docs/s"
        if self._total:
            frac = min(bytes_done / self._total, 1.0)
            filled = int(frac * _WIDTH)
            bar = "#" * filled + "." * (_WIDTH - filled)
            text = (f"{self._label} [{bar}] {frac:4.0%}  {docs:,} docs  "
                    f"{_megabytes(bytes_done)}/{_megabytes(self._total)}  {rate}")
        else:
            text = f"{self._label} {docs:,} docs  {_megabytes(bytes_done)}  {rate}"
        self._stream.write("\r" + text + "\x1b[K")
        self._stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self._stream.write("\n")
            self._stream.flush()
