"""Load-once slots for models: the one double-checked lock of the inference services.

Models take seconds to load and are shared by every thread that searches, so the first caller loads
under the slot's lock while the others wait for its result, and once loaded a read takes no lock. A
failed load leaves the slot empty: the next caller tries again, with its own loader, and so sees its
own error. The loader is passed on each :meth:`LazyModel.get` rather than fixed at construction
because a shared slot (:class:`~retrievo.inference.services.model_loading.LoadedModelCache`) is
reached by callers that word their load errors differently.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class LazyModel(Generic[T]):
    """A value built on first use, exactly once however many threads ask at the same time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value: T | None = None

    @property
    def value(self) -> T | None:
        """The loaded value, or ``None``; never loads."""
        return self._value

    def get(self, load: Callable[[], T]) -> T:
        """The value, calling ``load`` under the lock if nobody has loaded it yet."""
        value = self._value
        if value is None:
            with self._lock:
                value = self._value
                if value is None:
                    value = load()
                    self._value = value
        return value

    def discard(self, release: Callable[[T], None]) -> None:
        """Forget the value, handing it to ``release`` under the lock so that no load interleaves."""
        with self._lock:
            if self._value is not None:
                release(self._value)
            self._value = None
