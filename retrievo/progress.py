"""A one-line progress bar on stderr for long loads (no dependency: tqdm is not one of ours).

One implementation for the whole package: the command line's ``index`` measures bytes of input
consumed (known up front, unlike the number of documents) and shows documents beside them; a bulk
load's embedding pass measures texts embedded. It draws only on a terminal unless asked, and at
most ten times a second.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

_WIDTH = 24


def _megabytes(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


class Progress:
    """``update(done, items)`` as work goes on, ``close()`` at the end.

    ``total`` is the amount of work (``None`` when unknown: no bar, only counts); with ``in_bytes``
    it is bytes, printed in MB beside the ``items`` (counted in ``unit``), else it is the items.
    """

    def __init__(
        self,
        total: int | None,
        *,
        label: str,
        unit: str = "docs",
        in_bytes: bool = True,
        enabled: bool | None = None,
        stream: TextIO | None = None,
    ) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self.enabled = self._stream.isatty() if enabled is None else enabled
        self._total = total
        self._label = label
        self._unit = unit
        self._in_bytes = in_bytes
        self._start = time.monotonic()
        self._last_draw = 0.0
        self._drawn = False

    def update(self, done: int, items: int, *, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        elapsed = max(now - self._start, 1e-9)
        counts = f"{items:,} {self._unit}  "
        if self._in_bytes:
            counts += f"{_megabytes(done)}/{_megabytes(self._total)}  " if self._total else f"{_megabytes(done)}  "
        rate = f"{items / elapsed:,.0f} {self._unit}/s"
        if self._total:
            frac = min(done / self._total, 1.0)
            filled = int(frac * _WIDTH)
            bar = "#" * filled + "." * (_WIDTH - filled)
            text = f"{self._label} [{bar}] {frac:4.0%}  {counts}{rate}"
        else:
            text = f"{self._label} {counts}{rate}"
        self._stream.write("\r" + text + "\x1b[K")
        self._stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self._stream.write("\n")
            self._stream.flush()
