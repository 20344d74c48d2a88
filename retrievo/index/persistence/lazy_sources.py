"""``_source``\\ s of a loaded index, decoded from their segment files only when first read.

Decoding JSON is nearly all the cost of loading an index whose documents carry vectors (10,000
documents with 384 floats each: ~2 s of ``json.loads``), while a search reads the sources of the
hits it returns. So a loaded store keeps each segment file (JSON lines, one document each) as a
verified, read-only memory map and decodes a document the first time it is read: a search that
returns 10 hits decodes 10 lines. Appends and deletes work as on a list: this is a drop-in for the
store's ``sources`` list.
"""

from __future__ import annotations

import bisect
import mmap
import threading
from collections.abc import Iterable, MutableSequence
from pathlib import Path
from typing import Any, overload

import numpy as np

from retrievo.index.persistence import errors
from retrievo.index.persistence.files import load_json


class _Unloaded:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<not decoded yet>"


_UNLOADED = _Unloaded()


class _Segment:
    """One mapped segment file; its line offsets are found on first use."""

    __slots__ = ("start", "end", "mapped", "path", "lines")

    def __init__(self, start: int, end: int, mapped: mmap.mmap, path: Path) -> None:
        self.start, self.end, self.mapped, self.path = start, end, mapped, path
        self.lines: np.ndarray | None = None  # int64[n + 1]: byte offset of each line, then the end

    def line(self, doc: int) -> bytes:
        if self.lines is None:
            ends = np.flatnonzero(np.frombuffer(self.mapped, dtype=np.uint8) == 0x0A)
            if ends.size != self.end - self.start or (ends.size and int(ends[-1]) != len(self.mapped) - 1):
                raise errors.corrupt(self.path, f"expected one line per document of [{self.start}, {self.end})")
            self.lines = np.concatenate([[0], ends + 1])
        lo, hi = int(self.lines[doc - self.start]), int(self.lines[doc - self.start + 1])
        return self.mapped[lo:hi]


class LazySources(MutableSequence[Any]):
    """A list of sources (dicts, or ``None`` for deleted docs) whose saved documents decode on demand."""

    def __init__(self, live: list[bool], segments: dict[int, tuple[int, mmap.mmap, Path]]) -> None:
        """``live``: the live mask at load (a live doc has a source object); ``segments``: first
        doc → (end doc, mapped JSON-lines file, its path for errors)."""
        self._live = list(live)
        self._items: list[Any] = [_UNLOADED] * len(live)
        self._segments = [_Segment(start, end, mapped, path) for start, (end, mapped, path) in sorted(segments.items())]
        self._starts = [seg.start for seg in self._segments]
        self._lock = threading.Lock()

    def _decode(self, index: int) -> None:
        with self._lock:
            if self._items[index] is not _UNLOADED:
                return
            if not self._live[index]:
                self._items[index] = None
                return
            seg = self._segments[bisect.bisect_right(self._starts, index) - 1]
            try:
                value = load_json(seg.line(index))
            except (UnicodeDecodeError, ValueError) as failure:
                raise errors.corrupt(seg.path, f"line {index - seg.start + 1} is not valid JSON: {failure}") from None
            if not isinstance(value, dict):
                raise errors.corrupt(seg.path, f"line {index - seg.start + 1}: a live document has no source")
            self._items[index] = value

    def _ensure(self, index: int) -> None:
        if self._items[index] is _UNLOADED:
            self._decode(index)

    def _ensure_all(self) -> None:
        for index in range(len(self._items)):
            self._ensure(index)

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            for i in range(*index.indices(len(self._items))):
                self._ensure(i)
            return self._items[index]
        self._ensure(index)
        return self._items[index]

    def __setitem__(self, index: Any, value: Any) -> None:
        if isinstance(index, slice):
            self._ensure_all()
        self._items[index] = value

    def __delitem__(self, index: Any) -> None:
        self._ensure_all()
        del self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def insert(self, index: int, value: Any) -> None:
        self._ensure_all()
        self._items.insert(index, value)

    def append(self, value: Any) -> None:
        self._items.append(value)

    def extend(self, values: Iterable[Any]) -> None:
        self._items.extend(values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, LazySources)):
            return list(self) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"LazySources({len(self._items)} documents)"
